"""The event catalogue of EVENTS.md, declared once, as data.

Every event type is one ``EventType`` value in ``_DECLARATIONS`` below, in EVENTS.md order.
That one declaration drives validation (``validate``), the command line's help
(``describe``) and the published JSON Schema (``json_schema``), so the three cannot drift
apart. Field kinds, their checks and their schemas live in ``domain/fields.py``.

Only the shape of an event's data is checked here. The procedure's rules quoted in
``EventType.rules`` (clocks, "once per case", "refused unless the threshold was met") need
the clock or earlier events and are enforced by the case aggregate; they are kept here as
text so help, reports and reviewers of the code read the same words as EVENTS.md.

Names are the public contract (EVENTS.md): a released type or field never changes meaning;
a change of meaning is a new ``version`` with an upcaster.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain import limits
from domain.errors import InvalidFieldError, UnknownEventTypeError
from domain.field_schema import JSON_SCHEMA_DIALECT, object_schema
from domain.fields import Checking, Field, RequiredWhen, validate_fields

__all__ = [
    "EVENT_TYPES",
    "EVENT_TYPES_BY_CLASS",
    "ROLES",
    "RULE_SETS",
    "STREAMS",
    "EventType",
    "Field",
    "describe",
    "get_event_type",
    "json_schema",
    "personal_field_names",
    "validate",
]

# EVENTS.md, "Column by": an actor may hold several roles.
ROLES: tuple[str, ...] = (
    "admin",
    "business_unit",
    "partner",
    "scrutineer",
    "ld_chair",
    "reviewer",
    "agency",
    "system",
)

# Which aggregate an event belongs to: a case, its LCSPR, one improvement action of a
# case, an actor, or the ledger itself.
STREAMS: tuple[str, ...] = ("case", "review", "action", "actor", "ledger")

# PROCEDURE.md, "Rule sets are data, dated and versioned"; wt2018-local is the default.
RULE_SETS: tuple[str, ...] = ("wt2018-local", "wt2023")


@dataclass(frozen=True)
class EventType:
    name: str  # kebab-case, as in EVENTS.md, the CLI and JSON
    class_name: str  # PascalCase, for code
    roles: frozenset[str]  # EVENTS.md "by": any one of them may record it
    fields: tuple[Field, ...]
    stream: str
    section: str  # the EVENTS.md table heading
    rules: str  # EVENTS.md "rules", enforced elsewhere; kept for help and reports
    help: str  # one line
    # Conditional requirements of the "(required when ...)" kind, as data.
    required_when: RequiredWhen = ()
    version: int = 1  # schema version; bump with an upcaster, never change in place

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        problems = []
        if self.class_name != _pascal(self.name):
            problems.append("class_name must be the PascalCase of name")
        if not self.roles or not self.roles <= set(ROLES):
            problems.append(f"roles must be a non-empty subset of {ROLES}")
        if self.stream not in STREAMS:
            problems.append(f"stream must be one of {STREAMS}")
        if len(set(names)) != len(names):
            problems.append("field names must be unique")
        for target, (condition, _) in self.required_when:
            if target not in names or condition not in names:
                problems.append(f"required_when names undeclared fields ({target}, {condition})")
            elif self.field(target).required:
                problems.append(f"required_when target {target} is already required")
        if not self.help or "\n" in self.help:
            problems.append("help must be one line")
        if problems:
            raise ValueError(f"bad declaration of {self.name}: {'; '.join(problems)}")

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _pascal(kebab: str) -> str:
    return "".join(part.capitalize() for part in kebab.split("-"))


# --- declaration helpers: they only shorten the table below; they decide nothing ---------


def _event(
    name: str,
    by: str,
    stream: str,
    section: str,
    help: str,
    rules: str,
    *fields: Field,
    required_when: RequiredWhen = (),
) -> EventType:
    return EventType(
        name=name,
        class_name=_pascal(name),
        roles=frozenset(r.strip() for r in by.split(",")),
        fields=tuple(fields),
        stream=stream,
        section=section,
        rules=rules,
        help=help,
        required_when=required_when,
    )


def _text(name: str, help: str, **kw: Any) -> Field:
    """Free text: a rationale, a note, a chronology entry (limits.FREE_TEXT_MAX)."""
    return Field(name, "text", help=help, **kw)


def _reason(name: str, help: str, **kw: Any) -> Field:
    """Free text that justifies a decision: real words, not a placeholder (issue 11)."""
    return _text(name, help, min_length=limits.REASON_MIN_LENGTH,
                 min_letters=limits.REASON_MIN_LETTERS, **kw)


def _name(name: str, help: str, **kw: Any) -> Field:
    """One line naming a person, an agency, a reference elsewhere (limits.NAME_MAX)."""
    return Field(name, "text", help=help, one_line=True, **kw)


def _ref(name: str, help: str) -> Field:
    """An identifier that becomes a key (a stream, a column, a letter): limits.REF_PATTERN."""
    return Field(name, "text", help=help, one_line=True, pattern=limits.REF_PATTERN,
                 pattern_help=limits.REF_HELP)


def _date(name: str, help: str, **kw: Any) -> Field:
    return Field(name, "date", help=help, **kw)


def _bool(name: str, help: str, **kw: Any) -> Field:
    return Field(name, "bool", help=help, **kw)


def _enum(name: str, choices: str, help: str, **kw: Any) -> Field:
    return Field(name, "enum", help=help, choices=tuple(choices.split()), **kw)


def _names(name: str, help: str, **kw: Any) -> Field:
    """A list of people or agencies; non-empty unless the caller says otherwise."""
    kw.setdefault("min_items", 1)
    item = _name("item", "one name: a person with their role, or an agency")
    return Field(name, "list", help=help, item=item, **kw)


def _recipients(name: str, choices: str, help: str, **kw: Any) -> Field:
    item = _enum("item", choices, "one recipient")
    return Field(name, "list", help=help, item=item, min_items=1, unique_items=True, **kw)


OPTIONAL: dict[str, Any] = {"required": False}
PERSONAL: dict[str, Any] = {"personal": True}
OPTIONAL_PERSONAL: dict[str, Any] = {"required": False, "personal": True}


def _hex(name: str, help: str) -> Field:
    """A SHA-256 hash or an Ed25519 raw public key: 32 bytes, as the code writes them."""
    return _name(name, help, pattern="[0-9a-f]{64}",
                 pattern_help="64 lowercase hexadecimal characters")


def _key_id(help: str) -> Field:
    # The product writes the first 32 hex digits of a SHA-256; the bound leaves room.
    return _name("key_id", help, max_length=64)


def _actor() -> Field:
    # EVENTS.md gives actor names no form; this one (a product decision) is safe as a file
    # name under keys/ and on a command line, with nothing to quote or escape.
    return _name("actor", "the actor's name", pattern=limits.ACTOR_PATTERN,
                 pattern_help=limits.ACTOR_HELP)


def _field_names(help: str) -> Field:
    # A personal field's name as the catalogue declares it (e.g. child, summary): the
    # record of an access names what was opened, never a value.
    item = _name("item", "one field name", pattern="[a-z][a-z0-9_]{0,63}",
                 pattern_help="a field name: a lowercase letter, then up to 63 of a-z 0-9 _")
    return Field("fields", "list", help=help, item=item, unique_items=True, max_items=64)


def _action(help: str = "the action's reference within its case, e.g. R1.2") -> Field:
    # A key of the action's stream, of the projections (64 characters) and of the
    # escalation letters' identity: the same character set as a case reference.
    return _ref("action", help)


REFERRAL = "Referral and notification"
DECISIONS = "Rapid Review and decisions"
LCSPR = "Local Child Safeguarding Practice Review (LCSPR)"
ACTIONS = "Improvement actions"
LEDGER = "Raised by the ledger itself"
# Issue 10: the roles entitled to read a case's personal data (service/personal_access.py).
_PERSONAL_DATA_READERS = "partner, scrutineer, reviewer, business_unit, ld_chair"

_DECLARATIONS: tuple[EventType, ...] = (
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
        "§19.1; the clock still runs",
        _reason("reason",
              "reason for the delay, e.g. an ongoing criminal investigation or inquest (§19.1)"),
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
    # --- Raised by the ledger itself ----------------------------------------------------------
    _event(
        "deadline-breached", "system", "case", LEDGER,
        "The nightly job found a clock past its due date with no stopping event.",
        "recorded once per clock by the nightly job; never erased: an event recorded late "
        "that meets the clock supersedes it (PROCEDURE.md, occurred and recorded)",
        _name("clock", "the clock's id, e.g. report_to_partners (PROCEDURE.md, clocks)",
              pattern="[a-z][a-z0-9_]{0,47}",
              pattern_help="a clock id: a lowercase letter, then up to 47 of a-z 0-9 _"),
        _date("due_on", "the date the clock was due"),
        _name("rule_set", "the rule set that computed the deadline, e.g. wt2018-local",
              max_length=32),
        _name("calendar", "the working-day calendar used, so that a replay gives the same "
              "answer", max_length=64),
    ),
    _event(
        "actor-registered", "admin", "actor", LEDGER,
        "An admin registered a person or job as an actor, with roles and a public key.",
        "admin only (CLI.md); the actor name is new",
        _actor(),
        Field("roles", "list", min_items=1, unique_items=True,
              help="the roles the actor may act in (EVENTS.md, roles)",
              item=Field("item", "enum", choices=ROLES, help="one role")),
        _hex("public_key", "the actor's Ed25519 raw public key, in hex"),
        _key_id("identifier of that key, quoted by every event the actor signs"),
    ),
    _event(
        "actor-key-rotated", "admin", "actor", LEDGER,
        "An admin replaced an actor's signing key.",
        "admin only (CLI.md); later events are signed with the new key, earlier signatures "
        "still verify with the old",
        _actor(),
        _hex("public_key", "the actor's new Ed25519 raw public key, in hex"),
        _key_id("identifier of the new key"),
    ),
    _event(
        "actor-revoked", "admin", "actor", LEDGER,
        "An admin revoked an actor: no further events are accepted from them.",
        "admin only (CLI.md); earlier events stay and still verify",
        _actor(),
        _reason("reason", "why the actor was revoked"),
    ),
    _event(
        "checkpoint-signed", "system", "ledger", LEDGER,
        "The ledger signed a checkpoint of its event log (CLI.md, cspr checkpoint).",
        "signed by the ledger key; later checkpoints must be consistent with it (cspr verify)",
        Field("size", "int", minimum=0, help="number of events the checkpoint covers"),
        _hex("root_hash", "Merkle root over those events"),
        _hex("head_hash", "hash of the last event of the chain"),
        # Not in EVENTS.md: the RFC 9162 compact range at this size lets the next
        # checkpoint extend the tree from the new events alone (cost grows with what is
        # new, not with the history). Its root must equal root_hash (cspr verify).
        Field("frontier", "list", required=False, max_items=64, item=_hex(
            "item", "a subtree hash"), help="the right-edge subtree hashes of the Merkle "
            "tree at this size (RFC 9162 compact range; one per bit of the size)"),
        # Not in EVENTS.md (issue 9): with the ledger's origin, size and root it rebuilds
        # the C2SP signed note of this checkpoint, the form a witness cosigns.
        Field("note_signature", "text", required=False, one_line=True,
              pattern="[A-Za-z0-9+/]{91}=", pattern_help="92 base64 characters",
              help="the C2SP signed-note signature of this checkpoint by the system key "
              "under the ledger's origin: base64 of the 4-byte key hash and the Ed25519 "
              "signature (docs/evidence-format.md)"),
    ),
    # Not listed in EVENTS.md but implied by it and by CLI.md (`cspr init --rule-set`) and
    # PROCEDURE.md ("rule sets are data, dated and versioned").
    _event(
        "ledger-initialised", "admin", "ledger", LEDGER,
        "The ledger was created for a safeguarding partnership (CLI.md, cspr init).",
        "first event of the ledger (CLI.md, cspr init)",
        _name("partnership", "name of the safeguarding partnership that keeps this ledger"),
        _enum("rule_set", " ".join(RULE_SETS),
              "rule set for the clocks: wt2018-local (the default, PROCEDURE.md) or wt2023",
              required=False, default="wt2018-local"),
    ),
    _event(
        "rule-set-adopted", "admin", "ledger", LEDGER,
        "The partnership adopted a rule set for its clocks from a given date "
        "(PROCEDURE.md, rule sets).",
        "every computed deadline records the rule set that produced it, so a replay gives the "
        "same answer (PROCEDURE.md)",
        _enum("rule_set", " ".join(RULE_SETS),
              "the rule set adopted: wt2018-local or wt2023 (PROCEDURE.md)"),
        _date("effective_from", "first day on which the rule set applies"),
    ),
    # Not in EVENTS.md (issue 8): a failed verify is a sticky alarm. The nightly job keeps
    # failing until an admin signs that they have seen each finding and says what was done;
    # verify itself still reports the finding, so the acknowledgement hides nothing.
    _event(
        "integrity-alarm-acknowledged", "admin", "ledger", LEDGER,
        "An admin acknowledged a finding of cspr verify, saying what was done about it.",
        "admin only; names one finding (position and kind) that verify reports; the nightly "
        "job fails every night until each finding is acknowledged",
        # 2^53 - 1: exact in every JSON consumer; the service also refuses a position
        # beyond the ledger's end (service.acknowledgement).
        Field("position", "int", minimum=0, maximum=2 ** 53 - 1,
              help="the ledger position of the finding, as cspr verify reports it"),
        _name("kind", "the kind of the finding, as cspr verify reports it, e.g. chain",
              pattern="[a-z][a-z_]{0,31}",
              pattern_help="a finding kind: lowercase letters and _, up to 32"),
        _text("action_taken",
              "what was done: e.g. restored from backup, reported to the DPO, accepted"),
    ),
    # Not in EVENTS.md (issue 9): an independent witness checked that a checkpoint
    # extends the last one it cosigned, and cosigned it (C2SP tlog-cosignature/v1).
    _event(
        "checkpoint-cosigned", "system, admin", "ledger", LEDGER,
        "An independent witness cosigned one of the ledger's checkpoints (cspr checkpoint "
        "cosigned).",
        "recorded only if the cosignature verifies under the witness's key and the ledger "
        "signed that checkpoint; cspr verify --witness checks every one again",
        Field("size", "int", minimum=0, maximum=2 ** 63 - 1,
              help="number of events the cosigned checkpoint covers"),
        _hex("root_hash", "Merkle root of the cosigned checkpoint"),
        _name("witness", "the witness's key name, as on its cosignature line",
              pattern="[!-*,-~]{1,200}",
              pattern_help="printable ASCII without spaces or '+'"),
        _name("witness_key_hash", "the witness key's 4-byte key hash, in hex",
              pattern="[0-9a-f]{8}", pattern_help="8 lowercase hexadecimal characters"),
        _name("cosignature", "the cosignature line's value: base64 of the key hash, the "
              "8-byte timestamp and the Ed25519 signature (C2SP tlog-cosignature)",
              pattern="[A-Za-z0-9+/]{102}==", pattern_help="104 base64 characters"),
        Field("timestamp", "int", minimum=1, maximum=2 ** 63 - 1,
              help="when the witness cosigned, in seconds since the Epoch (POSIX time)"),
    ),
    # Not in EVENTS.md (issue 10): every opening of a case's personal data leaves a signed
    # trace of who read what and why. The event names the fields opened, never their values.
    _event(
        "personal-data-accessed", _PERSONAL_DATA_READERS,
        "case", LEDGER,
        "Someone opened a case's personal data (recorded by the service on every read).",
        "recorded before anything is shown; only roles entitled to read personal data "
        "(§17-18, Data Protection Act 2018)",
        _text("purpose", "why the personal data was opened"),
        _field_names("the personal fields opened, by name (never their values)"),
        Field("events", "int", minimum=0, maximum=2 ** 53 - 1,
              help="how many of the case's events had personal data opened"),
    ),
    # Not in EVENTS.md (issue 10): personal data handed to someone outside the ledger.
    _event(
        "personal-data-disclosed", _PERSONAL_DATA_READERS,
        "case", LEDGER,
        "Someone disclosed a case's personal data to a named recipient (cspr case disclose).",
        "recorded before anything is written; only roles entitled to read personal data "
        "(§17-18, Data Protection Act 2018)",
        _name("to", "the recipient: a person with their role, or an organisation"),
        _text("purpose", "why the personal data was disclosed"),
        _field_names("the personal fields disclosed, by name (never their values)"),
    ),
    # Not in EVENTS.md (issue 10): crypto-shredding. The case's data key is destroyed;
    # the events, their hashes and signatures stay, so the ledger still verifies.
    _event(
        "personal-data-erased", "admin", "case", LEDGER,
        "An admin erased a case's personal data, co-signed by a second person "
        "(cspr case erase).",
        "admin only, co-signed by a business_unit or scrutineer; the case's data key is "
        "made unrecoverable",
        _reason("reason", "why the personal data was erased, e.g. the retention period ended"),
        _name("cosigned_by", "the co-signer's actor name (business_unit or scrutineer)",
              pattern=limits.ACTOR_PATTERN, pattern_help=limits.ACTOR_HELP),
        _name("cosignature", "the co-signer's Ed25519 signature over the erasure of this "
              "case for this reason, in hex (docs/evidence-format.md)",
              pattern="[0-9a-f]{128}", pattern_help="128 lowercase hexadecimal characters"),
        _date("erased_on", "the day the personal data was erased"),
    ),
)

EVENT_TYPES: dict[str, EventType] = {t.name: t for t in _DECLARATIONS}
EVENT_TYPES_BY_CLASS: dict[str, EventType] = {t.class_name: t for t in _DECLARATIONS}
if len(EVENT_TYPES) != len(_DECLARATIONS):  # pragma: no cover - a declaration error
    raise ValueError("an event type is declared twice")


# --- the public API ---------------------------------------------------------------------


def get_event_type(name: str) -> EventType:
    try:
        return EVENT_TYPES[name]
    except (KeyError, TypeError):  # TypeError: an unhashable "name" from parsed JSON
        raise UnknownEventTypeError(str(name), tuple(EVENT_TYPES)) from None


def validate(name: str, data: Mapping[str, Any], checking: Checking | None = None
             ) -> dict[str, Any]:
    """A new dict of ``data``'s normalised JSON-native values, or InvalidFieldError.

    ``checking`` carries the day of recording (for "not after today" dates) and says
    whether the event is derived from stored events (``domain.fields.Checking``).
    """
    event_type = get_event_type(name)
    if not isinstance(data, Mapping):
        raise InvalidFieldError("data", f"an object with the fields of {name}", "wrong type")
    return validate_fields(
        event_type.fields, data, required_when=event_type.required_when, owner=name,
        checking=checking,
    )


# Issue 10: appended only by the commands that do what they record (case chronology
# --include-personal, case disclose, case erase), never by record or import.
BY_THEIR_COMMANDS = frozenset({"personal-data-accessed", "personal-data-disclosed",
                               "personal-data-erased"})


def personal_field_names(name: str) -> tuple[str, ...]:
    return tuple(f.name for f in get_event_type(name).fields if f.personal)


def _type_schema(t: EventType) -> dict[str, Any]:
    schema = object_schema(t.fields, t.required_when)
    schema = {
        "title": t.name,
        "description": t.help,
        **schema,
        "x-class-name": t.class_name,
        "x-version": t.version,
        "x-roles": [r for r in ROLES if r in t.roles],
        "x-stream": t.stream,
        "x-section": t.section,
        "x-rules": t.rules,
        "x-personal": [f.name for f in t.fields if f.personal],
    }
    return schema


def json_schema(name: str | None = None) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one type's data, or of an event ``{type, data}``.

    The all-types form is keyed on ``type`` because many types share a shape (``{"on":
    date}``): a ``oneOf`` over bare data would match several branches and so reject valid
    events. Other envelope keys (``case``, ``occurred_at``, ``as``) belong to the ledger
    and the CLI and are allowed, not described.
    """
    if name is not None:
        t = get_event_type(name)
        return {
            "$schema": JSON_SCHEMA_DIALECT,
            "$id": f"urn:cspr-ledger:event:{t.name}:v{t.version}",
            **_type_schema(t),
        }
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": "urn:cspr-ledger:events",
        "title": "cspr-ledger event",
        "description": "an event of EVENTS.md: its kebab-case type and its data",
        "type": "object",
        "properties": {"type": {"enum": list(EVENT_TYPES)}, "data": {"type": "object"}},
        "required": ["type", "data"],
        "oneOf": [
            {"properties": {"type": {"const": n}, "data": {"$ref": f"#/$defs/{n}"}}}
            for n in EVENT_TYPES
        ],
        "$defs": {n: _type_schema(t) for n, t in EVENT_TYPES.items()},
    }


