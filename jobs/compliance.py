"""The board's compliance report: how timely were the statutory clocks in a period, which
were breached, which improvement actions are overdue and escalated, and how often personal
data was read, disclosed or erased (issue 10).

Pure: plain rows in (``projections/case_view.py: clock_row``,
``projections/actions.py: action_rows`` and ``projections/signed.py:
personal_data_log``), a ``ComplianceReport`` out. The renderings
(JSON, CSV, HTML) live in ``jobs/render.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import date
from typing import Any

from domain.rulesets import WT2018_LOCAL
from jobs.compliance_shapes import (
    PERSONAL_DATA_COUNTS,
    BreachRow,
    ClockTally,
    ComplianceReport,
    OverdueAction,
)

__all__ = ["BreachRow", "ClockTally", "ComplianceReport", "OverdueAction",
           "PERSONAL_DATA_COUNTS", "LADDER", "STATUSES", "compliance"]

STATUSES = ("pending", "at_risk", "met", "met_late", "breached", "not_required")
# The escalation ladder of §13.4 / §21.2, lowest rung first (EVENTS.md action-escalated).
LADDER = ("head_of_service", "chief_officer", "partners")
# Clocks are listed in procedure order (the default rule set's); any other id follows,
# alphabetically, so a later rule set's new clock still shows.
CLOCK_ORDER: tuple[str, ...] = tuple(rule.id for rule in WT2018_LOCAL.clocks)


def _date(value: Any, where: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expected a YYYY-MM-DD date, got {value!r}") from None


def _clock_key(clock_id: str) -> tuple[int, str]:
    try:
        return (CLOCK_ORDER.index(clock_id), "")
    except ValueError:
        return (len(CLOCK_ORDER), clock_id)


def _tally(clock_id: str, statuses: Iterable[str]) -> ClockTally:
    n = {s: 0 for s in STATUSES}
    for s in statuses:
        n[s] += 1
    pending = n["pending"] + n["at_risk"]
    return ClockTally(
        clock=clock_id,
        due=n["met"] + n["met_late"] + n["breached"] + pending,
        met_on_time=n["met"], met_late=n["met_late"], breached=n["breached"],
        pending=pending, at_risk=n["at_risk"], not_required=n["not_required"],
    )


def _sum(tallies: Iterable[ClockTally]) -> ClockTally:
    keys = [f.name for f in fields(ClockTally) if f.name != "clock"]
    acc = dict.fromkeys(keys, 0)
    for t in tallies:
        for k in keys:
            acc[k] += getattr(t, k)
    return ClockTally(clock="total", **acc)


def _escalation_level(escalations: Iterable[Mapping[str, Any]]) -> str | None:
    best: tuple[int, int, str] | None = None
    for i, e in enumerate(escalations):
        rank = LADDER.index(e["level"]) if e["level"] in LADDER else -1
        if best is None or (rank, i) > best[:2]:
            best = (rank, i, e["level"])
    return best[2] if best else None


def compliance(
    clocks: Iterable[Mapping[str, Any]],
    actions: Iterable[Mapping[str, Any]],
    period_from: date,
    period_to: date,
    as_of: date,
    partnership: str,
    personal_data: Iterable[Mapping[str, Any]] = (),
    cosignatures: Iterable[Mapping[str, Any]] = (),
) -> ComplianceReport:
    """The compliance report for ``[period_from, period_to]`` (both days included).

    Clocks (rows of ``clock_row``, judged at the end of ``as_of``; pass rows computed at
    the same ``as_of``):
    - a clock counts in the period when its ``due_on`` falls within the period; a clock
      without a due date is never counted. Action ladder clocks (``action_head_of_service``,
      ``action_chief_officer``, one per action) count like any other clock;
    - per clock id: ``met_on_time`` (status met), ``met_late`` (met_late), ``breached``,
      ``pending`` (pending or at_risk; ``at_risk`` also counted on its own),
      ``not_required`` (counted, but *not* part of ``due``: a duty that fell away was not
      due), and ``due`` = met_on_time + met_late + breached + pending;
    - ``timeliness`` = met_on_time / (due - pending), i.e. on time as a share of the clocks
      whose outcome is known; None when that is zero;
    - ``totals`` sums every clock id; clock ids come in procedure order, unknown ids after.
    - ``breaches``: each clock due in the period that was breached or met late, plus each
      whose breach *alert* was superseded by a late-recorded stop (status met or
      not_required, ``superseded`` true: PROCEDURE.md keeps the alert visible); sorted by
      due date, then case, clock and action.
    - ``rule_sets``/``calendars``: those named by the clocks counted in the period.

    Actions (rows of ``action_rows``): ``exceptions`` are the actions still open whose
    deadline in force is before ``as_of`` (overdue at ``as_of``, whatever the period: an
    overdue action is a standing issue), with the original and current deadline, days
    overdue (``as_of`` - deadline), escalations and the highest rung reached; sorted by
    deadline (most overdue first), then case and action. ``actions`` counts ``total``,
    ``open``, ``completed``, ``not_implemented``, ``overdue`` and ``overdue_escalated``.

    Personal data (rows ``{"type", "on"}``, ``on`` the London day the event was recorded):
    ``personal_data`` counts the ``accessed``, ``disclosed`` and ``erased`` events recorded
    in the period (both days included); other types are ignored.

    Co-signatures (rows of ``late_cosignatures`` at ``as_of``): ``cosignatures_late`` are
    the joint decisions that occurred in the period and were not fully co-signed by the
    end of their 5th working day, still pending or completed late; by decision date.
    """
    if period_from > period_to:
        raise ValueError(f"period_from {period_from} is after period_to {period_to}")
    by_clock: dict[str, list[str]] = {}
    breaches: list[BreachRow] = []
    rule_sets: set[str] = set()
    calendars: set[str] = set()
    for row in clocks:
        status = row["status"]
        if status not in STATUSES:
            raise ValueError(f"clock {row['clock']!r} of {row['case']!r}: "
                             f"unknown status {status!r}")
        due_on = _date(row["due_on"], "due_on")
        if due_on is None or not period_from <= due_on <= period_to:
            continue
        by_clock.setdefault(row["clock"], []).append(status)
        if row.get("rule_set"):
            rule_sets.add(row["rule_set"])
        if row.get("calendar"):
            calendars.add(row["calendar"])
        superseded = bool(row.get("breach_superseded"))
        if status in ("breached", "met_late") or superseded:
            breaches.append(BreachRow(
                case=row["case"], clock=row["clock"], action=row.get("action"),
                due_on=due_on.isoformat(), status=status, met_on=row.get("met_on"),
                recorded_late=bool(row.get("recorded_late")), superseded=superseded,
                paragraph=row.get("paragraph"), start_assumed=row.get("start_assumed"),
            ))
    tallies = tuple(_tally(c, by_clock[c]) for c in sorted(by_clock, key=_clock_key))
    breaches.sort(key=lambda b: (b.due_on, b.case, _clock_key(b.clock), b.action or ""))

    counts = dict.fromkeys(
        ("total", "open", "completed", "not_implemented", "overdue", "overdue_escalated"), 0)
    exceptions: list[OverdueAction] = []
    for row in actions:
        counts["total"] += 1
        if row["status"] in counts:
            counts[row["status"]] += 1
        deadline = _date(row["deadline"], "deadline")
        if row["status"] != "open" or deadline is None or deadline >= as_of:
            continue
        escalations = tuple({"level": e["level"], "on": e["on"]}
                            for e in row.get("escalations") or ())
        original = _date(row.get("original_deadline") or row["deadline"],
                         "original_deadline").isoformat()
        exceptions.append(OverdueAction(
            case=row["case"], action=row["action"], agency=row.get("agency"),
            owner=row.get("owner"), original_deadline=original,
            deadline=deadline.isoformat(), extended=original != deadline.isoformat(),
            days_overdue=(as_of - deadline).days, escalations=escalations,
            escalation_level=_escalation_level(escalations),
            responses=int(row.get("responses") or 0),
        ))
        counts["overdue"] += 1
        counts["overdue_escalated"] += bool(escalations)
    exceptions.sort(key=lambda e: (e.deadline, e.case, e.action))

    personal = dict.fromkeys(PERSONAL_DATA_COUNTS.values(), 0)
    for row in personal_data:
        key = PERSONAL_DATA_COUNTS.get(row["type"])
        on = _date(row["on"], "on")
        if key is not None and on is not None and period_from <= on <= period_to:
            personal[key] += 1

    return ComplianceReport(
        partnership=partnership, period_from=period_from, period_to=period_to,
        as_of=as_of, clocks=tallies, totals=_sum(tallies), breaches=tuple(breaches),
        exceptions=tuple(exceptions), actions=counts,
        rule_sets=tuple(sorted(rule_sets)), calendars=tuple(sorted(calendars)),
        personal_data=personal,
        cosignatures_late=tuple(sorted(
            (dict(c) for c in cosignatures
             if period_from <= date.fromisoformat(c["occurred_on"]) <= period_to),
            key=lambda c: (c["occurred_on"], c["case"], c["position"]))),
    )
