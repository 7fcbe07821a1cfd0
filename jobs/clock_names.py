"""The names people read for the clocks of PROCEDURE.md: the one source for the compliance
report, the letters, and the plain output of `deadlines`, `case show` and `case list`.
JSON keeps the ids (scripts depend on them) and may carry the name beside them.

Standard library only, so the CLI can import it without loading the report's code."""

from __future__ import annotations

# An unknown id (a clock of a later rule set) shows as itself.
CLOCK_LABELS: dict[str, str] = {
    "report_to_partners": "Reported to partners",
    "threshold_decision": "Threshold decision",
    "national_panel_notification": "National Panel notified",
    "referrer_feedback": "Referrer told the outcome",
    "rapid_review_meeting": "Rapid Review meeting",
    "rapid_review_meeting_qa": "Rapid Review meeting (QA)",
    "rapid_review_to_panel": "Rapid Review sent to Panel",
    "prepublication_copy": "Copies sent before publication",
    "publication": "Report published",
    "publication_availability": "Kept published for a year",
    "action_head_of_service": "Action done before Head of Service",
    "action_chief_officer": "Action done before Chief Officer",
    "looked_after_death_notification": "Looked-after child death notified",
}


def clock_label(clock_id: str) -> str:
    return CLOCK_LABELS.get(clock_id, clock_id)
