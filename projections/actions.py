"""The action log: each improvement action with its original and current deadlines, its
status and its escalations (§13.4, §21-23)."""

from __future__ import annotations

from typing import Any, Sequence

from projections.source import LedgerFact


def action_rows(case: str, facts: Sequence[LedgerFact]) -> list[dict[str, Any]]:
    actions: dict[str, dict[str, Any]] = {}
    for f in facts:
        ref = f.action
        if ref is None:
            continue
        if f.type == "action-agreed":
            actions[ref] = {
                "case": case, "action": ref, "agency": f.data["agency"],
                "owner": f.data["owner"], "original_deadline": f.data["deadline"],
                "deadline": f.data["deadline"], "status": "open", "completed_on": None,
                "escalations": [], "responses": 0,
            }
            continue
        row = actions.get(ref)
        if row is None:
            continue
        if f.type == "action-extended":
            row["deadline"] = f.data["new_deadline"]
        elif f.type == "action-completed":
            row["status"], row["completed_on"] = "completed", f.data["on"]
        elif f.type == "action-not-implemented":
            row["status"] = "not_implemented"
        elif f.type == "action-escalated":
            row["escalations"].append({"level": f.data["level"], "on": f.data["on"]})
        elif f.type == "escalation-responded":
            row["responses"] += 1
    return list(actions.values())
