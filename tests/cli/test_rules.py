"""Every rule of the procedure refuses with exit 1, cites its paragraph, appends nothing;
and every field of every type is checked with exit 2 naming it."""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time

from cli.record import RECORDABLE
from domain.catalogue import EVENT_TYPES
from domain.rules import RULES
from tests.helpers import make_ledger
from tests.scenario import LEARNING_PATH, REFERRAL_STEPS, THRESHOLD_MET_PATH, data, play


def _upto(path, type_name, nth=1):
    seen = 0
    for i, step in enumerate(path):
        if step[1] == type_name:
            seen += 1
            if seen == nth:
                return path[:i]
    raise KeyError(type_name)


GOVERNANCE_SHORT = [s for s in _upto(THRESHOLD_MET_PATH, "final-report-signed-off")
                    if not (s[1] == "governance-group-met" and s[2]["purpose"] == "finalise")]

# rule class name -> (history, (actor, type, overrides, occurred), words in the refusal)
RULE_CASES = {
    "OccurredInFutureError": (REFERRAL_STEPS, ("p1", "threshold-decided", {}, "2030-01-01"),
                              ["future"]),
    "DuplicateReferralError": (REFERRAL_STEPS, ("bu1", "incident-referred", {}, "2025-12-18"),
                               ["§4.2"]),
    "CaseClosedError": (LEARNING_PATH, ("bu1", "referrer-informed", {}, "2026-03-03"),
                        ["closed"]),
    "ThresholdAlreadyDecidedError": (_upto(THRESHOLD_MET_PATH, "national-panel-notified"),
                                     ("p1", "threshold-decided", {}, "2025-12-23"), ["§7.2"]),
    "ThresholdNotMetError": (REFERRAL_STEPS, ("bu1", "national-panel-notified", {},
                                              "2025-12-22"), ["§7.2"]),
    "LearningRouteAboveThresholdError": (_upto(THRESHOLD_MET_PATH, "national-panel-notified"),
                                         ("ldc", "learning-route-decided", {}, "2026-01-15"),
                                         ["§14.5"]),
    "LearningRouteNotDecidedError": (REFERRAL_STEPS, ("p1", "learning-route-approved", {},
                                                      "2026-01-15"), ["§14.6"]),
    "ReviewAlreadyCommissionedError": (_upto(THRESHOLD_MET_PATH, "terms-of-reference-agreed"),
                                       ("p1", "review-commissioned", {}, "2026-01-21"),
                                       ["§10"]),
    "GovernanceMeetingsMissingError": (GOVERNANCE_SHORT,
                                       ("scrut", "final-report-signed-off", {}, "2026-05-20"),
                                       ["§13.3", "3 governance"]),
    "ChildDeathReviewRefMissingError": (
        [("bu1", "incident-referred", {"harm": "death"}, "2025-12-18")],
        ("p1", "case-closed", {"child_death_review_ref": None}, "2026-01-05"), ["§4.3"]),
    "DuplicateActionError": (_upto(THRESHOLD_MET_PATH, "action-agreed", 2),
                             ("ldc", "action-agreed", {"action": "R1"}, "2026-07-03"),
                             ["§13.4"]),
    "ActionClosedError": (_upto(THRESHOLD_MET_PATH, "action-not-implemented"),
                          ("ag1", "action-updated", {"action": "R1"}, "2026-10-16"),
                          ["§13.4"]),
    "ExtensionNotLaterError": (_upto(THRESHOLD_MET_PATH, "action-extended"),
                               ("ldc", "action-extended", {"action": "R1",
                                                           "new_deadline": "2026-09-30"},
                                "2026-09-20"), ["§13.4", "later"]),
    "DuplicateEscalationError": (_upto(THRESHOLD_MET_PATH, "escalation-responded"),
                                 ("ldc", "action-escalated",
                                  {"action": "R2", "level": "partners", "on": "2026-09-10"},
                                  "2026-09-11"), ["§13.4"]),
    "DuplicateBreachError": (REFERRAL_STEPS + [("system", "deadline-breached", {},
                                                "2025-12-22")],
                             ("system", "deadline-breached", {}, "2025-12-23"),
                             ["already recorded"]),
    "ReviewNotCommissionedError": (REFERRAL_STEPS, ("p1", "governance-group-met", {},
                                                    "2026-02-02"), ["§10"]),
    "ActionNotAgreedError": (REFERRAL_STEPS, ("ag1", "action-updated", {"action": "Z9"},
                                              "2026-02-02"), ["Z9"]),
    # Issue 11, §7.4: "neither" only for a looked-after child's death.
    "NotASafeguardingIncidentError": ([], ("bu1", "incident-referred", {
        "abuse_or_neglect": "neither", "harm": "death", "looked_after": False},
        "2025-12-18"), ["§7.4"]),
    "ThresholdCriteriaNotMetError": ([("bu1", "incident-referred", {
        "abuse_or_neglect": "neither", "harm": "death", "looked_after": True}, "2025-12-18")],
        ("p1", "threshold-decided", {"meets_threshold": True}, "2025-12-22"), ["§7.1"]),
    # Issue 11 item 8: the further paths (domain/rules_paths.py).
    "NationalPanelNotNotifiedError": (REFERRAL_STEPS, (
        "bu1", "national-panel-information-requested", {}, "2025-12-22"), ["§9.3"]),
    "InformationNotRequestedError": (_upto(THRESHOLD_MET_PATH, "notification-acknowledged"), (
        "bu1", "national-panel-information-sent", {}, "2025-12-23"), ["§9.3-9.4"]),
    "NationalReviewNotDecidedError": (_upto(THRESHOLD_MET_PATH, "review-commissioned"), (
        "p1", "national-review-scope-discussed", {}, "2026-01-19"), ["§9.6"]),
    "FamilyDecisionNotRecordedError": (REFERRAL_STEPS, (
        "p1", "family-informed", {}, "2025-12-22"), ["§16.1"]),
    "LearningOutcomeNotDecidedError": (_upto(LEARNING_PATH, "learning-route-decided"), (
        "ldc", "learning-outcome-shared", {}, "2026-01-16"), ["§14.6"]),
    "ReviewSignedOffError": (_upto(THRESHOLD_MET_PATH, "publication-planned"), (
        "p1", "reviewer-progress-requested", {"on": "2026-05-21"}, "2026-05-21"), ["§12.5"]),
    "MediaStrategyBeforeCommissioningError": (
        _upto(THRESHOLD_MET_PATH, "terms-of-reference-agreed"),
        ("p1", "media-strategy-approved", {"on": "2026-01-19"}, "2026-01-21"), ["§20.1"]),
    "CoronerRequestNotReceivedError": (_upto(THRESHOLD_MET_PATH, "terms-of-reference-agreed"), (
        "p1", "coroner-request-answered", {}, "2026-04-20"), ["§17.4", "awaiting"]),
    "LegalAdviceAfterAnswerError": (
        _upto(THRESHOLD_MET_PATH, "terms-of-reference-agreed")
        + [("bu1", "coroner-request-received", {}, "2026-04-01")],
        ("p1", "coroner-request-answered", {"legal_advice_on": "2026-04-21"}, "2026-04-21"),
        ["§17.4", "legal advice"]),
    # Issue 11 item 7: who a joint decision may name as cosigners (domain/rules_cosign.py).
    "CosignerNotRegisteredError": (REFERRAL_STEPS, ("p1", "threshold-decided", {
        "cosigners": ["nobody"]}, "2025-12-22"), ["§8.9", "registered"]),
    "CosignerIsRecorderError": (REFERRAL_STEPS, ("p1", "threshold-decided", {
        "cosigners": ["scrut", "p1"]}, "2025-12-22"), ["§8.9", "recorder"]),
    "CosignerRoleError": (REFERRAL_STEPS, ("p1", "threshold-decided", {
        "cosigners": ["ag1"]}, "2025-12-22"), ["§21.1", "role"]),
}


