"""Made-up demo cases: the procedure's main paths, each dated relative to "today" so a
fresh demo always shows running, broken and met clocks and overdue actions.

Every name here is invented. Steps are (actor, type, day offset from today, data); any
string value "@N" in data is replaced by the date N days from today.
"""

from __future__ import annotations

from typing import Any

Step = tuple[str, str, int, dict[str, Any]]

_REFERRAL = {"referring_agency": "Demo Agency A", "received_on": "@0", "aware_on": "@0",
             "incident_on": "@-1", "harm": "serious_harm", "location": "in_area",
             "abuse_or_neglect": "suspected", "child": {"name": "Demo Child"},
             "summary": "Invented summary for the demonstration."}
_MET = {"meets_threshold": True, "rationale": "Invented: criteria in §7.1 met.",
        "decided_by": ["LA (demo)", "ICB (demo)", "Police (demo)"]}
_NOT_MET = {"meets_threshold": False, "learning_potential": True,
            "rationale": "Invented: below threshold, learning for partners.",
            "decided_by": ["LA (demo)", "ICB (demo)", "Police (demo)"]}


def _ref(start: int, **over: Any) -> dict[str, Any]:
    d = dict(_REFERRAL)
    d.update(over)
    return {k: (f"@{start + int(v[1:])}" if isinstance(v, str) and v.startswith("@") else v)
            for k, v in d.items()}


def _lcspr(s: int) -> list[Step]:
    return [
        ("bu1", "incident-referred", s, _ref(s)),
        ("bu1", "reported-to-partners", s + 1, {"on": f"@{s + 1}"}),
        ("p1", "threshold-decided", s + 4, _MET),
        ("bu1", "national-panel-notified", s + 4, {"on": f"@{s + 4}"}),
        ("bu1", "referrer-informed", s + 6, {"on": f"@{s + 6}"}),
        ("bu1", "notification-acknowledged", s + 6, {"on": f"@{s + 6}"}),
        ("p1", "rapid-review-held", s + 14, {
            "on": f"@{s + 14}", "chair": "Demo Chair", "present": ["Demo Chair", "Agency B"],
            "immediate_action_needed": False, "recommendation": "lcspr",
            "rationale": "Invented: systemic learning likely."}),
        ("bu1", "rapid-review-sent-to-panel", s + 18, {"on": f"@{s + 18}",
                                                       "includes_minutes": True}),
        # §8.9 (issue 11 item 7): the Scrutineer records it, a partner co-signs it.
        ("scrut", "review-level-decided", s + 20, {
            "level": "lcspr", "rationale": "Invented: the reason for this decision.",
            "decided_by": ["SSP", "Scrutineer"], "cosigners": ["p1"]}),
        ("p1", "decision-cosigned", s + 22, {"decision": "review-level-decided"}),
        ("p1", "review-commissioned", s + 25, {
            "decided_on": f"@{s + 25}", "methodology": "action_learning",
            "reviewer": "Demo Reviewer", "reviewer_independent": True}),
        ("p1", "governance-group-met", s + 35, {"on": f"@{s + 35}", "purpose": "establish",
                                                "attendees": ["SSP", "Demo Reviewer"]}),
        ("ag1", "chronology-entry-added", s + 40, {
            "agency": "Demo Agency B", "event_at": f"@{s - 30}T10:00:00Z",
            "significant_event": "Invented home visit.", "source": "case file",
            "child_seen": True}),
        ("rev", "governance-group-met", s + 90, {"on": f"@{s + 90}", "purpose": "monitor",
                                                 "attendees": ["SSP", "Demo Reviewer"]}),
        ("p1", "governance-group-met", s + 150, {"on": f"@{s + 150}", "purpose": "finalise",
                                                 "attendees": ["SSP", "Demo Reviewer"]}),
        ("scrut", "final-report-signed-off", s + 160, {"on": f"@{s + 160}",
                                                        "signatories": ["SSP", "Scrutineer"]}),
        ("p1", "publication-planned", s + 161, {"planned_on": f"@{s + 200}",
                                                "mode": "full"}),
        ("bu1", "report-sent-before-publication", s + 195, {
            "on": f"@{s + 195}", "recipients": ["national_panel", "secretary_of_state",
                                                "ofsted"]}),
        ("bu1", "report-published", s + 200, {"on": f"@{s + 200}", "mode": "full",
                                              "url": "https://example.org/demo-lcspr"}),
        ("ldc", "action-agreed", s + 201, {
            "action": "R1", "agency": "Demo Agency B", "owner": "Demo Manager",
            "description": "Invented: refresh neglect training.", "deadline": f"@{s + 230}"}),
        ("ldc", "action-agreed", s + 201, {
            "action": "R2", "agency": "Demo Agency C", "owner": "Demo Manager",
            "description": "Invented: audit of referrals.", "deadline": f"@{s + 215}"}),
        ("ag1", "action-completed", s + 225, {"action": "R1", "on": f"@{s + 225}",
                                              "evidence": "Invented audit."}),
    ]


DEMO_CASES: dict[str, list[Step]] = {
    # Published about four months ago; action R2 long overdue, escalated twice.
    "DEMO-2026-001": _lcspr(-330),
    # Stalled after notification: the Rapid Review never met.
    "DEMO-2026-002": _lcspr(-120)[:6],
    # Below threshold: learning route, approved and closed.
    "DEMO-2026-003": [
        ("bu1", "incident-referred", -200, _ref(-200)),
        ("bu1", "reported-to-partners", -199, {"on": "@-199"}),
        ("p1", "threshold-decided", -196, _NOT_MET),
        ("bu1", "referrer-informed", -190, {"on": "@-190"}),
        ("ldc", "learning-route-decided", -170, {
            "option": "multi_agency_audit", "rationale": "Invented: the reason for this decision.", "meeting_on": "@-170",
            "agencies_present": ["Demo Agency A", "Demo Agency B"]}),
        ("p1", "learning-route-approved", -160, {"approved": True, "rationale": "Invented: the reason for this decision."}),
        ("p1", "case-closed", -100, {"reason": "learning route complete",
                                     "rationale": "Invented: the reason for this decision."}),
    ],
    # A looked-after child's death, DfE and Ofsted told late.
    "DEMO-2026-004": [
        ("bu1", "incident-referred", -60, _ref(-60, harm="death", looked_after=True)),
        ("bu1", "reported-to-partners", -59, {"on": "@-59"}),
        ("bu1", "looked-after-death-notified", -45, {"on": "@-45",
                                                     "recipients": ["dfe", "ofsted"]}),
    ],
    # Referred this week: clocks running.
    "DEMO-2026-005": [("bu1", "incident-referred", -2, _ref(-2))],
}
