"""Issue 11 item 8, through the CLI: the paths of the seed procedure EVENTS.md had no event
for, each a declared type with its rules (domain/catalogue_paths.py, rules_paths.py).

- §9.3-9.4: the National Panel asks for further information, the partners send it;
- §9.6: a national review's scope is discussed once the Panel decides to undertake one;
- §16.1: the family is told of a decision, the consent rationale recorded when consent is
  not sought;
- App. 1, §14.6: the L&D sub-group's outcome below threshold is shared with the partners;
- §20.1: the media strategy is approved after the review is commissioned;
- §12.5: the partners supervise the reviewer during the review, requests in writing;
- §17.4: the Coroner's requests, answered after legal advice, even after closure.

A refusal is exit 1 citing its paragraph (or exit 2 naming the field) and appends nothing.
Every date is written by hand: the case is referred on Mon 2 Mar 2026 and each step is
recorded on the day it occurred; time is frozen at 15 Jan 2027, after every one of them.
"""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time

from tests.helpers import make_ledger
from tests.ledger.tamper import raw
from tests.scenario import data

# Made-up family detail: personal data, which must never be stored in clear.
FAMILY_NOTE = "Grandmother Ottoline Brackenfold asked for a copy"


@pytest.fixture
def lg(home):
    with freeze_time("2027-01-15 12:00:00", tick=True):
        yield make_ledger(home)


def attempt(lg, actor: str, type_name: str, case: str, occurred: str, **fields):
    """`cspr record` of the type's example with these fields (None drops one)."""
    return lg.cli("--as", actor, "record", type_name, "--case", case, "--data",
                  json.dumps(data(type_name, **fields)), "--occurred-at", occurred)


def ok(lg, actor: str, type_name: str, case: str, occurred: str, **fields) -> None:
    result = attempt(lg, actor, type_name, case, occurred, **fields)
    assert result.exit_code == 0, result.output


def refused(lg, code: int, words: list[str], actor: str, type_name: str, case: str,
            occurred: str, **fields) -> None:
    size = lg.app.size()
    result = attempt(lg, actor, type_name, case, occurred, **fields)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.stderr, result.stderr
    assert lg.reopen().app.size() == size


def refer(lg, case: str) -> None:
    """Referred Mon 2 Mar 2026, reported to the partners Tue 3 Mar."""
    ok(lg, "bu1", "incident-referred", case, "2026-03-02", received_on="2026-03-02",
       aware_on="2026-03-02", incident_on="2026-02-28")
    ok(lg, "bu1", "reported-to-partners", case, "2026-03-03", on="2026-03-03")


def notify(lg, case: str) -> None:
    """Threshold met Wed 4 Mar 2026; the National Panel notified Fri 6 Mar."""
    refer(lg, case)
    ok(lg, "p1", "threshold-decided", case, "2026-03-04")
    ok(lg, "bu1", "national-panel-notified", case, "2026-03-06", on="2026-03-06")


def commission(lg, case: str) -> None:
    """The LCSPR commissioned Wed 1 Apr 2026."""
    notify(lg, case)
    ok(lg, "p1", "review-commissioned", case, "2026-04-01", decided_on="2026-04-01")


def stored_states(lg) -> bytes:
    with raw(lg.home) as db:
        return b"".join(bytes(s) for (s,) in db.execute("SELECT state FROM cspr_events"))


# --- §9.3-9.4: the National Panel's requests and the partners' reply -----------------------


def test_the_panel_asks_only_about_a_notified_case_and_is_sent_what_it_asked(lg):
    refer(lg, "NP-1")
    # Not yet notified: the Panel has nothing to ask about.
    refused(lg, 1, ["§9.3"], "bu1", "national-panel-information-requested", "NP-1",
            "2026-03-05", on="2026-03-05")
    ok(lg, "p1", "threshold-decided", "NP-1", "2026-03-04")
    ok(lg, "bu1", "national-panel-notified", "NP-1", "2026-03-06", on="2026-03-06")
    # Nothing asked yet: nothing to send.
    refused(lg, 1, ["§9.3-9.4", "request"], "bu1", "national-panel-information-sent", "NP-1",
            "2026-03-09", on="2026-03-09")
    ok(lg, "bu1", "national-panel-information-requested", "NP-1", "2026-03-09",
       on="2026-03-09")
    ok(lg, "bu1", "national-panel-information-sent", "NP-1", "2026-03-11", on="2026-03-11")


def test_the_panels_answer_flagged_as_asking_for_more_is_a_request_too(lg):
    notify(lg, "NP-2")
    ok(lg, "bu1", "national-panel-decided", "NP-2", "2026-03-20", national_review=False,
       further_information_requested=True)
    ok(lg, "bu1", "national-panel-information-sent", "NP-2", "2026-03-23", on="2026-03-23")


