"""What changed in a case between two instants of recording, for a challenge review:
the events recorded in between, the clocks whose status changed, the decisions made."""

from __future__ import annotations

from typing import Any

from projections.case_view import CaseView, clock_row, decision_rows


def case_diff(before: CaseView | None, after: CaseView) -> dict[str, Any]:
    known = {f.position for f in before.facts} if before else set()
    added = [f for f in after.facts if f.position not in known]
    old_clocks = {(c.clock, c.action): clock_row(after.case, c)
                  for c in (before.clocks if before else ())}
    changed = []
    for c in after.clocks:
        new = clock_row(after.case, c)
        old = old_clocks.get((c.clock, c.action))
        if old is None or (old["status"], old["due_on"], old["met_on"]) != (
                new["status"], new["due_on"], new["met_on"]):
            changed.append({"clock": c.clock, "action": c.action,
                            "from": old and old["status"], "to": new["status"],
                            "due_on": new["due_on"], "met_on": new["met_on"]})
    return {
        "case": after.case,
        "events_added": [{"position": f.position, "type": f.type, "actor": f.actor,
                          "occurred_at": f.occurred_at,
                          "recorded_at": f.recorded_at.isoformat()} for f in added],
        "clocks_changed": changed,
        "decisions_made": decision_rows(after.case, added),
    }
