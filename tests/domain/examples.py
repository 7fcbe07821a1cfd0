"""One valid data dict per event type, for any test that needs to record an event.

Values are obviously made up ("Agency A", "Testchild Example"): no real person or agency.
Every optional field is filled in so that tests reading these exercise the whole shape
(personal fields included); the defaults are exercised in tests/domain/test_catalogue.py.
The dates follow one plausible case around Thu 18 Dec 2025 (the PROCEDURE.md example), and
threshold-decided meets the threshold, so a test replaying the examples in order walks the
happy path rather than tripping the procedure's rules.
"""

from __future__ import annotations

from typing import Any

_KEY = "ab" * 32  # 64 hex characters, not a real Ed25519 key
_HASH_A = "0123456789abcdef" * 4
_HASH_B = "fedcba9876543210" * 4

VALID_EXAMPLES: dict[str, dict[str, Any]] = {
    # Referral and notification
    "incident-referred": {
        "referring_agency": "Agency A",
        "received_on": "2025-12-18",
        "aware_on": "2025-12-18",
        "incident_on": "2025-12-17",
        "harm": "serious_harm",
        "location": "in_area",
        "abuse_or_neglect": "suspected",
        "looked_after": False,
        "care_leaver_age": 19,
        "child": {
            "name": "Testchild Example",
            "dob": "2015-06-01",
            "address": "1 Example Street, Testtown",
        },
        "summary": "Made-up summary of a made-up incident.",
    },
    "reported-to-partners": {"on": "2025-12-19"},
    "threshold-decided": {
        "meets_threshold": True,
        "learning_potential": True,
        "rationale": "Made-up rationale: criteria in §7.1 met.",
        "decided_by": ["Partner A (LA)", "Partner B (ICB)", "Partner C (Police)"],
        "information_considered": "Referral form from Agency A.",
    },
    "national-panel-notified": {"on": "2025-12-22", "reference": "NP-TEST-0001"},
    "referrer-informed": {"on": "2025-12-23"},
    "notification-acknowledged": {"on": "2025-12-23"},
    "looked-after-death-notified": {"on": "2025-12-22", "recipients": ["dfe", "ofsted"]},
    # Rapid Review and decisions
    "agency-information-received": {
        "agency": "Agency B",
        "completed_by": "Officer B, Safeguarding Lead",
        "involvement_from": "2024-01-10",
        "involvement_to": "2025-12-17",
        "nature_of_involvement": "Made-up involvement notes.",
        "facts_known": "Made-up facts.",
    },
    "rapid-review-held": {
        "on": "2026-01-08",
        "chair": "Partner A (LA)",
        "present": ["Partner A (LA)", "Officer B (Agency B)", "Officer C (Agency C)"],
        "apologies": ["Officer D (Agency D)"],
        "immediate_action_needed": False,
        "immediate_actions": "None needed.",
        "improvements_identified": "Made-up improvement.",
        "national_importance_factors": "None identified.",
        "recommendation": "lcspr",
        "rationale": "Made-up rationale for an LCSPR.",
        "next_steps": "Partners to decide the level of review.",
    },
    "rapid-review-sent-to-panel": {"on": "2026-01-12", "includes_minutes": True},
    "review-level-decided": {
        "level": "lcspr",
        "rationale": "Made-up rationale for the level.",
        "decided_by": ["Partner A (LA)", "Scrutineer S"],
    },
    "national-panel-decided": {
        "national_review": False,
        "further_information_requested": False,
        "rationale": "Local review more appropriate.",
    },
    "learning-route-decided": {
        "option": "multi_agency_audit",
        "rationale": "Made-up rationale for an audit.",
        "meeting_on": "2026-01-15",
        "agencies_present": ["Agency A", "Agency B"],
    },
    "learning-route-approved": {"approved": True, "rationale": "Route agreed."},
    "case-closed": {
        "reason": "no further action",
        "rationale": "Made-up closing rationale.",
        "child_death_review_ref": "CDR-TEST-0001",
    },
    # Issue 11 item 8: the further paths (domain/catalogue_paths.py)
    "national-panel-information-requested": {
        "on": "2026-01-16",
        "requested": "Made-up request: each agency's involvement since 2024.",
    },
    "national-panel-information-sent": {
        "on": "2026-01-19",
        "summary": "Made-up summary of the agencies' returns sent to the Panel.",
    },
    "national-review-scope-discussed": {
        "on": "2026-01-23",
        "scope": "Made-up scope: the two years before the incident.",
        "methodology": "Made-up methodology: practitioner events.",
        "engagement": "Made-up engagement: monthly calls with the partners.",
    },
    "family-informed": {
        "on": "2025-12-23",
        "decision": "threshold",
        "informed_by": "Social Worker S (LA)",
        "consent": "not_sought",
        "rationale": "Made-up reason consent was not sought.",
        "notes": "Made-up notes of what the family said.",
    },
    "learning-outcome-shared": {
        "on": "2026-01-16",
        "shared_with": ["Partner A (LA)", "Partner B (ICB)"],
        "notes": "Made-up note on sharing the outcome.",
    },
    "reviewer-progress-requested": {
        "on": "2026-03-02",
        "request": "Made-up written request for a progress update.",
    },
    "reviewer-supervision-recorded": {
        "on": "2026-03-16",
        "progress_satisfactory": True,
        "quality_satisfactory": True,
        "rationale": "Made-up assessment: on time and well evidenced.",
    },
    "media-strategy-approved": {
        "on": "2026-02-02",
        "considered_by": "governance_group",
        "summary": "Made-up strategy: the LA communications team coordinates.",
    },
    "coroner-request-received": {
        "on": "2026-04-01",
        "documents": "Made-up request: the chronology and the draft report.",
        "coroner_reference": "HMC-TEST-0001",
    },
    "coroner-request-answered": {
        "on": "2026-04-20",
        "legal_advice_on": "2026-04-14",
        "outcome": "partly_disclosed",
        "rationale": "Made-up rationale: the chronology disclosed, the draft withheld.",
    },
    # Local Child Safeguarding Practice Review
    "review-commissioned": {
        "decided_on": "2026-01-20",
        "methodology": "action_learning",
        "reviewer": "Reviewer R",
        "reviewer_independent": True,
        "conflict_of_interest": "None declared.",
    },
    "terms-of-reference-agreed": {"on": "2026-02-02"},
    "governance-group-met": {
        "on": "2026-02-02",
        "purpose": "establish",
        "attendees": ["Partner A (LA)", "Reviewer R"],
    },
    "parallel-process-registered": {
        "kind": "coroner",
        "coordination": "Reviewer R keeps in touch with the coroner's office.",
    },
    "family-engagement-recorded": {
        "consent": "not_sought",
        "rationale": "Made-up reason consent was not sought.",
        "notes": "Made-up family notes.",
    },
    "chronology-entry-added": {
        "agency": "Agency B",
        "event_at": "2025-11-03T09:15:00+00:00",
        "significant_event": "Made-up home visit.",
        "source": "Agency B case file",
        "who_involved": "Testchild Example, Officer B",
        "decisions_outcome": "Made-up outcome.",
        "child_seen": True,
        "child_views": "Made-up views.",
        "author_comments": "Made-up comment.",
    },
    "draft-report-presented": {"on": "2026-05-01"},
    "final-report-signed-off": {
        "on": "2026-05-20",
        "signatories": ["Partner A (LA)", "Scrutineer S"],
    },
    "publication-planned": {"planned_on": "2026-07-01", "mode": "full"},
    "report-sent-before-publication": {
        "on": "2026-06-19",
        "recipients": ["national_panel", "secretary_of_state", "ofsted"],
    },
    "publication-delay-notified": {
        "reason": "Made-up criminal proceedings.",
        "recipients": ["national_panel", "secretary_of_state"],
    },
    "report-published": {
        "on": "2026-07-01",
        "mode": "full",
        "url": "https://example.org/reports/test-lcspr",
    },
    "publication-declined": {"on": "2026-07-01", "justification": "Made-up justification."},
    "report-withdrawn": {"on": "2027-08-01", "reason": "Made-up reason."},
    # Improvement actions
    "action-agreed": {
        "action": "R1.1",
        "agency": "Agency B",
        "owner": "Manager M (Agency B)",
        "description": "Made-up improvement to do.",
        "recommendation": "Recommendation 1",
        "deadline": "2026-09-30",
    },
    "action-updated": {"action": "R1.1", "note": "Made-up progress."},
    "action-completed": {"action": "R1.1", "on": "2026-09-15", "evidence": "Made-up audit."},
    "action-extended": {
        "action": "R1.1",
        "new_deadline": "2026-12-31",
        "requested_by_chief_officer": "Chief Officer C (Agency B)",
        "rationale": "Made-up exceptional circumstances.",
    },
    "action-escalated": {"action": "R1.1", "level": "head_of_service", "on": "2026-12-31"},
    "escalation-responded": {
        "action": "R1.1",
        "level": "head_of_service",
        "response": "Made-up remedial plan.",
    },
    "action-not-implemented": {"action": "R1.1", "reason": "Made-up reason."},
    # Raised by the ledger itself
    "deadline-breached": {
        "clock": "report_to_partners",
        "due_on": "2025-12-19",
        "rule_set": "wt2018-local",
        "calendar": "GB-ENG",
    },
    "actor-registered": {
        "actor": "officer.a",
        "roles": ["business_unit", "agency"],
        "public_key": _KEY,
        "key_id": "officer.a-1",
    },
    "actor-key-rotated": {"actor": "officer.a", "public_key": _KEY, "key_id": "officer.a-2"},
    "actor-revoked": {"actor": "officer.a", "reason": "Made-up reason."},
    "checkpoint-signed": {"size": 42, "root_hash": _HASH_A, "head_hash": _HASH_B,
                          "frontier": [_HASH_A]},
    "ledger-initialised": {
        "partnership": "Example Safeguarding Partnership",
        "rule_set": "wt2018-local",
    },
    "rule-set-adopted": {"rule_set": "wt2023", "effective_from": "2026-04-01"},
    # Issue 11 item 7: recorded by `cspr cosign`, which finds the position and hash.
    "decision-cosigned": {"position": 3, "decision": "threshold-decided",
                          "event_hash": _HASH_A},
    "integrity-alarm-acknowledged": {"position": 7, "kind": "chain",
                                     "action_taken": "Made-up: restored from backup."},
    "checkpoint-cosigned": {"size": 42, "root_hash": _HASH_A,
                            "witness": "witness.example/made-up",
                            "witness_key_hash": "0123abcd", "cosignature": "A" * 102 + "==",
                            "timestamp": 1767225600},
    # Issue 10: who read, disclosed or erased a case's personal data
    "personal-data-accessed": {"purpose": "Made-up: preparing the panel meeting.",
                               "fields": ["child", "summary"], "events": 2},
    "personal-data-disclosed": {"to": "Made-up Coroner's Office", "purpose": "Made-up inquest.",
                                "fields": ["child"]},
    "personal-data-erased": {"reason": "Made-up: retention period ended.",
                             "cosigned_by": "scrutineer.a", "cosignature": "cd" * 64,
                             "erased_on": "2026-01-05"},
    # Issue 11 item 11: the agency directory (domain/catalogue_directory.py).
    "agency-directory-entry-recorded": {
        "agency": "Agency B",
        "head_of_service": {"name": "Officer H (Agency B)", "email": "head.h@agency-b.example"},
        "chief_officer": {"name": "Officer C (Agency B)", "email": "chief.c@agency-b.example"},
        "effective_from": "2026-01-01",
    },
    # Issue 12: a TOTP enrolment names only a hash of the secret.
    "actor-totp-enrolled": {"actor": "p1", "key_id": "0123456789abcdef0123456789abcdef"},
    "ld-chair-contact-recorded": {"name": "Chair L (L&D sub-group)",
                                  "email": "ld.chair@partnership.example",
                                  "effective_from": "2026-01-01"},
}
