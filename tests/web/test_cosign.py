"""Co-sign through the web (web/cosign.py), with Flask's test client, on both databases.

Three partners and the Scrutineer: p1 records the threshold decision through the record
form naming p2, p3 and scrut as cosigners; each signs in and co-signs it from the page
with their own passphrase; the decision then leaves every waiting list. Refusals (not
named, already signed, wrong passphrase) append nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from projections.source import case_facts
from service.actors import add_actor
from tests.conftest import TEST_PASSPHRASE
from tests.helpers import REFERRAL, Ledger, run_cli
from tests.web.conftest import csrf_token
from tests.web.test_record import CASE, post_record

DECISION = {"meets_threshold": True, "rationale": "Made-up rationale: §7.1 criteria met.",
            "decided_by": ["Partner A (LA)", "Partner B (ICB)", "Partner C (Police)"],
            "cosigners": ["p2", "p3", "scrut"]}


@pytest.fixture
def decided(web_ledger: Ledger, web_app: Flask, sign_in: Any) -> int:
    """A referral, and p1's threshold decision recorded through the form naming three
    cosigners; its ledger position."""
    for partner in ("p2", "p3"):
        add_actor(web_ledger.app, web_ledger.home, partner, ["partner"])
    web_ledger.record("bu1", "incident-referred", CASE, REFERRAL, "2025-12-18")
    web_ledger.record("bu1", "reported-to-partners", CASE, {"on": "2025-12-19"},
                      "2025-12-19")
    client = web_app.test_client()
    sign_in(client, "p1")
    r = post_record(client, "threshold-decided", DECISION)
    assert r.status_code == 303
    (fact,) = [f for f in case_facts(web_ledger.app, CASE) if f.type == "threshold-decided"]
    assert fact.actor == "p1"
    return fact.position


def cosign_page(client: FlaskClient, position: int, passphrase: str = TEST_PASSPHRASE
                ) -> Any:
    page = client.get(f"/cosign/{position}")
    assert page.status_code == 200
    return client.post(f"/cosign/{position}", data={
        "passphrase": passphrase, "csrf_token": csrf_token(page.get_data(True))})


def test_three_cosigners_each_sign_the_decision_from_the_page(
        web_app: Flask, web_ledger: Ledger, sign_in: Any, decided: int) -> None:
    for n, who in enumerate(["p2", "p3", "scrut"], start=1):
        client = web_app.test_client()
        sign_in(client, who)
        waiting = client.get("/cosign?format=json").get_json()["awaiting_cosignature"]
        assert [(w["case"], w["position"], w["decision"]) for w in waiting] == [
            (CASE, decided, "threshold-decided")]
        page = client.get(f"/cosign/{decided}").get_data(True)
        assert "Made-up rationale: §7.1 criteria met." in page and "Sign this decision" in page
        shown = client.get(f"/cosign/{decided}?format=json").get_json()
        assert shown["recorded_by"] == "p1" and shown["data"]["meets_threshold"] is True
        assert shown["signed_by"] == ["p1", "p2", "p3", "scrut"][:n]
        assert who in shown["still_to_sign"]
        r = cosign_page(client, decided)
        assert r.status_code == 303 and r.headers["Location"] == "/cosign"
        banner = client.get("/cosign").get_data(True)
        assert f"You co-signed the threshold-decided decision on {CASE}" in banner
        assert "No decision is waiting for your signature" in banner
    # signed by each one's own key, the decision complete, the ledger verified
    cosigs = [f for f in case_facts(web_ledger.app, CASE) if f.type == "decision-cosigned"]
    assert [(c.actor, c.data["position"]) for c in cosigs] == [
        ("p2", decided), ("p3", decided), ("scrut", decided)]
    shown = json.loads(run_cli(web_ledger.home, "case", "show", CASE, "--json").output)
    assert shown["awaiting_cosignature"] == []
    assert run_cli(web_ledger.home, "verify").exit_code == 0


def test_refusals_append_nothing(web_app: Flask, web_ledger: Ledger, sign_in: Any,
                                 decided: int) -> None:
    recorder, p2 = web_app.test_client(), web_app.test_client()
    sign_in(recorder, "p1")
    sign_in(p2, "p2")  # signing in may itself be recorded: before counting
    assert recorder.get("/cosign?format=json").get_json()["awaiting_cosignature"] == []
    page = recorder.get(f"/cosign/{decided}").get_data(True)
    assert "Sign this decision" not in page and "p2, p3, scrut" in page
    before = web_ledger.app.size()
    token = csrf_token(recorder.get("/cosign").get_data(True))
    r = recorder.post(f"/cosign/{decided}", data={"passphrase": TEST_PASSPHRASE,
                                                  "csrf_token": token})
    assert r.status_code == 409
    assert "Not signed: this decision does not name you among its cosigners (§8.9, §21.1)" \
        in r.get_data(True)
    assert web_ledger.app.size() == before

    wrong = cosign_page(p2, decided, passphrase="a made-up wrong passphrase")
    assert wrong.status_code == 400
    html = wrong.get_data(True)
    assert "The passphrase does not open your key" in html
    assert "a made-up wrong passphrase" not in html
    assert web_ledger.app.size() == before
    assert cosign_page(p2, decided).status_code == 303
    signed = web_ledger.app.size()
    # the form is gone, and a second signature by hand is refused by the rule
    token = csrf_token(p2.get("/cosign").get_data(True))
    again = p2.post(f"/cosign/{decided}", data={"passphrase": TEST_PASSPHRASE,
                                               "csrf_token": token})
    assert again.status_code == 409 and "§8.9, §21.1" in again.get_data(True)
    assert web_ledger.app.size() == signed


def test_a_position_that_is_no_joint_decision_is_not_found(
        web_app: Flask, web_ledger: Ledger, sign_in: Any, decided: int) -> None:
    client = web_app.test_client()
    sign_in(client, "p2")
    assert client.get(f"/cosign/{decided - 1}").status_code == 404  # reported-to-partners
    assert client.get("/cosign/999999").status_code == 404


def test_a_cosignature_needs_its_csrf_token(web_app: Flask, web_ledger: Ledger,
                                           sign_in: Any, decided: int) -> None:
    client = web_app.test_client()
    sign_in(client, "p2")
    before = web_ledger.app.size()
    r = client.post(f"/cosign/{decided}", data={"passphrase": TEST_PASSPHRASE})
    assert r.status_code == 400
    assert web_ledger.app.size() == before