def test_what_was_asked_and_what_was_sent_are_required(lg):
    notify(lg, "NP-3")
    refused(lg, 2, ["'requested'"], "bu1", "national-panel-information-requested", "NP-3",
            "2026-03-09", on="2026-03-09", requested=None)


# --- §9.6: a national review's scope, through `cspr import` -------------------------------


def _import(lg, lines: list[dict]):
    path = lg.home.root / "paths.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return lg.cli("--as", "bu1", "import", str(path))


def _line(actor: str, type_name: str, occurred: str, **fields) -> dict:
    return {"type": type_name, "case": "NR-1", "occurred_at": occurred, "as": actor,
            "data": data(type_name, **fields)}


def test_a_national_reviews_scope_is_discussed_only_once_the_panel_decided_one(lg):
    notify(lg, "NR-1")
    scope = _line("p1", "national-review-scope-discussed", "2026-03-27", on="2026-03-27")
    # The Panel's answer is a local review: the whole import is refused, nothing appended.
    size = lg.app.size()
    no = _import(lg, [_line("bu1", "national-panel-decided", "2026-03-20",
                            national_review=False), scope])
    assert no.exit_code == 1, no.output
    assert "§9.6" in no.stderr
    assert lg.reopen().app.size() == size
    # The Panel decides to undertake a national review (§8.10): the discussion follows.
    yes = _import(lg, [_line("bu1", "national-panel-decided", "2026-03-20",
                             national_review=True), scope])
    assert yes.exit_code == 0, yes.output
    assert lg.reopen().app.size() == size + 2


def test_the_latest_answer_counts(lg):
    notify(lg, "NR-2")
    ok(lg, "bu1", "national-panel-decided", "NR-2", "2026-03-20", national_review=True)
    # §9.4: after further information the Panel answers again, now for a local review.
    ok(lg, "bu1", "national-panel-decided", "NR-2", "2026-04-06", national_review=False)
    refused(lg, 1, ["§9.6"], "p1", "national-review-scope-discussed", "NR-2", "2026-04-08",
            on="2026-04-08")


# --- §16.1: telling the family, and the consent rationale ---------------------------------


def test_consent_not_sought_needs_a_real_rationale(lg):
    refer(lg, "FI-1")
    ok(lg, "p1", "threshold-decided", "FI-1", "2026-03-04")
    refused(lg, 2, ["'rationale'"], "bu1", "family-informed", "FI-1", "2026-03-05",
            on="2026-03-05", consent="not_sought", rationale=None)
    refused(lg, 2, ["'rationale'"], "bu1", "family-informed", "FI-1", "2026-03-05",
            on="2026-03-05", consent="not_sought", rationale="n/a")
    # Consent refused: §16.1 asks for a rationale only where consent is not sought.
    ok(lg, "bu1", "family-informed", "FI-1", "2026-03-05", on="2026-03-05",
       consent="refused", rationale=None)


def test_the_family_is_told_only_of_a_recorded_decision_and_their_notes_are_sealed(lg):
    notify(lg, "FI-2")
    refused(lg, 1, ["§9.5, §16.1"], "p1", "family-informed", "FI-2", "2026-03-23",
            on="2026-03-23", decision="national_review")
    ok(lg, "bu1", "national-panel-decided", "FI-2", "2026-03-20", national_review=True)
    ok(lg, "p1", "family-informed", "FI-2", "2026-03-23", on="2026-03-23",
       decision="national_review", notes=FAMILY_NOTE)
    assert FAMILY_NOTE.encode() not in stored_states(lg)


def test_the_family_is_told_of_the_closure_after_it(lg):
    refer(lg, "FI-3")
    ok(lg, "p1", "threshold-decided", "FI-3", "2026-03-04", meets_threshold=False,
       learning_potential=False)
    ok(lg, "p1", "case-closed", "FI-3", "2026-03-16")
    ok(lg, "bu1", "family-informed", "FI-3", "2026-03-18", on="2026-03-18",
       decision="case_closed")
    # The closure still stops the rest: only the events allowed after it pass.
    refused(lg, 1, ["closed"], "bu1", "referrer-informed", "FI-3", "2026-03-18",
            on="2026-03-18")


# --- App. 1, §14.6: the L&D sub-group's outcome shared with the partners -------------------


def test_the_learning_outcome_is_shared_only_once_a_route_was_decided(lg):
    refer(lg, "LO-1")
    ok(lg, "p1", "threshold-decided", "LO-1", "2026-03-04", meets_threshold=False,
       learning_potential=True)
    refused(lg, 1, ["§14.6, App. 1"], "ldc", "learning-outcome-shared", "LO-1", "2026-03-20",
            on="2026-03-20")
    ok(lg, "ldc", "learning-route-decided", "LO-1", "2026-03-19", meeting_on="2026-03-19")
    ok(lg, "ldc", "learning-outcome-shared", "LO-1", "2026-03-20", on="2026-03-20")
    refused(lg, 2, ["'shared_with'"], "ldc", "learning-outcome-shared", "LO-1", "2026-03-20",
            on="2026-03-20", shared_with=[])


