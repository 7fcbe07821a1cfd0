"""The compliance report's shapes (jobs.compliance computes them): a clock's tally, a breach
row, an overdue action, the report, and the report's JSON both ways (``as_json`` /
``from_json``: the nightly's stored report reads back as it was written).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any

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
    # The rule's reason when the clock ran from an assumed start (a fallback: the event it
    # should run from was not recorded); a reader must know the breach rests on it.
    start_assumed: str | None = None


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
