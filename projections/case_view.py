"""A case as a scrutineer reads it, folded directly from its facts: stage, key dates,
decisions (with rationale, who, which key, when) and every clock.

Pure: given the facts, the rule set and the calendar, the same view comes out, which is
what makes as-of replays and projection rebuilds comparable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Sequence

from domain.calendar import WorkingDayCalendar
from domain.clocks import ClockState, Fact
from domain.flags import agency_information, publication_delay
from domain.rulesets import RuleSet
from projections.clock_index import indexed_clocks, read_by
from projections.cosignatures import awaiting_cosignature, cosignatures_by_position, signing_of
from projections.source import LedgerFact

# Milestones in procedure order; a case's stage is the furthest one it has reached.
STAGES: tuple[tuple[str, str], ...] = (
    ("incident-referred", "referred"),
    ("threshold-decided", "threshold_decided"),
    ("national-panel-notified", "national_panel_notified"),
    ("learning-route-decided", "learning_route"),
    ("rapid-review-held", "rapid_review_held"),
    ("review-level-decided", "review_level_decided"),
    ("review-commissioned", "lcspr_in_progress"),
    ("final-report-signed-off", "report_signed_off"),
    ("publication-declined", "publication_declined"),
    ("report-published", "published"),
    ("case-closed", "closed"),
)
_STAGE_ORDER = {t: i for i, (t, _) in enumerate(STAGES)}

# The decisions of PROCEDURE.md's table and the field that states each outcome.
DECISIONS: dict[str, str] = {
    "threshold-decided": "meets_threshold",
    "rapid-review-held": "recommendation",
    "review-level-decided": "level",
    "national-panel-decided": "national_review",
    "learning-route-decided": "option",
    "learning-route-approved": "approved",
    "review-commissioned": "methodology",
    "publication-planned": "mode",
    "publication-declined": "justification",
    "action-extended": "new_deadline",
    "case-closed": "reason",
    # Issue 11 item 12: every decision-bearing event is in the trail.
    "final-report-signed-off": "on",
    "publication-delay-notified": "recipients",
    "action-not-implemented": "action",
    "action-escalated": "level",
    "escalation-responded": "level",
    # Issue 11 item 8: the further paths' decisions (domain/catalogue_paths.py): telling
    # the family and whether consent was sought (§16.1), the partners' supervision of the
    # reviewer (§12.5), the media strategy (§20.1), the answer to the coroner (§17.4).
    "family-informed": "consent",
    "reviewer-supervision-recorded": "progress_satisfactory",
    "media-strategy-approved": "considered_by",
    "coroner-request-answered": "outcome",
}
# Where each decision's reasons are: the first of these its data holds (issue 11 item 12).
_WHY = ("rationale", "justification", "reason", "response")
# Who decided, where the event names them (§21.1: the sign-off's signatories).
_WHO = ("decided_by", "signatories")


def stage_of(facts: Sequence[LedgerFact]) -> str:
    reached = [_STAGE_ORDER[f.type] for f in facts if f.type in _STAGE_ORDER]
    return STAGES[max(reached)][1] if reached else "unknown"


def clock_facts(facts: Sequence[LedgerFact]) -> list[Fact]:
    return [Fact(f.type, f.data, f.occurred_on, f.recorded_on, f.action) for f in facts]


def clocks_of(facts: Sequence[LedgerFact], rule_set: RuleSet,
              calendar: WorkingDayCalendar, as_of: date) -> list[ClockState]:
    # domain.clocks.compute_clocks's answer, with the facts indexed by type once so that
    # each clock reads only its own (projections.clock_index): linear in the facts.
    types = read_by(rule_set)
    return indexed_clocks(clock_facts([f for f in facts if f.type in types]), rule_set,
                          calendar, as_of)


def _outcome(f: LedgerFact) -> Any:
    value = f.data.get(DECISIONS[f.type])
    if f.type == "threshold-decided":
        return "met" if value else "not met"
    if f.type == "reviewer-supervision-recorded":  # §12.5: progress and quality, both
        def word(v: Any) -> str:
            return ("satisfactory" if v else "not satisfactory") if isinstance(v, bool) else "-"
        return f"progress {word(value)}, quality {word(f.data.get('quality_satisfactory'))}"
    return value


def _first(f: LedgerFact, names: tuple[str, ...]) -> Any:
    return next((f.data[n] for n in names if f.data.get(n)), None)


def decision_rows(case: str, facts: Sequence[LedgerFact]) -> list[dict[str, Any]]:
    rows = []
    cosigs = cosignatures_by_position(facts)
    for f in facts:
        if f.type not in DECISIONS:
            continue
        rows.append({
            "case": case, "position": f.position, "decision": f.type,
            "outcome": _outcome(f), "rationale": _first(f, _WHY),
            "decided_by": _first(f, _WHO),
            "action": f.action, "recorded_by": f.actor, "key_id": f.key_id,
            "occurred_at": f.occurred_at, "recorded_at": f.recorded_at.isoformat(),
            "recorded_late": f.recorded_on > f.occurred_on,
            # §4.3, §10.5: the Child Death Review a closure refers to.
            "child_death_review_ref": f.data.get("child_death_review_ref"),
            # Issue 11 item 7: the recorder's signature, each co-signature, who is pending.
            **signing_of(f, cosigs),
        })
    return rows


def erasure_of(facts: Sequence[LedgerFact]) -> dict[str, Any] | None:
    """The case's personal-data erasure (issue 10), as ``case show`` states it."""
    for f in facts:
        if f.type == "personal-data-erased":
            return {"on": f.data["erased_on"], "by": f.actor,
                    "cosigned_by": f.data["cosigned_by"], "reason": f.data["reason"],
                    "position": f.position}
    return None


