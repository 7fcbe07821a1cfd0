"""Record through the web (web/record.py), with Flask's test client, on both databases.

A referral recorded through the form is in the ledger, signed by the person's own key,
and the ledger still verifies; every refusal (bad input, a rule of the procedure, a wrong
passphrase, a role without the type, a missing CSRF token) appends nothing and never
echoes what was typed.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from projections.source import case_facts
from tests.conftest import TEST_PASSPHRASE
from tests.helpers import CHILD_NAME, REFERRAL, Ledger, run_cli
from tests.web.conftest import csrf_token
from tests.web.test_catalogue_forms import formdata_for

CASE = "C-WEB-001"
# The day the referral happened, as a person types it in the three boxes.
OCCURRED = [("occurred_at", "18"), ("occurred_at", "12"), ("occurred_at", "2025")]
THRESHOLD_MET = {"meets_threshold": True, "rationale": "Made-up rationale for a test.",
                 "decided_by": ["LA", "ICB", "Police"]}


def post_record(client: FlaskClient, type_name: str, data: dict[str, Any],
                case: str | None = CASE, passphrase: str = TEST_PASSPHRASE,
                extra: list[tuple[str, str]] | None = None, drop: tuple[str, ...] = ()
                ) -> Any:
    page = client.get(f"/record/{type_name}")
    assert page.status_code == 200
    pairs = [p for p in formdata_for(type_name, data) + OCCURRED if p[0] not in drop]
    pairs += extra or []
    pairs += [("passphrase", passphrase), ("csrf_token", csrf_token(page.get_data(True)))]
    if case is not None:
        pairs.append(("case", case))
    return client.post(f"/record/{type_name}", data=MultiDict(pairs))


@pytest.fixture
def bu1(client: FlaskClient, sign_in: Any, caplog: pytest.LogCaptureFixture) -> FlaskClient:
    """The business unit's officer, signed in; every log line of the test captured."""
    caplog.set_level(logging.DEBUG)
    sign_in(client, "bu1")
    return client


def test_the_business_unit_records_a_referral_signed_with_their_key(
        bu1: FlaskClient, web_ledger: Ledger, caplog: pytest.LogCaptureFixture) -> None:
    client = bu1
    before = web_ledger.app.size()
    r = post_record(client, "incident-referred", REFERRAL)
    assert r.status_code == 303
    assert r.headers["Location"] == f"/cases/{CASE}"
    assert web_ledger.app.size() == before + 1
    (fact,) = case_facts(web_ledger.app, CASE)
    assert (fact.type, fact.actor, fact.occurred_at) == ("incident-referred", "bu1",
                                                         "2025-12-18")
    assert fact.data["harm"] == "death" and fact.data["received_on"] == "2025-12-17"
    # signed by bu1's own registered key, and the whole ledger still verifies
    listed = run_cli(web_ledger.home, "actor", "list", "--json")
    assert '"bu1"' in listed.output and fact.key_id in listed.output
    assert run_cli(web_ledger.home, "verify").exit_code == 0
    # the child's name travelled in the POST body only: not in the URL, not in a log
    assert CHILD_NAME not in r.headers["Location"] and CHILD_NAME not in caplog.text


def test_the_record_pages_offer_only_what_the_roles_may_record(
        client: FlaskClient, sign_in: Any) -> None:
    sign_in(client, "p1")
    listed = client.get("/record?format=json").get_json()["types"]
    names = [t["type"] for t in listed]
    assert "threshold-decided" in names and "incident-referred" not in names
    html = client.get("/record").get_data(True)
    assert "Referral and notification" in html and "/record/threshold-decided" in html
    assert client.get("/record/incident-referred").status_code == 403
    # a script asking for JSON gets the type's schema, as `cspr schema TYPE` prints it
    schema = client.get("/record/threshold-decided?format=json").get_json()
    assert schema["title"] == "threshold-decided" and "rationale" in schema["properties"]
    assert client.get("/record/no-such-type").status_code == 404
    # the decided-by-hand types only: a co-signature has its own page
    assert client.get("/record/decision-cosigned").status_code == 404


def test_a_role_not_allowed_is_refused_on_post_too(client: FlaskClient, sign_in: Any,
                                                   web_ledger: Ledger) -> None:
    sign_in(client, "p1")
    token = csrf_token(client.get("/record").get_data(True))
    before = web_ledger.app.size()
    pairs = formdata_for("incident-referred", REFERRAL) + [
        ("case", CASE), ("passphrase", TEST_PASSPHRASE), ("csrf_token", token)]
    r = client.post("/record/incident-referred", data=MultiDict(pairs))
    assert r.status_code == 403
    assert web_ledger.app.size() == before


def test_the_form_shows_the_types_rules_help_and_personal_marks(
        client: FlaskClient, sign_in: Any) -> None:
    sign_in(client, "bu1")
    html = client.get("/record/incident-referred?case=C-WEB-9").get_data(True)
    assert "§7.1" in html  # the location field's help cites its paragraph
    assert "Rules of the procedure:</strong> opens the case" in html
    assert "Personal data: sealed at rest" in html
    assert "Looked after (optional)" in html
    assert 'value="C-WEB-9"' in html
    assert 'type="password"' in html and "Sign this record" in html


