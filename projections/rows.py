"""The rows each read model holds for one folded case."""

from __future__ import annotations

import json
from typing import Any

from projections import tables as T
from projections.actions import action_rows
from projections.case_view import CaseView, decision_rows, stage_of


def case_rows(v: CaseView) -> list[tuple[Any, list[dict[str, Any]]]]:
    """The rows of every read model for one folded case."""
    facts = v.facts
    referral = next(f for f in facts if f.type == "incident-referred")
    threshold = next((f for f in facts if f.type == "threshold-decided"), None)
    breached = {(f.data["clock"], f.data["due_on"]) for f in facts
                if f.type == "deadline-breached"}
    iso = (lambda d: d.isoformat() if d else None)
    case_row = {
        "case_ref": v.case, "stage": stage_of(facts), "opened_on": v.opened_on,
        "events": len(facts), "rule_set": v.rule_set.name, "harm": referral.data["harm"],
        "threshold": None if threshold is None else
        ("met" if threshold.data["meets_threshold"] else "not_met"),
        "last_position": facts[-1].position,
    }
    clock_rows = [{
        "case_ref": v.case, "clock": c.clock, "action": c.action or "", "seq": i,
        "starts_on": iso(c.starts_on), "due_on": iso(c.due_on),
        "at_risk_on": iso(c.at_risk_on),
        "horizon_status": "open" if c.status == "breached" else c.status,
        "met_on": iso(c.met_on), "recorded_late": c.recorded_late,
        "breach_superseded": c.breach_superseded,
        "breach_recorded": (c.clock, iso(c.due_on)) in breached,
        "rule_set": c.rule_set, "calendar": c.calendar, "paragraph": c.paragraph,
        "original_due_on": iso(c.original_due_on),
        "unit": v.rule_set.clock(c.clock).unit,
        "start_assumed": c.start_assumed,
    } for i, c in enumerate(v.clocks)]
    action_values = [{**{k: a[k] for k in ("action", "agency", "owner", "original_deadline",
                                           "deadline", "status", "completed_on",
                                           "responses")},
                      "case_ref": v.case, "seq": i,
                      "escalations": json.dumps(a["escalations"])}
                     for i, a in enumerate(action_rows(v.case, facts))]
    decision_values = [{
        "position": d["position"], "case_ref": v.case, "decision": d["decision"],
        "outcome": json.dumps(d["outcome"]),
        "rationale": d["rationale"], "decided_by": json.dumps(d["decided_by"]),
        "action": d["action"], "recorded_by": d["recorded_by"], "key_id": d["key_id"],
        "occurred_at": d["occurred_at"], "recorded_at": d["recorded_at"],
        "recorded_late": d["recorded_late"],
        "child_death_review_ref": d["child_death_review_ref"],
        "cosigners": json.dumps(d["cosigners"]), "signatures": json.dumps(d["signatures"]),
        "pending": json.dumps(d["pending"]),
    } for d in decision_rows(v.case, facts)]
    chronology_values = [{
        "position": f.position, "case_ref": v.case, "agency": f.data["agency"],
        "event_at": f.data["event_at"], "source": f.data["source"],
        "child_seen": f.data["child_seen"], "recorded_by": f.actor,
        "personal_fields": json.dumps(list(f.personal_fields)),
    } for f in facts if f.type == "chronology-entry-added"]
    return [(T.cases, [case_row]), (T.clocks, clock_rows), (T.actions, action_values),
            (T.decisions, decision_values), (T.chronology, chronology_values)]