# Rules whose history cannot be played with `record` (an erasure is made by its own
# command, co-signed), each refused in its own test.
TESTED_ELSEWHERE = {
    "PersonalDataErasedError":
        "tests/cli/test_erase_backup.py::test_an_erased_case_takes_no_personal_data_again",
    # Issue 11 item 7: a revoked co-signer, and a co-signature (recorded by `cspr cosign`).
    "CosignerRevokedError": "tests/cli/test_issue11_cosign.py::"
                            "test_a_decision_naming_cosigners_who_cannot_sign_is_refused",
    "DuplicateCosignatureError": "tests/cli/test_issue11_cosign.py::"
                                 "test_refusals_append_nothing",
    # Issue 12: a TOTP enrolment is recorded by the web service only, by the person.
    "EnrolmentNotOwnError": "tests/web/test_auth.py::"
                            "test_an_enrolment_recorded_for_someone_else_is_refused",
}


def test_every_rule_has_a_refusal_case():
    names = {rule.error.__name__ for rule in RULES}
    covered = set(RULE_CASES) | set(TESTED_ELSEWHERE)
    assert names <= covered, names - covered


@pytest.fixture(scope="module")
def frozen():
    with freeze_time("2027-01-15 12:00:00", tick=True):
        yield


@pytest.mark.parametrize("rule", sorted(RULE_CASES))
def test_rule_refuses_with_exit_1_and_appends_nothing(rule, tmp_path, frozen):
    from service.home import Home

    history, (actor, type_name, overrides, occurred), words = RULE_CASES[rule]
    lg = make_ledger(Home(tmp_path / "h"))
    play(lg, "R-1", history)
    size = lg.app.size()
    result = lg.cli("--as", actor, "record", type_name, "--case", "R-1", "--data",
                    json.dumps(data(type_name, **overrides)), "--occurred-at", occurred)
    assert result.exit_code == 1, result.output
    for word in words:
        assert word in result.stderr
    assert lg.reopen().app.size() == size


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    from service.home import Home

    return make_ledger(Home(tmp_path_factory.mktemp("bare") / "h"))


def _field_cases():
    for name in RECORDABLE:
        et = EVENT_TYPES[name]
        for f in et.fields:
            if f.required:
                yield name, f.name, "missing"
            yield name, f.name, "wrong"


WRONG = {"text": 5, "date": "2025-02-30", "datetime": "yesterday", "bool": "yes",
         "int": "five", "enum": "no-such-choice", "list": "not a list", "object": []}


@pytest.mark.parametrize("type_name,field,how", list(_field_cases()))
def test_each_field_is_checked_with_exit_2_naming_it(bare, type_name, field, how):
    et = EVENT_TYPES[type_name]
    actor = {"business_unit": "bu1", "partner": "p1", "ld_chair": "ldc", "agency": "ag1",
             "reviewer": "rev", "scrutineer": "scrut", "system": "system"}[
        sorted(et.roles)[0]]
    payload = data(type_name)
    if how == "missing":
        payload.pop(field)
    else:
        payload[field] = WRONG[et.field(field).kind]
    size = bare.app.size()
    result = bare.cli("--as", actor, "record", type_name, "--case", "V-1",
                      "--data", json.dumps(payload))
    assert result.exit_code == 2, result.output
    assert f"'{field}" in result.stderr
    assert bare.app.size() == size