def test_bad_input_is_named_on_its_field_and_nothing_is_appended(
        bu1: FlaskClient, web_ledger: Ledger, caplog: pytest.LogCaptureFixture) -> None:
    client = bu1
    before = web_ledger.app.size()
    r = post_record(client, "incident-referred", REFERRAL, drop=("harm", "received_on"),
                    extra=[("received_on", "31"), ("received_on", "2"),
                           ("received_on", "2025")])
    assert r.status_code == 400
    html = r.get_data(True)
    assert "There is a problem" in html
    assert 'href="#received_on"' in html and "no such date" in html
    assert 'href="#harm"' in html and "Harm: missing" in html
    assert web_ledger.app.size() == before
    # what was typed is in the form again, never in an error or a log; the passphrase
    # never comes back
    assert TEST_PASSPHRASE not in html and CHILD_NAME not in caplog.text
    summary = html[html.index("govuk-error-summary"):html.index("</ul>")]
    assert "Zephyrine" not in summary and "Agency A" not in summary


def test_a_bad_case_reference_is_named_and_nothing_is_appended(
        bu1: FlaskClient, web_ledger: Ledger) -> None:
    client = bu1
    before = web_ledger.app.size()
    r = post_record(client, "incident-referred", REFERRAL, case="not a reference!")
    assert r.status_code == 400
    assert 'href="#case"' in r.get_data(True)
    assert web_ledger.app.size() == before


def test_a_case_the_ledger_does_not_hold_is_refused(bu1: FlaskClient,
                                                     web_ledger: Ledger) -> None:
    client = bu1
    before = web_ledger.app.size()
    r = post_record(client, "reported-to-partners", {"on": "2025-12-19"}, case="C-NONE-1")
    assert r.status_code == 400
    assert "Not recorded: unknown case" in r.get_data(True)
    assert web_ledger.app.size() == before


def test_a_rule_of_the_procedure_refuses_with_its_paragraph(
        client: FlaskClient, sign_in: Any, web_ledger: Ledger) -> None:
    web_ledger.record("bu1", "incident-referred", CASE, REFERRAL, "2025-12-18")
    sign_in(client, "bu1")
    before = web_ledger.app.size()
    # §7.2: the National Panel is notified only once the threshold is met
    r = post_record(client, "national-panel-notified", {"on": "2025-12-19"})
    assert r.status_code == 409
    html = r.get_data(True)
    assert "Not recorded: the National Panel is notified only when the threshold is met " \
           "(§7.2)" in html
    assert web_ledger.app.size() == before
    # JSON callers get the same refusal, with the paragraph
    page = client.get("/record/national-panel-notified")
    pairs = formdata_for("national-panel-notified", {"on": "2025-12-19"}) + [
        ("case", CASE), ("passphrase", TEST_PASSPHRASE),
        ("csrf_token", csrf_token(page.get_data(True)))]
    j = client.post("/record/national-panel-notified?format=json", data=MultiDict(pairs))
    assert j.status_code == 409 and j.get_json()["rule"] == "§7.2"


def test_a_wrong_passphrase_is_refused_and_nothing_is_appended(
        bu1: FlaskClient, web_ledger: Ledger) -> None:
    client = bu1
    before = web_ledger.app.size()
    r = post_record(client, "incident-referred", REFERRAL, passphrase="not bu1's passphrase")
    assert r.status_code == 400
    html = r.get_data(True)
    assert "The passphrase does not open your key" in html and 'href="#passphrase"' in html
    assert "not bu1&#39;s passphrase" not in html and "not bu1's passphrase" not in html
    blank = post_record(client, "incident-referred", REFERRAL, passphrase="")
    assert blank.status_code == 400 and "Enter your passphrase" in blank.get_data(True)
    assert web_ledger.app.size() == before


def test_a_post_without_its_csrf_token_is_refused(bu1: FlaskClient,
                                                  web_ledger: Ledger) -> None:
    client = bu1
    before = web_ledger.app.size()
    pairs = formdata_for("incident-referred", REFERRAL) + OCCURRED + [
        ("case", CASE), ("passphrase", TEST_PASSPHRASE)]
    r = client.post("/record/incident-referred", data=MultiDict(pairs))
    assert r.status_code == 400
    assert web_ledger.app.size() == before


def test_a_ledger_wide_event_is_recorded_without_a_case(
        bu1: FlaskClient, web_ledger: Ledger) -> None:
    client = bu1
    data = {"name": "Chair Example", "email": "chair@example.org",
            "effective_from": "2025-01-01"}
    r = post_record(client, "ld-chair-contact-recorded", data, case=None)
    assert r.status_code == 303 and r.headers["Location"] == "/record"
    banner = client.get("/record").get_data(True)
    assert "Recorded ld-chair-contact-recorded, signed with your key" in banner


def test_signing_in_is_needed(client: FlaskClient) -> None:
    r = client.get("/record/incident-referred")
    assert r.status_code == 302 and "/sign-in" in r.headers["Location"]
