"""Issue 11 item 12: the decision trail (`cspr case history`) is complete.

Every decision-bearing event is in it: the final sign-off and its signatories (§21.1),
publication delays and their reasons (§19.1), decisions not to implement an action and why
(§23.1), escalations and the agencies' responses (§13.4, §21.2), the closure's Child Death
Review reference (§4.3, §10.5), and the role each person acted in, with their key.
"""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time

from service import actors
from tests.helpers import make_ledger
from tests.scenario import LEARNING_PATH, THRESHOLD_MET_PATH, data, play


@pytest.fixture
def lg(home):
    with freeze_time("2027-01-15 12:00:00", tick=True):
        lg = make_ledger(home)
        actors.add_actor(lg.app, lg.home, "both", ["partner", "scrutineer"])
        yield lg


def history(lg, case: str) -> tuple[list[dict], str]:
    as_json = lg.cli("case", "history", case, "--json")
    plain = lg.cli("case", "history", case)
    assert as_json.exit_code == 0 and plain.exit_code == 0, as_json.output + plain.output
    return json.loads(as_json.stdout), plain.stdout


def only(rows: list[dict], decision: str) -> dict:
    [row] = [r for r in rows if r["decision"] == decision]
    return row


def test_the_trail_holds_every_decision_bearing_event_with_its_reasons(lg):
    play(lg, "T-1", THRESHOLD_MET_PATH)
    rows, plain = history(lg, "T-1")
    signed_off = only(rows, "final-report-signed-off")
    assert (signed_off["outcome"], signed_off["decided_by"], signed_off["recorded_by"],
            signed_off["acted_as"]) == ("2026-05-20", ["Partner A (LA)", "Scrutineer S"],
                                        "scrut", ["scrutineer"])
    delay = only(rows, "publication-delay-notified")
    assert (delay["rationale"], delay["outcome"]) == (
        "Made-up criminal proceedings.", ["national_panel", "secretary_of_state"])
    dropped = only(rows, "action-not-implemented")
    assert (dropped["action"], dropped["rationale"], dropped["acted_as"]) == (
        "R2", "Made-up reason.", ["partner"])
    escalated = only(rows, "action-escalated")
    assert (escalated["action"], escalated["outcome"], escalated["recorded_by"]) == (
        "R2", "partners", "ldc")
    response = only(rows, "escalation-responded")
    assert (response["outcome"], response["rationale"], response["acted_as"]) == (
        "partners", "Made-up remedial plan.", ["agency"])
    # Every row says who signed, in which role, with which key.
    assert all(r["acted_as"] and len(r["key_id"]) == 32 for r in rows)
    for line in ("final-report-signed-off: 2026-05-20",
                 "decided by: Partner A (LA), Scrutineer S",
                 "recorded by scrut as scrutineer (key",
                 "publication-delay-notified: national_panel, secretary_of_state",
                 "rationale: Made-up criminal proceedings.",
                 "action-not-implemented: R2", "rationale: Made-up reason.",
                 "action-escalated: partners", "escalation-responded: partners",
                 "rationale: Made-up remedial plan.", "recorded by ag1 as agency (key"):
        assert line in plain, line


def test_the_closure_shows_its_child_death_review_reference(lg):
    steps = [s if s[1] != "case-closed" else
             ("p1", "case-closed", {"child_death_review_ref": "CDR-MADE-UP-42"}, s[3])
             for s in LEARNING_PATH]
    play(lg, "T-2", steps)
    rows, plain = history(lg, "T-2")
    closed = only(rows, "case-closed")
    assert (closed["child_death_review_ref"], closed["outcome"]) == (
        "CDR-MADE-UP-42", "no further action")
    assert "child death review: CDR-MADE-UP-42" in plain
    # A decision that was not a joint one has its recorder's signature only.
    assert [s["actor"] for s in closed["signatures"]] == ["p1"]
    assert closed["pending"] == [] and closed["cosigners"] == []


def test_an_actor_holding_two_roles_is_shown_in_both(lg):
    play(lg, "T-3", THRESHOLD_MET_PATH[:9])
    lg.record("both", "review-level-decided", "T-3", data("review-level-decided"),
              "2026-01-14")
    rows, plain = history(lg, "T-3")
    levels = [r for r in rows if r["decision"] == "review-level-decided"]
    assert levels[-1]["acted_as"] == ["partner", "scrutineer"]
    assert "recorded by both as partner, scrutineer (key" in plain


def test_case_show_and_history_agree_on_the_signatures(lg):
    """The trail is derived from the signed events; `case show` from the read models: a
    rebuild must give the same signatures (projections.tables SCHEMA_VERSION 4)."""
    play(lg, "T-4", THRESHOLD_MET_PATH[:4])
    assert lg.cli("projections", "rebuild").exit_code == 0
    view = json.loads(lg.cli("case", "show", "T-4", "--json").stdout)
    rows, _ = history(lg, "T-4")
    strip = (lambda s: {k: s[k] for k in ("actor", "key_id", "at", "position")})
    assert [[strip(s) for s in d["signatures"]] for d in view["decisions"]] == \
        [[strip(s) for s in r["signatures"]] for r in rows if r["kind"] == "decision"]
    verify = lg.cli("verify", "--projections")
    assert verify.exit_code == 0, verify.output
