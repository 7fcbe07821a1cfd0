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
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any

from domain.rulesets import WT2018_LOCAL

STATUSES = ("pending", "at_risk", "met", "met_late", "breached", "not_required")
# The escalation ladder of §13.4 / §21.2, lowest rung first (EVENTS.md action-escalated).
LADDER = ("head_of_service", "chief_officer", "partners")
# Clocks are listed in procedure order (the default rule set's); any other id follows,
# alphabetically, so a later rule set's new clock still shows.
CLOCK_ORDER: tuple[str, ...] = tuple(rule.id for rule in WT2018_LOCAL.clocks)
# The record of who read personal data (issue 10): event type -> its count's key.
PERSONAL_DATA_COUNTS = {"personal-data-accessed": "accessed",
                        "personal-data-disclosed": "disclosed",
                        "personal-data-erased": "erased"}


@dataclass(frozen=True)
class ClockTally:
    """Counts for one clock id over the clocks due in the period (or for all, ``clock``
    = ``"total"``). ``due`` excludes ``not_required``; ``pending`` includes ``at_risk``."""

    clock: str
    due: int = 0
    met_on_time: int = 0
    met_late: int = 0
    breached: int = 0
    pending: int = 0
    at_risk: int = 0
    not_required: int = 0

    @property
    def decided(self) -> int:
        """Clocks whose outcome is known: met on time, met late or breached."""
        return self.due - self.pending

    @property
    def timeliness(self) -> float | None:
        """met_on_time / (due - pending); None when no clock in the period was decided."""
        return self.met_on_time / self.decided if self.decided else None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "timeliness": self.timeliness}


@dataclass(frozen=True)
class BreachRow:
    case: str
    clock: str
    action: str | None
    due_on: str
    status: str  # breached | met_late; met | not_required when only the alert stands
    met_on: str | None
    recorded_late: bool
    superseded: bool  # a breach alert the facts now contradict (PROCEDURE.md)
    paragraph: str | None


@dataclass(frozen=True)
class OverdueAction:
    case: str
    action: str
    agency: str | None
    owner: str | None
    original_deadline: str
    deadline: str
    extended: bool
    days_overdue: int
    escalations: tuple[dict[str, str], ...]
    escalation_level: str | None  # the highest rung reached, None if never escalated
    responses: int

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "escalations": [dict(e) for e in self.escalations]}


@dataclass(frozen=True)
class ComplianceReport:
    partnership: str
    period_from: date
    period_to: date
    as_of: date
    clocks: tuple[ClockTally, ...]
    totals: ClockTally
    breaches: tuple[BreachRow, ...]
    exceptions: tuple[OverdueAction, ...]
    actions: dict[str, int] = field(default_factory=dict)
    rule_sets: tuple[str, ...] = ()
    calendars: tuple[str, ...] = ()
    # Accesses, disclosures and erasures of personal data recorded in the period.
    personal_data: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(PERSONAL_DATA_COUNTS.values(), 0))
    # Issue 11 item 7 (§8.9, §21.1): joint decisions not fully co-signed after 5 WD
    # (rows of projections/cosignatures.py: late_cosignatures).
    cosignatures_late: tuple[dict[str, Any], ...] = ()

    def as_json(self) -> dict[str, Any]:
        """Plain JSON types only: str, int, float, bool, None, list, dict."""
        return {
            "partnership": self.partnership,
            "period": {"from": self.period_from.isoformat(),
                       "to": self.period_to.isoformat()},
            "as_of": self.as_of.isoformat(),
            "clocks": [t.as_json() for t in self.clocks],
            "totals": self.totals.as_json(),
            "breaches": [asdict(b) for b in self.breaches],
            "exceptions": [e.as_json() for e in self.exceptions],
            "actions": dict(self.actions),
            "rule_sets": list(self.rule_sets),
            "calendars": list(self.calendars),
            "personal_data": dict(self.personal_data),
            "cosignatures_late": [dict(c) for c in self.cosignatures_late],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ComplianceReport":
        """The inverse of ``as_json`` (derived figures such as timeliness are recomputed)."""
        tally_keys = {f.name for f in fields(ClockTally)}

        def tally(d: Mapping[str, Any]) -> ClockTally:
            return ClockTally(**{k: v for k, v in d.items() if k in tally_keys})

        return cls(
            partnership=data["partnership"],
            period_from=date.fromisoformat(data["period"]["from"]),
            period_to=date.fromisoformat(data["period"]["to"]),
            as_of=date.fromisoformat(data["as_of"]),
            clocks=tuple(tally(t) for t in data["clocks"]),
            totals=tally(data["totals"]),
            breaches=tuple(BreachRow(**b) for b in data["breaches"]),
            exceptions=tuple(
                OverdueAction(**{**e, "escalations": tuple(
                    {"level": x["level"], "on": x["on"]} for x in e["escalations"])})
                for e in data["exceptions"]),
            actions=dict(data["actions"]),
            rule_sets=tuple(data["rule_sets"]),
            calendars=tuple(data["calendars"]),
            # A report written before issue 10 has no such counts: none were kept then.
            **({"personal_data": dict(data["personal_data"])}
               if "personal_data" in data else {}),
            cosignatures_late=tuple(dict(c) for c in data.get("cosignatures_late", ())),
        )


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
                paragraph=row.get("paragraph"),
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
