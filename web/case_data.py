"""What the case pages show, read through service.queries.Queries as `cspr case show`,
`case history`, `actions` and `case diff` read it (issue 12, Cases).

The case page's JSON is `case show --json` (the clocks named, as the CLI names them), with
four keys added beside it (CLI.md: keys may be added, never renamed):
- ``timeline``: the events in the order they occurred: type, occurred, recorded, by whom,
  ledger position; never a field of the event's data, so nothing personal;
- ``clock_days``: per clock, the working days from its start to its due date and the bank
  holidays skipped between them, counted on the calendar the clocks were computed on;
- ``trail``: the decision trail (`case history --json`: roles, every signature, who is
  pending), limited to the events of the view when the case is shown as it stood on a day;
  None, with ``trail_problem`` saying why, when an event of it does not verify;
- ``actions``: the improvement actions with their ladder (`actions --case REF --json`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cli.display import named
from domain.calendar import WorkingDayCalendar
from domain.errors import CsprError
from service.queries import Queries

ADDED_KEYS = ("timeline", "clock_days", "trail", "trail_problem", "actions")


def holidays_skipped(calendar: WorkingDayCalendar, start: date, due: date) -> list[date]:
    """The bank holidays falling on a weekday in (start, due]: the days a clock counted
    past (a weekend holiday skips nothing the weekend did not)."""
    if due <= start:
        return []
    return sorted(d for year in range(start.year, due.year + 1)
                  for d in calendar.holidays_of(year)
                  if start < d <= due and d.weekday() < 5)


def clock_days(calendar: WorkingDayCalendar, clocks: list[dict[str, Any]]
               ) -> list[dict[str, Any]]:
    """Working days and holidays skipped from each clock's start to its due date (None
    where the clock has no start or no due date yet)."""
    out = []
    for c in clocks:
        start, due = c.get("starts_on"), c.get("due_on")
        row: dict[str, Any] = {"clock": c["clock"], "action": c["action"],
                               "working_days": None, "holidays_skipped": []}
        if start and due:
            a, b = date.fromisoformat(start), date.fromisoformat(due)
            row["working_days"] = calendar.working_days_between(a, b)
            row["holidays_skipped"] = [d.isoformat() for d in holidays_skipped(calendar, a, b)]
        out.append(row)
    return out


def timeline(facts: Any) -> list[dict[str, Any]]:
    """The events in the order they occurred (ledger order among equals)."""
    rows = [{"position": f.position, "type": f.type, "occurred_at": f.occurred_at,
             "recorded_at": f.recorded_at.isoformat(), "actor": f.actor,
             "action": f.action} for f in facts]
    return sorted(rows, key=lambda r: (r["occurred_at"], r["position"]))


def case_page(q: Queries, ref: str, occurred_by: date | None = None) -> dict[str, Any]:
    """`case show REF [--occurred-by DAY] --json`, with the page's added keys."""
    view = q.view(ref, occurred_by=occurred_by)
    shown = view.as_json()
    shown["clocks"] = named(shown["clocks"])
    positions = {f.position for f in view.facts}
    shown["timeline"] = timeline(view.facts)
    shown["clock_days"] = clock_days(q.calendar, shown["clocks"])
    # The trail is read from the signed events (each checked before it is shown); "as it
    # stood on" a day leaves out what happened after it, as the view does.
    try:
        shown["trail"] = [r for r in q.history(ref) if r["position"] in positions]
        shown["trail_problem"] = None
    except CsprError as e:  # an event that does not verify: named, never shown unproved
        shown["trail"], shown["trail_problem"] = None, str(e)
    shown["actions"] = q.actions(ref, occurred_by)
    return shown


def diff_page(q: Queries, ref: str, since: Any, until: Any) -> dict[str, Any]:
    """`case diff REF --from --to --json`, as the CLI emits it."""
    return q.diff(ref, since, until)