# --- §20.1: the media strategy --------------------------------------------------------------


def test_the_media_strategy_is_approved_after_the_review_is_commissioned(lg):
    notify(lg, "MS-1")
    refused(lg, 1, ["§10"], "p1", "media-strategy-approved", "MS-1", "2026-03-30",
            on="2026-03-30")
    ok(lg, "p1", "review-commissioned", "MS-1", "2026-04-01", decided_on="2026-04-01")
    # Recorded on Thu 2 Apr, but dated Tue 31 Mar: the day before the commissioning.
    refused(lg, 1, ["§20.1"], "p1", "media-strategy-approved", "MS-1", "2026-04-02",
            on="2026-03-31")
    ok(lg, "p1", "media-strategy-approved", "MS-1", "2026-04-02", on="2026-04-01")


# --- §12.5: supervising the reviewer --------------------------------------------------------


def test_the_reviewer_is_supervised_during_the_review_and_not_after_sign_off(lg):
    commission(lg, "RS-1")
    ok(lg, "p1", "reviewer-progress-requested", "RS-1", "2026-05-04", on="2026-05-04")
    refused(lg, 2, ["'rationale'"], "p1", "reviewer-supervision-recorded", "RS-1",
            "2026-05-11", on="2026-05-11", rationale=None)
    ok(lg, "p1", "reviewer-supervision-recorded", "RS-1", "2026-05-11", on="2026-05-11",
       progress_satisfactory=False,
       rationale="Made-up: the chronology is two weeks late; the reviewer to report weekly.")
    for day, purpose in [("2026-04-13", "establish"), ("2026-05-18", "monitor"),
                         ("2026-06-22", "finalise")]:
        ok(lg, "p1", "governance-group-met", "RS-1", day, on=day, purpose=purpose)
    ok(lg, "scrut", "final-report-signed-off", "RS-1", "2026-07-01", on="2026-07-01")
    refused(lg, 1, ["§12.5", "signed off"], "p1", "reviewer-progress-requested", "RS-1",
            "2026-07-02", on="2026-07-02")
    refused(lg, 1, ["§12.5"], "p1", "reviewer-supervision-recorded", "RS-1", "2026-07-02",
            on="2026-07-02")


# --- §17.4: the Coroner's requests ----------------------------------------------------------


def test_the_coroner_is_answered_after_legal_advice_and_only_what_was_asked(lg):
    notify(lg, "CR-1")
    # §17.4 speaks of "documents relating to a LCSPR": none before one is commissioned.
    refused(lg, 1, ["§10"], "bu1", "coroner-request-received", "CR-1", "2026-03-30",
            on="2026-03-30")
    ok(lg, "p1", "review-commissioned", "CR-1", "2026-04-01", decided_on="2026-04-01")
    refused(lg, 1, ["§17.4", "awaiting"], "p1", "coroner-request-answered", "CR-1",
            "2026-05-15", on="2026-05-15", legal_advice_on="2026-05-12")
    ok(lg, "bu1", "coroner-request-received", "CR-1", "2026-05-05", on="2026-05-05")
    # Legal advice on Wed 20 May, after the answer of Fri 15 May: the advice comes first.
    refused(lg, 1, ["§17.4", "legal advice"], "p1", "coroner-request-answered", "CR-1",
            "2026-05-20", on="2026-05-15", legal_advice_on="2026-05-20")
    ok(lg, "p1", "coroner-request-answered", "CR-1", "2026-05-15", on="2026-05-15",
       legal_advice_on="2026-05-12", outcome="withheld_public_interest_immunity")
    # One request, one answer: a second answer has nothing to answer.
    refused(lg, 1, ["§17.4"], "p1", "coroner-request-answered", "CR-1", "2026-05-18",
            on="2026-05-18", legal_advice_on="2026-05-12")


def test_coroners_ask_late_and_are_answered_after_closure(lg):
    commission(lg, "CR-2")
    ok(lg, "p1", "case-closed", "CR-2", "2026-08-03")
    ok(lg, "bu1", "coroner-request-received", "CR-2", "2026-11-02", on="2026-11-02")
    ok(lg, "p1", "coroner-request-answered", "CR-2", "2026-11-20", on="2026-11-20",
       legal_advice_on="2026-11-16", outcome="disclosed")
    # Other review events stay closed.
    refused(lg, 1, ["closed"], "p1", "media-strategy-approved", "CR-2", "2026-11-20",
            on="2026-11-20")
