"""Made-up case histories, step by step, built from the catalogue's valid examples.

Each step is (actor, type, data overrides, occurred date). Paths follow PROCEDURE.md; dates
follow the real England calendar around Christmas 2025.
"""

from __future__ import annotations

from typing import Any

from tests.domain.examples import VALID_EXAMPLES
from tests.helpers import Ledger

Step = tuple[str, str, dict[str, Any], str]


def data(type_name: str, **overrides: Any) -> dict[str, Any]:
    base = dict(VALID_EXAMPLES[type_name])
    for key, value in overrides.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


REFERRAL_STEPS: list[Step] = [
    ("bu1", "incident-referred", {"aware_on": "2025-12-18", "received_on": "2025-12-18",
                                  "incident_on": "2025-12-17"}, "2025-12-18"),
    ("bu1", "reported-to-partners", {"on": "2025-12-19"}, "2025-12-19"),
]

THRESHOLD_MET_PATH: list[Step] = REFERRAL_STEPS + [
    ("p1", "threshold-decided", {}, "2025-12-22"),
    ("bu1", "national-panel-notified", {"on": "2025-12-22"}, "2025-12-22"),
    ("bu1", "referrer-informed", {"on": "2025-12-23"}, "2025-12-23"),
    ("bu1", "notification-acknowledged", {"on": "2025-12-23"}, "2025-12-23"),
    ("ag1", "agency-information-received", {}, "2026-01-05"),
    ("p1", "rapid-review-held", {"on": "2026-01-08"}, "2026-01-08"),
    ("bu1", "rapid-review-sent-to-panel", {"on": "2026-01-12"}, "2026-01-12"),
    ("p1", "review-level-decided", {}, "2026-01-14"),
    ("bu1", "national-panel-decided", {}, "2026-01-16"),
    ("p1", "review-commissioned", {"decided_on": "2026-01-20"}, "2026-01-20"),
    ("p1", "terms-of-reference-agreed", {"on": "2026-02-02"}, "2026-02-02"),
    ("p1", "governance-group-met", {"on": "2026-02-02", "purpose": "establish"}, "2026-02-02"),
    ("p1", "parallel-process-registered", {}, "2026-02-03"),
    ("rev", "family-engagement-recorded", {}, "2026-02-10"),
    ("ag1", "chronology-entry-added", {}, "2026-02-11"),
    ("rev", "governance-group-met", {"on": "2026-03-16", "purpose": "monitor"}, "2026-03-16"),
    ("rev", "draft-report-presented", {"on": "2026-05-01"}, "2026-05-01"),
    ("p1", "governance-group-met", {"on": "2026-05-11", "purpose": "finalise"}, "2026-05-11"),
    ("scrut", "final-report-signed-off", {"on": "2026-05-20"}, "2026-05-20"),
    ("p1", "publication-planned", {"planned_on": "2026-07-01"}, "2026-05-21"),
    ("p1", "publication-delay-notified", {}, "2026-05-22"),
    ("bu1", "report-sent-before-publication", {"on": "2026-06-19"}, "2026-06-19"),
    ("bu1", "report-published", {"on": "2026-07-01"}, "2026-07-01"),
    ("ldc", "action-agreed", {"action": "R1", "deadline": "2026-09-30"}, "2026-07-02"),
    ("ldc", "action-agreed", {"action": "R2", "deadline": "2026-08-31"}, "2026-07-02"),
    ("ag1", "action-updated", {"action": "R1"}, "2026-08-01"),
    ("ldc", "action-extended", {"action": "R1", "new_deadline": "2026-10-30"}, "2026-09-20"),
    ("ldc", "action-escalated", {"action": "R2", "level": "partners", "on": "2026-09-10"},
     "2026-09-10"),
    ("ag1", "escalation-responded", {"action": "R2", "level": "partners"}, "2026-09-11"),
    ("ag1", "action-completed", {"action": "R1", "on": "2026-10-15"}, "2026-10-15"),
    ("p1", "action-not-implemented", {"action": "R2"}, "2026-10-16"),
]

LEARNING_PATH: list[Step] = REFERRAL_STEPS + [
    ("p1", "threshold-decided", {"meets_threshold": False, "learning_potential": True},
     "2025-12-22"),
    ("bu1", "referrer-informed", {"on": "2025-12-23"}, "2025-12-23"),
    ("ldc", "learning-route-decided", {"meeting_on": "2026-01-15"}, "2026-01-15"),
    ("p1", "learning-route-approved", {}, "2026-01-20"),
    ("p1", "case-closed", {"child_death_review_ref": None}, "2026-03-02"),
]


def play(lg: Ledger, case: str, steps: list[Step]) -> None:
    for actor, type_name, overrides, occurred in steps:
        lg.record(actor, type_name, case, data(type_name, **overrides), occurred)