def describe(name: str) -> str:
    """Plain-text help for one event type, as ``cspr record TYPE --help`` shows it."""
    t = get_event_type(name)
    lines = [f"{t.name}: {t.help}", f"  recorded by: {', '.join(r for r in ROLES if r in t.roles)}"]
    if t.rules:
        lines.append(f"  rules: {t.rules}")
    lines.append("  fields (? optional, P personal data):")
    for f in t.fields:
        marks = ("" if f.required else "?") + (" P" if f.personal else "")
        default = f" (default {_shown(f.default)})" if f.default is not None else ""
        lines.append(f"    {f.name}{marks}: {f.help}{default}")
        lines.append(f"      expects {f.expected()}")
        for sub in f.fields:  # an object's own fields, e.g. child.name
            sub_marks = ("" if sub.required else "?") + (" P" if sub.personal else "")
            lines.append(f"      {f.name}.{sub.name}{sub_marks}: {sub.help}")
            lines.append(f"        expects {sub.expected()}")
    for target, (condition, when) in t.required_when:
        lines.append(f"  {target} is required when {condition} is {_shown(when)}")
    return "\n".join(_wrapped(line) for line in lines)


_HELP_WIDTH = 96


def _wrapped(line: str) -> str:
    """One help line folded at _HELP_WIDTH, continuation lines indented under it."""
    indent = " " * (len(line) - len(line.lstrip()) + 2)
    return textwrap.fill(line, _HELP_WIDTH, subsequent_indent=indent,
                         break_on_hyphens=False)


def _shown(value: Any) -> str:
    """A value as a person types it in JSON (false, not False)."""
    return json.dumps(value)
