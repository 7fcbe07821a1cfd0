"""The declarations of EVENTS.md's LCSPR and improvement-action events."""

from __future__ import annotations

from domain import limits
from domain.declaring import (
    ACTIONS,
    LCSPR,
    OPTIONAL,
    OPTIONAL_PERSONAL,
    PERSONAL,
    EventType,
    Field,
    _action,
    _bool,
    _date,
    _enum,
    _event,
    _name,
    _names,
    _reason,
    _recipients,
    _text,
)
from domain.cosigners import _cosigners

REVIEW_TYPES: tuple[EventType, ...] = (
    # --- Local Child Safeguarding Practice Review -----------------------------------------
    _event(
        "review-commissioned", "partner", "review", LCSPR,
        "The partners decided to initiate a Local Child Safeguarding Practice Review (§12).",
        "starts `publication` (6 months from decided_on, §19.1)",
        _date("decided_on",
              "date of the decision to initiate the review (day 0 of the 6-month publication "
              "clock, §19.1)"),
        _enum("methodology",
              "traditional action_learning peer_review multi_agency_practice_learning "
              "root_cause_analysis significant_event_analysis",
              "review methodology agreed with the reviewer (§12.2, §12.6, App. 2)"),
        _name("reviewer", "the lead reviewer's name (published with the report, §18.4)"),
        _bool("reviewer_independent",
              "true if the reviewer is independent of the case and the agencies (§12.1)"),
        _text("conflict_of_interest",
              "any conflict of interest of the reviewer and how it is managed (§12.1)",
              **OPTIONAL),
    ),
    _event(
        "terms-of-reference-agreed", "partner", "review", LCSPR,
        "The governance group agreed the review's terms of reference (§13.1).",
        "",
        _date("on", "date the terms of reference were agreed (§13.1)"),
    ),
    _event(
        "governance-group-met", "partner, reviewer", "review", LCSPR,
        "The LCSPR governance group met (§13.1-13.3).",
        "§13.3",
        _date("on", "date of the meeting (§13.3)"),
        _enum("purpose", "establish monitor finalise",
              "what the meeting was for: to establish, monitor or finalise the review (§13.3)"),
        _names("attendees", "people who attended, by name and role (§13.3)"),
    ),
    _event(
        "parallel-process-registered", "partner", "review", LCSPR,
        "Another review or investigation runs alongside the LCSPR (§15, App. 3).",
        "may justify a publication delay (§15.4, §19.1)",
        _enum("kind", "sar dhr mhhr mappa criminal coroner nhs_serious_incident disciplinary other",
              "the other process: Safeguarding Adult Review, Domestic Homicide Review, Mental "
              "Health Homicide Review, MAPPA, ... (§15.1, App. 3)"),
        _text("coordination", "how the processes are coordinated, e.g. which body leads (§15.3)"),
    ),
    _event(
        "family-engagement-recorded", "reviewer", "review", LCSPR,
        "The reviewer recorded how the family is engaged and whether their consent was "
        "obtained (§16.1).",
        "§16.1",
        _enum("consent", "obtained refused not_sought",
              "whether the family's consent was obtained, refused or not sought (§16.1)"),
        _reason("rationale",
              "why consent was not sought; required when consent is not_sought (§16.1)",
              **OPTIONAL),
        _text("notes", "notes on the family's engagement (personal data)", **OPTIONAL_PERSONAL),
        # EVENTS.md: "rationale?: text (required when not_sought)".
        required_when=(("rationale", ("consent", "not_sought")),),
    ),
    _event(
        "chronology-entry-added", "agency, reviewer", "review", LCSPR,
        "An entry was added to the review's multi-agency chronology (App. 6).",
        "App. 6; event_at is when it happened, not when recorded",
        _name("agency", "the agency the entry comes from (App. 6)"),
        Field("event_at", "datetime",
              help="when the event happened, in London local time (24-hour, e.g. "
                   "2025-03-01T14:30) or with its UTC offset; not when it was recorded "
                   "(App. 6)"),
        _text("significant_event", "the significant event (personal data, App. 6)",
              **PERSONAL),
        _text("source", "the source records, e.g. the agency's case file (App. 6)"),
        _text("who_involved", "who was involved (personal data, App. 6)",
              **OPTIONAL_PERSONAL),
        _text("decisions_outcome", "decisions made and their outcome (personal data, App. 6)",
              **OPTIONAL_PERSONAL),
        _bool("child_seen", "true if the child was seen (App. 6)"),
        _text("child_views", "the child's views, where known (personal data, App. 6)",
              **OPTIONAL_PERSONAL),
        _text("author_comments", "the entry author's comments (personal data, App. 6)",
              **OPTIONAL_PERSONAL),
    ),
    _event(
        "draft-report-presented", "reviewer", "review", LCSPR,
        "The reviewer presented the draft report to the L&D sub-group (§21.1).",
        "§21.1",
        _date("on", "date the draft was presented to the L&D sub-group (§21.1)"),
    ),
    _event(
        "final-report-signed-off", "partner, scrutineer", "review", LCSPR,
        "The partners and the Independent Scrutineer signed off the final report (§21.1).",
        "refused before 3 `governance-group-met` events (§13.3)",
        _date("on", "date of the sign-off (§21.1)"),
        _names("signatories", "who signed it off, by name and role (§21.1)"),
        _cosigners(),
    ),
    _event(
        "publication-planned", "partner", "review", LCSPR,
        "The partners set the planned publication date and what will be published "
        "(§18.7, §20.2).",
        "starts `prepublication_copy` (due 7 WD before planned_on, §18.7); a later plan "
        "replaces it",
        _date("planned_on",
              "planned publication date; copies are due 7 working days before it (§18.7)"),
        _enum("mode", "full learning_only",
              "the full report, or the learning and recommendations only (§18.7, §20.2)"),
        _cosigners(),
    ),
    _event(
        "report-sent-before-publication", "business_unit", "review", LCSPR,
        "The report (or its learning) was sent to the National Panel, the Secretary of State "
        "and Ofsted (§18.7).",
        "stops `prepublication_copy` (§18.7)",
        _date("on",
              "date the copies were sent (at least 7 working days before publication, §18.7)"),
        # EVENTS.md "(all three)": §18.7 names all three recipients.
        _recipients("recipients", "national_panel secretary_of_state ofsted",
                    "who received it: national_panel, secretary_of_state and ofsted are all "
                    "required (§18.7)",
                    must_be_all=True),
    ),
    _event(
        "publication-delay-notified", "partner", "review", LCSPR,
        "The partners told the National Panel and the Secretary of State why publication is "
        "delayed (§19.1).",
        "§19.1; the clock still runs; shown beside a publication planned after the due date "
        "(issue 11)",
        _reason("reason",
              "reason for the delay, e.g. an ongoing criminal investigation or inquest; goes "
              "into the annual report (§19.1)"),
        # Not "(both)" in EVENTS.md: one notice per recipient may be recorded separately.
        _recipients("recipients", "national_panel secretary_of_state",
                    "who was told: national_panel, secretary_of_state, or both (§19.1)"),
    ),
    _event(
        "report-published", "business_unit", "review", LCSPR,
        "The report, or its learning and recommendations, was published (§18.4, §19.1).",
        "stops `publication` (§19.1); starts `publication_availability` (§18.4)",
        _date("on", "date of publication (due 6 months after the decision to initiate, §19.1)"),
        _enum("mode", "full learning_only",
              "the full report, or the learning and recommendations only (§20.2)"),
        _name("url", "where it is published; it must stay available for at least one year "
                     "(§18.4)", max_length=limits.URL_MAX),
    ),
    _event(
        "publication-declined", "partner, scrutineer", "review", LCSPR,
        "The partners and the Independent Scrutineer decided not to publish (§20.3).",
        "stops `publication` (justified non-publication, §20.3)",
        _date("on", "date of the decision not to publish (§20.3)"),
        _reason("justification",
              "the justification set out to the National Panel and the Secretary of State "
              "(§19.1, §20.3)"),
        _cosigners(),
    ),
    _event(
        "report-withdrawn", "business_unit", "review", LCSPR,
        "A published report was taken down (§18.4).",
        "a withdrawal less than one year after publication breaches "
        "`publication_availability` (§18.4)",
        _date("on",
              "date the report was taken down; less than a year after publication is a breach "
              "(§18.4)"),
        _reason("reason", "why it was taken down"),
    ),
    # --- Improvement actions --------------------------------------------------------------
    _event(
        "action-agreed", "ld_chair", "action", ACTIONS,
        "The L&D sub-group agreed an improvement action for the action plan (§13.4, §21.2).",
        "one per action reference; starts `action_head_of_service` and `action_chief_officer` "
        "(§13.4, §21.2)",
        _action(),
        _name("agency", "the agency responsible for the action"),
        _name("owner", "the person who owns the action, by name and role"),
        _text("description", "what must be done (§18.3)"),
        _text("recommendation", "the review recommendation the action answers (§22.1)",
              **OPTIONAL),
        _date("deadline",
              "the original deadline; escalation comes 3 and 6 months after the deadline in "
              "force (§13.4, §21.2)"),
    ),
    _event(
        "action-updated", "agency, ld_chair", "action", ACTIONS,
        "Progress on an improvement action was recorded (§13.4).",
        "",
        _action(),
        _text("note", "what progress has been made (§13.4)"),
    ),
    _event(
        "action-completed", "agency, ld_chair", "action", ACTIONS,
        "An improvement action was completed, with evidence (§13.4).",
        "stops the ladder (§13.4, §21.2)",
        _action(),
        _date("on", "date the action was completed"),
        _text("evidence", "evidence that the action is done (§13.4)"),
    ),
    _event(
        "action-extended", "ld_chair", "action", ACTIONS,
        "The L&D chair agreed a new deadline, at the Chief Officer's request (§13.4).",
        "new_deadline later than the deadline in force; the ladder then counts from it (§13.4)",
        _action(),
        _date("new_deadline", "the new deadline; must be later than the deadline in force (§13.4)"),
        _name("requested_by_chief_officer",
              "the Chief Officer who asked for the extension, by name and agency (§13.4)"),
        _reason("rationale", "the exceptional circumstances that justify it (§13.4)"),
    ),
    _event(
        "action-escalated", "system, ld_chair", "action", ACTIONS,
        "An overdue improvement action was escalated (§13.4, §21.2).",
        "the nightly job records the first two, once each (§13.4, §21.2)",
        _action(),
        _enum("level", "head_of_service chief_officer partners",
              "escalated to: head_of_service (3 months overdue), chief_officer (6 months) or "
              "partners (§13.4, §21.2)"),
        _date("on", "date of the escalation"),
    ),
    _event(
        "escalation-responded", "agency", "action", ACTIONS,
        "The agency answered an escalation of an overdue action (§21.2).",
        "a promise of remedial action moves no deadline (§13.4)",
        _action(),
        # EVENTS.md types this as text, not as action-escalated's enum: kept as the contract says.
        _name("level", "the escalation answered, e.g. head_of_service or chief_officer"),
        _text("response", "the agency's response, e.g. the remedial action promised (§21.2)"),
    ),
    _event(
        "action-not-implemented", "partner", "action", ACTIONS,
        "The partners decided an improvement action will not be implemented (§23.1).",
        "closes the action; reported in the annual report (§23.1)",
        _action(),
        _reason("reason", "why it will not be implemented; goes into the annual report (§23.1)"),
    ),
)
