"""The procedure's rules, as data: which event each rule guards, the paragraph it comes
from, and the named failure it raises.

Each rule is a predicate over a :class:`RuleContext` (the streams the event touches, as
they stand) that returns True when the event must be refused. Rules are checked when an
event is recorded, never by a clock; the clocks live in ``domain.clocks``.
Effective date of every rule below: the seed procedure of March 2020 (Working Together
2018), unless a comment says otherwise.
"""

from __future__ import annotations

from domain.catalogue import personal_field_names
from domain.errors import RuleViolationError
from domain.rule_base import Rule, RuleContext, _on
from domain.rules_actor import ACTOR_RULES
from domain.rules_cosign import COSIGN_AFTER_CLOSURE, COSIGN_RULES
from domain.rules_paths import PATH_AFTER_CLOSURE, PATH_RULES
from domain.streams import Action


class DuplicateReferralError(RuleViolationError):
    paragraph = "§4.2"


class ThresholdAlreadyDecidedError(RuleViolationError):
    paragraph = "§7.2"


class ThresholdNotMetError(RuleViolationError):
    paragraph = "§7.2"


class NotASafeguardingIncidentError(RuleViolationError):
    paragraph = "§3.1, §7.1, §7.4"


class ThresholdCriteriaNotMetError(RuleViolationError):
    paragraph = "§3.1, §7.1, §7.4"


class LearningRouteAboveThresholdError(RuleViolationError):
    paragraph = "§14.5"


class LearningRouteNotDecidedError(RuleViolationError):
    paragraph = "§14.6"


class GovernanceMeetingsMissingError(RuleViolationError):
    paragraph = "§13.3"


class ExtensionNotLaterError(RuleViolationError):
    paragraph = "§13.4"


class ChildDeathReviewRefMissingError(RuleViolationError):
    paragraph = "§4.3, §10.5"


class CaseClosedError(RuleViolationError):
    paragraph = "§10.5"


class PersonalDataErasedError(RuleViolationError):
    # Product decision (issue 10): an erasure is for good; personal data recorded after it
    # would get a new data key and undo it for this case.
    paragraph = "UK GDPR Art. 17; issue 10: erasure is for good"


class OccurredInFutureError(RuleViolationError):
    paragraph = "EVENTS.md: occurred_at"


class ReviewNotCommissionedError(RuleViolationError):
    paragraph = "§10"


class ReviewAlreadyCommissionedError(RuleViolationError):
    paragraph = "§10"


class DuplicateActionError(RuleViolationError):
    paragraph = "§13.4"


class ActionNotAgreedError(RuleViolationError):
    paragraph = "§13.4"


class ActionClosedError(RuleViolationError):
    paragraph = "§13.4, §23.1"


class DuplicateEscalationError(RuleViolationError):
    paragraph = "§13.4, §21.2"


class DuplicateBreachError(RuleViolationError):
    paragraph = "PROCEDURE.md: occurred and recorded"


# Events that may still be recorded on a closed case: the action plan and the report's
# own life (EVENTS.md case-closed: "nothing but action-* and report events after it"),
# and the ledger's breach alerts, which must never be silenced by a closure.
AFTER_CLOSURE = frozenset({
    "draft-report-presented", "final-report-signed-off", "publication-planned",
    "report-sent-before-publication", "publication-delay-notified", "report-published",
    "publication-declined", "report-withdrawn", "deadline-breached",
    # Issue 10: reading, disclosing and erasing personal data go on after closure.
    "personal-data-accessed", "personal-data-disclosed", "personal-data-erased",
}) | PATH_AFTER_CLOSURE | COSIGN_AFTER_CLOSURE


def _threshold(ctx: RuleContext) -> bool | None:
    fact = ctx.case.last("threshold-decided") if ctx.case else None
    return None if fact is None else bool(fact.data["meets_threshold"])


def _neither_abuse_nor_neglect(ctx: RuleContext) -> bool:
    referral = ctx.case.last("incident-referred") if ctx.case else None
    return referral is not None and referral.data.get("abuse_or_neglect") == "neither"


def _closed(ctx: RuleContext) -> bool:
    return ctx.case is not None and ctx.case.count("case-closed") > 0


def _deadline_in_force(action: Action) -> str:
    ext = action.last("action-extended")
    return ext.data["new_deadline"] if ext else action.facts[0].data["deadline"]


def _action_closed(ctx: RuleContext) -> bool:
    a = ctx.action
    return a is not None and (a.count("action-completed") + a.count("action-not-implemented")) > 0


def _escalated_already(ctx: RuleContext) -> bool:
    # §13.4, §21.2: the Head of Service rung counts from the deadline in force, so an
    # escalation made before an extension moved it later does not stop the new ladder
    # from climbing again; the Chief Officer rung counts from the ORIGINAL deadline, which
    # no extension moves, so the Chief Officer is told once.
    a = ctx.action
    if a is None:
        return False
    level = ctx.data["level"]
    since = a.facts[0].data["deadline"] if level == "chief_officer" else _deadline_in_force(a)
    return any(
        f.type == "action-escalated" and f.data["level"] == level and f.data["on"] > since
        for f in a.facts
    )


