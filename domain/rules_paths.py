"""The rules of the procedure's further paths (issue 11 item 8): the National Panel's
requests and a national review (§9.3-9.6), telling the family (§16.1), the coroner (§17.4),
the media strategy (§20.1), the reviewer's supervision (§12.5) and the L&D sub-group's
outcome below threshold (App. 1). Declared as ``domain/rules.py`` declares its own.

Effective date of every rule below: the seed procedure of March 2020 (Working Together
2018). Events of a review stream are refused before an LCSPR is commissioned by
``domain.procedure`` itself (ReviewNotCommissionedError), so no rule here repeats that.
"""

from __future__ import annotations

from domain.catalogue_paths import FAMILY_DECISIONS
from domain.errors import RuleViolationError
from domain.rule_base import Rule, RuleContext, _on


class NationalPanelNotNotifiedError(RuleViolationError):
    paragraph = "§9.3"


class InformationNotRequestedError(RuleViolationError):
    paragraph = "§9.3-9.4"


class NationalReviewNotDecidedError(RuleViolationError):
    paragraph = "§9.6"


class FamilyDecisionNotRecordedError(RuleViolationError):
    paragraph = "§9.5, §16.1"


class LearningOutcomeNotDecidedError(RuleViolationError):
    paragraph = "§14.6, App. 1"


class ReviewSignedOffError(RuleViolationError):
    paragraph = "§12.5"


class MediaStrategyBeforeCommissioningError(RuleViolationError):
    paragraph = "§20.1"


class CoronerRequestNotReceivedError(RuleViolationError):
    paragraph = "§17.4"


class LegalAdviceAfterAnswerError(RuleViolationError):
    paragraph = "§17.4"


# Events of these paths that may still be recorded on a closed case: a family is told of
# the closure after it (§16.1), and a coroner asks for, and is answered about, an LCSPR's
# documents when the inquest comes, often long after the case closed (§17.4, §15.4).
PATH_AFTER_CLOSURE: frozenset[str] = frozenset({
    "family-informed", "coroner-request-received", "coroner-request-answered",
})


def _case_has(ctx: RuleContext, type_name: str) -> bool:
    return ctx.case is not None and ctx.case.count(type_name) > 0


def _information_requested(ctx: RuleContext) -> bool:
    # Either the request itself, or the Panel's answer flagged as asking for more (the
    # flag of EVENTS.md's national-panel-decided, recorded before this type existed).
    return _case_has(ctx, "national-panel-information-requested") or (
        ctx.case is not None and any(f.type == "national-panel-decided"
                                     and f.data.get("further_information_requested") is True
                                     for f in ctx.case.facts))


def _national_review_decided(ctx: RuleContext) -> bool:
    answer = ctx.case.last("national-panel-decided") if ctx.case else None
    return answer is not None and answer.data["national_review"] is True


def _unanswered_coroner_request(ctx: RuleContext) -> bool:
    r = ctx.review
    return r is not None and r.count("coroner-request-received") > r.count(
        "coroner-request-answered")


def _before_commissioning(ctx: RuleContext) -> bool:
    # The review stream opens with review-commissioned, whose decided_on is the day the
    # review was commissioned (ISO dates compare as text).
    return ctx.review is not None and ctx.data["on"] < ctx.review.facts[0].data["decided_on"]


PATH_RULES: tuple[Rule, ...] = (
    # §9.3 (2020-03): the dialogue with the National Panel follows a notification; the
    # Panel asks nothing of a case it was never told of.
    Rule(_on("national-panel-information-requested"), NationalPanelNotNotifiedError,
         "the National Panel asks for information only about a case notified to it",
         lambda c: not _case_has(c, "national-panel-notified")),
    # §9.3-9.4 (2020-03): the partners "must share further information ... as requested".
    Rule(_on("national-panel-information-sent"), InformationNotRequestedError,
         "no request of the National Panel for further information is recorded",
         lambda c: not _information_requested(c)),
    # §9.6 (2020-03): the scope of a national review is discussed once the Panel decides to
    # undertake one; its latest answer counts (an answer may be revised after §9.4).
    Rule(_on("national-review-scope-discussed"), NationalReviewNotDecidedError,
         "the National Panel's latest recorded answer is not a national review",
         lambda c: not _national_review_decided(c)),
    # §9.5, §16.1 (2020-03): a family is told of a decision that was made; telling them of
    # one the ledger does not hold would leave the trail without its decision.
    Rule(_on("family-informed"), FamilyDecisionNotRecordedError,
         "the decision the family was told of is not recorded for this case",
         lambda c: not _case_has(c, FAMILY_DECISIONS[c.data["decision"]])),
    # §14.6, App. 1 (2020-03): the L&D sub-group shares the rationale and outcome of the
    # route it decided; with no route decided there is nothing to share.
    Rule(_on("learning-outcome-shared"), LearningOutcomeNotDecidedError,
         "no learning route has been decided whose outcome could be shared",
         lambda c: not _case_has(c, "learning-route-decided")),
    # §12.5 (2020-03): the partners supervise the review "during the review"; once the
    # final report is signed off (§21.1) there is no progress left to supervise.
    Rule(_on("reviewer-progress-requested", "reviewer-supervision-recorded"),
         ReviewSignedOffError,
         "the final report is signed off: the review is no longer in progress",
         lambda c: c.review is not None and c.review.count("final-report-signed-off") > 0),
    # §20.1 (2020-03): the media strategy is considered "after the review has been
    # commissioned"; an approval dated before the commissioning decision is impossible.
    Rule(_on("media-strategy-approved"), MediaStrategyBeforeCommissioningError,
         "the media strategy is approved after the review is commissioned: on is before "
         "decided_on", _before_commissioning),
    # §17.4 (2020-03): the partners answer a request the Coroner made.
    Rule(_on("coroner-request-answered"), CoronerRequestNotReceivedError,
         "no Coroner's request is awaiting an answer",
         lambda c: not _unanswered_coroner_request(c)),
    # §17.4 (2020-03): "On receipt of a request ... [the partners] will seek legal advice in
    # order to consider Public Interest Immunity arguments": the advice comes first.
    Rule(_on("coroner-request-answered"), LegalAdviceAfterAnswerError,
         "the legal advice must come before the answer: legal_advice_on is after on",
         lambda c: c.data["legal_advice_on"] > c.data["on"]),
)
