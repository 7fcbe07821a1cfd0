"""The declarations of EVENTS.md's referral, notification, Rapid Review and decision events."""

from __future__ import annotations

from domain import limits
from domain.declaring import (
    DECISIONS,
    LCSPR,
    OPTIONAL,
    OPTIONAL_PERSONAL,
    PERSONAL,
    REFERRAL,
    EventType,
    Field,
    _bool,
    _date,
    _enum,
    _event,
    _name,
    _names,
    _reason,
    _recipients,
    _text,
    _hex,
)
from domain.cosigners import JOINT_DECISIONS, _cosigners

CASE_TYPES: tuple[EventType, ...] = (
    # --- Referral and notification ------------------------------------------------------
    _event(
        "incident-referred", "business_unit", "case", REFERRAL,
        "The Local Authority received a referral of a serious child safeguarding incident; "
        "opens the case (§4.2, App. 1).",
        "opens the case (a second referral for the same reference is refused); "
        "incident_on ≤ aware_on ≤ received_on is not required, but each is ≤ today; "
        "starts `report_to_partners` (§6.1), `threshold_decision`, "
        "`national_panel_notification` (§7.2); a looked-after child's death (or a care "
        "leaver's under `wt2023`) starts `looked_after_death_notification` (§7.4); "
        "abuse_or_neglect `neither` only for a looked-after child's death (§7.4)",
        _name("referring_agency",
              "organisation that referred the incident to the Local Authority (§4.2, App. 1)"),
        _date("received_on", "date the Local Authority received the referral (App. 1)",
              not_after_today=True),
        _date("aware_on",
              "date the Local Authority became aware of the incident (day 0 of the 1- and "
              "5-working-day clocks, §6.1, §7.2)",
              not_after_today=True),
        _date("incident_on",
              "date the incident happened (agency information is sought back 3 years from it, "
              "§8.4)",
              not_after_today=True),
        _enum("harm", "death serious_harm",
              "whether the child died or was seriously harmed (§3, §7.1)"),
        _enum("location", "in_area outside_england_resident",
              "in_area: in the Local Authority's area; outside_england_resident: outside "
              "England while normally resident here (§7.1)"),
        # `neither` (issue 11): §7.4 asks for a looked-after child's death "whether or not
        # abuse or neglect is known or suspected"; only such a death may be referred so
        # (domain/rules.py), and it cannot meet the §7.1 criteria by itself.
        _enum("abuse_or_neglect", "known suspected neither",
              "whether abuse or neglect is known or suspected (§7.1); neither: only for a "
              "looked-after child's death, notified to DfE and Ofsted all the same (§7.4)"),
        _bool("looked_after",
              "true if the child was looked after; a looked-after child's death is also "
              "notified to DfE and Ofsted (§7.4)",
              required=False, default=False),
        Field("care_leaver_age", "int", minimum=18, maximum=24, **OPTIONAL,
              help="age of a care leaver, 18 to 24; under the wt2023 rule set a care leaver's "
                   "death is notified to DfE and Ofsted"),
        Field("child", "object", **OPTIONAL_PERSONAL,
              help="the child's name, date of birth and address: personal data, sealed at "
                   "rest (§17-18)",
              fields=(
                  _name("name", "the child's name (personal data)", **PERSONAL),
                  _date("dob", "the child's date of birth (personal data)",
                        **OPTIONAL_PERSONAL),
                  _text("address", "the child's address (personal data)",
                        max_length=limits.ADDRESS_MAX, **OPTIONAL_PERSONAL),
              )),
        _text("summary", "short description of what happened (personal data, sealed at rest)",
              **OPTIONAL_PERSONAL),
    ),
    _event(
        "reported-to-partners", "business_unit", "case", REFERRAL,
        "The Local Authority reported the incident to the Statutory Safeguarding Partners "
        "(§6.1).",
        "stops `report_to_partners` (§6.1)",
        _date("on",
              "date the incident was reported to the partners (due 1 working day after "
              "aware_on, §6.1)"),
    ),
    _event(
        "threshold-decided", "partner", "case", REFERRAL,
        "The Statutory Safeguarding Partners decided whether the notification threshold is "
        "met (§6-7, §14).",
        "once per case; stops `threshold_decision` (§7.2); starts `referrer_feedback` (§6.3); "
        "when not met, `national_panel_notification` becomes `not_required`; never met on a "
        "referral with neither abuse nor neglect known or suspected (§3.1, §7.1)",
        _bool("meets_threshold",
              "true if the case meets the criteria for a serious child safeguarding incident "
              "notification (§7.1-7.2)"),
        _bool("learning_potential",
              "threshold not met: true if there may still be single- or multi-agency learning "
              "for the L&D sub-group (§7.6-7.8, §14.4)",
              **OPTIONAL),
        _reason("rationale",
              "why the partners decided so; always recorded and shared with the L&D sub-group "
              "(§7.9)"),
        _names("decided_by", "the partners who made the decision, by name and role"),
        _text("information_considered",
              "the information the partners considered in deciding (App. 1)", **OPTIONAL),
        _cosigners(),
        # EVENTS.md: "learning_potential?: bool (required when the threshold is not met)".
        required_when=(("learning_potential", ("meets_threshold", False)),),
    ),
    _event(
        "national-panel-notified", "business_unit", "case", REFERRAL,
        "The Local Authority notified the National Panel through its online system "
        "(§6.2, §7.2).",
        "refused unless the threshold was met; stops `national_panel_notification` (§7.2); "
        "starts `rapid_review_meeting_qa` (App. 5 QA)",
        _date("on",
              "date the National Panel was notified (due 5 working days after aware_on, §7.2)"),
        _name("reference", "the notification's reference in the National Panel's online system",
              **OPTIONAL),
    ),
    _event(
        "referrer-informed", "business_unit", "case", REFERRAL,
        "The Local Authority told the referrer the outcome of the threshold decision (§6.3).",
        "stops `referrer_feedback` (§6.3)",
        _date("on",
              "date the referrer was told (due 5 working days after the threshold decision, "
              "§6.3)"),
    ),
    _event(
        "notification-acknowledged", "business_unit", "case", REFERRAL,
        "The National Panel acknowledged receipt of the notification (§8.2).",
        "starts `rapid_review_meeting`, `rapid_review_to_panel` (§8.2, §8.9)",
        _date("on",
              "date the National Panel acknowledged the notification (day 0 of the Rapid Review "
              "clocks, §8.2)"),
    ),
    _event(
        "looked-after-death-notified", "business_unit", "case", REFERRAL,
        "DfE and Ofsted were notified of the death of a looked-after child (§7.4).",
        "stops `looked_after_death_notification` (§7.4)",
        _date("on", "date DfE and Ofsted were notified (§7.4)"),
        # EVENTS.md "(both)": a notice to one of them alone does not meet §7.4.
        _recipients("recipients", "dfe ofsted",
                    "who was notified: both dfe and ofsted are required (§7.4)",
                    must_be_all=True),
    ),
    # --- Rapid Review and decisions -----------------------------------------------------
    _event(
        "agency-information-received", "agency", "case", DECISIONS,
        "An agency returned its information for the Rapid Review (App. 4, §8.4).",
        "App. 4; flagged (not refused) when involvement_from is more than 3 years before "
        "incident_on (§8.4)",
        _name("agency", "the agency returning the information (App. 4)"),
        _name("completed_by", "name and role of the person who completed the return (App. 4)"),
        _date("involvement_from",
              "date the agency's involvement began (more than 3 years before the incident is "
              "flagged, §8.4)"),
        _date("involvement_to",
              "date the agency's involvement ended; leave out if it continues (App. 4)",
              **OPTIONAL),
        _text("nature_of_involvement",
              "nature of the agency's involvement and known safeguarding issues (personal data, "
              "App. 4)",
              **PERSONAL),
        _text("facts_known", "facts the agency knows about the incident (personal data, App. 4)",
              **OPTIONAL_PERSONAL),
    ),
    _event(
        "rapid-review-held", "partner", "case", DECISIONS,
        "The local Rapid Review meeting was held and made its recommendation (§8, App. 5).",
        "App. 5; stops `rapid_review_meeting` (§8.2) and `rapid_review_meeting_qa` "
        "(App. 5 QA)",
        _date("on",
              "date of the meeting (due 7-10 working days after the acknowledgement, §8.2)"),
        _name("chair", "the partners' representative who chaired the meeting (§8.3)"),
        _names("present", "people present, by name and role (App. 5)"),
        # A meeting with no apologies is ordinary, so an empty list is allowed here.
        _names("apologies", "people who sent apologies, by name and role (App. 5)",
               min_items=0, **OPTIONAL),
        _bool("immediate_action_needed",
              "true if immediate action is needed to keep children safe (§8.5)"),
        _text("immediate_actions", "the immediate actions agreed (§8.5)", **OPTIONAL),
        _text("improvements_identified", "improvements to practice identified so far (§8.5)",
              **OPTIONAL),
        _text("national_importance_factors",
              "why the case may be complex or of national importance (§8.9)", **OPTIONAL),
        _enum("recommendation", "lcspr national_review alternative_review no_further_action",
              "the meeting's recommendation to the partners: LCSPR, national review, another "
              "review, or no further action (§8.6-8.8)"),
        _reason("rationale", "why the meeting recommends it (App. 5)"),
        _text("next_steps", "next steps agreed (§8.5)", **OPTIONAL),
    ),
    _event(
        "rapid-review-sent-to-panel", "business_unit", "case", DECISIONS,
        "The Rapid Review decision was sent to the National Panel (§8.9, App. 5).",
        "stops `rapid_review_to_panel` only when includes_minutes is true (App. 5 QA)",
        _date("on",
              "date it was sent (due 15 working days after the acknowledgement, §8.2, §8.9)"),
        _bool("includes_minutes",
              "true if the meeting's minutes went with it; only then is the clock met "
              "(App. 5 QA)"),
    ),
    _event(
        "review-level-decided", "partner, scrutineer", "case", DECISIONS,
        "The partners and the Independent Scrutineer decided the level of review "
        "(§8.9, §11.4).",
        "§8.9",
        _enum("level", "lcspr national_review_recommended alternative_review no_further_action",
              "the level of review decided (§8.9, §10.3-10.4)"),
        _reason("rationale", "why this level; recorded and shared with the L&D sub-group (§10.5)"),
        _names("decided_by",
               "who decided, by name and role: partners and the Independent Scrutineer (§8.9)"),
        _cosigners(),
    ),
    _event(
        "national-panel-decided", "business_unit", "case", DECISIONS,
        "The National Panel's answer was received and recorded (§8.10-8.11, §9).",
        "records the National Panel's answer (§8.11, §9.4)",
        _bool("national_review",
              "true if the National Panel will carry out a national review (§8.10)"),
        _bool("further_information_requested",
              "true if the National Panel asked for more information (§9.4)",
              required=False, default=False),
        _reason("rationale", "the National Panel's stated reasons (§8.11)", **OPTIONAL),
    ),
    _event(
        "learning-route-decided", "ld_chair", "case", DECISIONS,
        "The L&D sub-group chose a learning route for a case below the threshold "
        "(§14.5, App. 1).",
        "only where the threshold was not met (§14.5)",
        _enum("option",
              "multi_agency_practice_review multi_agency_audit single_agency_review "
              "quality_assurance no_further_action",
              "the learning route chosen (§14.5, App. 1)"),
        _reason("rationale", "why this route; sent to the partners for approval (§14.6)"),
        _date("meeting_on", "date of the L&D sub-group meeting that decided (App. 1)"),
        _names("agencies_present", "agencies present at that meeting (App. 1)"),
    ),
    _event(
        "learning-route-approved", "partner", "case", DECISIONS,
        "The partners approved, or did not approve, the L&D sub-group's learning route "
        "(§14.6-14.7).",
        "§14.6–14.7",
        _bool("approved", "true if the partners agreed the route (§14.7)"),
        _reason("rationale", "why the partners decided so (§14.6)"),
        _cosigners(),
    ),
    _event(
        "case-closed", "partner", "case", DECISIONS,
        "The partners closed the case (§7.8, §10.5).",
        "a death closed with no review needs child_death_review_ref (§4.3, §10.5); nothing "
        "but `action-*` and report events after it",
        _reason("reason", "why the case is closed, e.g. no further action (§7.8, §10.5)"),
        _reason("rationale", "the rationale of the decision to close (§10.5)"),
        _name("child_death_review_ref",
              "Child Death Review reference; needed to close a death with no review "
              "(§4.3, §10.5)",
              **OPTIONAL),
    ),
    # --- Co-signatures of joint decisions (issue 11 item 7) -----------------------------
    _event(
        "decision-cosigned", "partner, scrutineer", "case", DECISIONS,
        "A partner or the Independent Scrutineer co-signed a joint decision with their own "
        "key (§8.9, §21.1).",
        "only by an actor the decision names in cosigners, once each; the position must "
        "hold a joint decision of the same case whose chain hash is event_hash; recorded "
        "by `cspr cosign POSITION`, also after closure",
        # 2^53 - 1: exact in every JSON consumer, as integrity-alarm-acknowledged's.
        Field("position", "int", minimum=1, maximum=2 ** 53 - 1,
              help="the ledger position of the decision co-signed"),
        _enum("decision", " ".join(JOINT_DECISIONS), "the decision's event type"),
        _hex("event_hash",
             "the decision's hash as the chain records it: the co-signature binds its exact "
             "content"),
    ),
)