def _breach_recorded(ctx: RuleContext) -> bool:
    c = ctx.case
    key = (ctx.data["clock"], ctx.data["due_on"], ctx.data.get("action"))
    return c is not None and any(
        f.type == "deadline-breached"
        and (f.data["clock"], f.data["due_on"], f.data.get("action")) == key
        for f in c.facts
    )


def _death_without_review_ref(ctx: RuleContext) -> bool:
    if ctx.case is None or ctx.data.get("child_death_review_ref"):
        return False
    died = ctx.case.facts[0].data.get("harm") == "death"
    return died and ctx.review is None


RULES: tuple[Rule, ...] = (
    Rule(frozenset(), OccurredInFutureError, "an event cannot have occurred in the future",
         lambda c: c.occurred_on > c.today),
    # Issue 10: after erasure a case takes no personal data again (its events still do).
    Rule(frozenset(), PersonalDataErasedError,
         "this case's personal data was erased: record the event without its personal "
         "fields", lambda c: c.case is not None and c.case.count("personal-data-erased") > 0
         and any(name in c.data for name in personal_field_names(c.type))),
    # §4.2: one referral opens a case; a second referral for the same reference is refused.
    Rule(_on("incident-referred"), DuplicateReferralError,
         "this case already has a referral", lambda c: c.case is not None),
    # §3.1, §7.1, §7.4 (2020-03; issue 11): with neither abuse nor neglect known or
    # suspected there is no serious child safeguarding incident; only a looked-after
    # child's death is still referred, for the DfE and Ofsted notification of §7.4.
    Rule(_on("incident-referred"), NotASafeguardingIncidentError,
         "neither abuse nor neglect known or suspected: only a looked-after child's death "
         "is referred so (§7.4)",
         lambda c: c.data.get("abuse_or_neglect") == "neither"
         and not (c.data.get("harm") == "death" and c.data.get("looked_after") is True)),
    Rule(frozenset(), CaseClosedError,
         "the case is closed: only action and report events may follow",
         lambda c: _closed(c) and c.type not in AFTER_CLOSURE and c.action is None
         and not c.type.startswith("action-") and c.type != "escalation-responded"),
    # §7.2: the SSP decide the threshold once.
    Rule(_on("threshold-decided"), ThresholdAlreadyDecidedError,
         "the threshold has already been decided for this case",
         lambda c: _threshold(c) is not None),
    # §3.1, §7.1 (2020-03; issue 11): the criteria need abuse or neglect known or
    # suspected; a looked-after child's death alone (§7.4) does not meet them.
    Rule(_on("threshold-decided"), ThresholdCriteriaNotMetError,
         "the referral records neither abuse nor neglect known or suspected, so the "
         "criteria of §7.1 cannot be met",
         lambda c: c.data.get("meets_threshold") is True and _neither_abuse_nor_neglect(c)),
    # §7.2: only a case that meets the threshold is notified to the National Panel.
    Rule(_on("national-panel-notified"), ThresholdNotMetError,
         "the National Panel is notified only when the threshold is met",
         lambda c: _threshold(c) is not True),
    # §14.5: learning routes are for cases below the threshold.
    Rule(_on("learning-route-decided"), LearningRouteAboveThresholdError,
         "a learning route is decided only where the threshold was not met",
         lambda c: _threshold(c) is not False),
    # §14.6-14.7: the SSP approve a route the L&D sub-group has decided.
    Rule(_on("learning-route-approved"), LearningRouteNotDecidedError,
         "no learning route has been decided to approve",
         lambda c: c.case is None or c.case.count("learning-route-decided") == 0),
    Rule(_on("review-commissioned"), ReviewAlreadyCommissionedError,
         "an LCSPR is already commissioned for this case", lambda c: c.review is not None),
    # §13.3: establish, monitor, finalise: three governance meetings before sign-off.
    Rule(_on("final-report-signed-off"), GovernanceMeetingsMissingError,
         "the final report needs at least 3 governance group meetings before sign-off",
         lambda c: c.review is not None and c.review.count("governance-group-met") < 3),
    # §4.3, §10.5: a death closed with no review needs the child death review reference.
    Rule(_on("case-closed"), ChildDeathReviewRefMissingError,
         "closing a child's death with no review needs child_death_review_ref",
         _death_without_review_ref),
    Rule(_on("action-agreed"), DuplicateActionError,
         "this action reference is already agreed for the case",
         lambda c: c.action is not None),
    Rule(_on("action-updated", "action-completed", "action-extended", "action-escalated",
             "escalation-responded", "action-not-implemented"), ActionClosedError,
         "this action is already completed or closed as not implemented", _action_closed),
    # §13.4: an extension must move the deadline in force later.
    Rule(_on("action-extended"), ExtensionNotLaterError,
         "new_deadline must be later than the deadline in force",
         lambda c: c.action is not None
         and c.data["new_deadline"] <= _deadline_in_force(c.action)),
    Rule(_on("action-escalated"), DuplicateEscalationError,
         "this escalation level is already recorded for the deadline in force",
         _escalated_already),
    Rule(_on("deadline-breached"), DuplicateBreachError,
         "this breach is already recorded", _breach_recorded),
) + PATH_RULES + COSIGN_RULES + ACTOR_RULES


def check(ctx: RuleContext) -> None:
    for rule in RULES:
        if (not rule.types or ctx.type in rule.types) and rule.refuses(ctx):
            raise rule.error(rule.message)


deadline_in_force = _deadline_in_force