def clock_row(case: str, c: ClockState) -> dict[str, Any]:
    iso = (lambda d: d.isoformat() if d else None)
    return {
        "case": case, "clock": c.clock, "action": c.action, "starts_on": iso(c.starts_on),
        "due_on": iso(c.due_on), "at_risk_on": iso(c.at_risk_on), "status": c.status,
        "met_on": iso(c.met_on), "recorded_late": c.recorded_late,
        "breach_superseded": c.breach_superseded, "rule_set": c.rule_set,
        "calendar": c.calendar, "paragraph": c.paragraph,
        "original_due_on": iso(c.original_due_on), "start_assumed": c.start_assumed,
    }


@dataclass(frozen=True)
class CaseView:
    case: str
    facts: tuple[LedgerFact, ...]
    rule_set: RuleSet
    clocks: tuple[ClockState, ...]
    # Issue 11 item 7: joint decisions still awaiting a co-signature, judged that day.
    awaiting: tuple[dict[str, Any], ...] = ()

    @classmethod
    def fold(cls, case: str, facts: Sequence[LedgerFact], rule_set: RuleSet,
             calendar: WorkingDayCalendar, as_of: date) -> "CaseView":
        return cls(case, tuple(facts), rule_set,
                   tuple(clocks_of(facts, rule_set, calendar, as_of)),
                   tuple(awaiting_cosignature(facts, calendar, as_of)))

    @property
    def opened_on(self) -> str | None:
        for f in self.facts:
            if f.type == "incident-referred":
                return f.data["received_on"]
        return None

    def as_json(self) -> dict[str, Any]:
        return {
            "case": self.case, "stage": stage_of(self.facts), "events": len(self.facts),
            "opened_on": self.opened_on, "rule_set": self.rule_set.name,
            "decisions": decision_rows(self.case, self.facts),
            "awaiting_cosignature": list(self.awaiting),
            "clocks": [clock_row(self.case, c) for c in self.clocks],
            "personal_data_erased": erasure_of(self.facts),
            # §8.4 (issue 11): agency information older than the 3-year look-back, flagged.
            "agency_information": agency_information(self.facts),
            # §19.1 (issue 11): a planned publication after the due date, with the reasons.
            "publication_delay": publication_delay(self.facts, self.clocks),
        }
