"""Your account and the opening of personal fields, in a real browser (issue 12).

p1 changes their passphrase from "Your account" (a wrong current one refused first), signs
out, is refused with the old one and signs in with the new one. The reviewer opens a
case's personal fields from the case page: a purpose left blank is named, then given,
with their passphrase, and the chronology opens with its personal fields, sent no-store,
the access recorded. Every page is screenshot and passes axe; no address the browser
asked for carries personal data.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from service.passphrases import variable
from service.recording import record_event
from tests.scenario import THRESHOLD_MET_PATH, data
from tests.web.browser import axe

CASE = "CS-2026-PD"
NEW = "p1's new made-up passphrase"
PURPOSE = "Made-up: preparing the panel meeting"
# Made-up personal data of the chronology entry, strings that appear nowhere else.
PERSONAL = {"significant_event": "Made-up visit to Brackenwold Farm",
            "child_views": "Made-up views Quorran"}


def errors(page) -> str:
    summary = page.locator(".govuk-error-summary")
    return summary.inner_text() if summary.count() else ""


def test_a_person_changes_their_passphrase_and_signs_in_with_the_new_one(people, shots):
    page = people.sign_in("p1")
    page.get_by_role("link", name="Your account", exact=True).click()
    page.wait_for_url("**/account")
    assert page.get_by_role("heading", level=1).inner_text() == "Your account"
    assert "partner" in page.locator(".govuk-summary-list").inner_text()
    shots.take(page, "account")
    axe.check(page, "the account page")

    old = people.own["p1"]
    page.get_by_label("Your current passphrase").fill("not p1's made-up passphrase")
    page.get_by_label("New passphrase", exact=True).fill(NEW)
    page.get_by_label("New passphrase again").fill(NEW)
    page.get_by_role("button", name="Change your passphrase").click()
    assert "The passphrase does not open your key" in errors(page)
    assert "not p1's made-up passphrase" not in page.content() and NEW not in page.content()
    shots.take(page, "account-refused")
    axe.check(page, "the account page with its error")

    page.get_by_label("Your current passphrase").fill(old)
    page.get_by_label("New passphrase", exact=True).fill(NEW)
    page.get_by_label("New passphrase again").fill(NEW)
    page.get_by_role("button", name="Change your passphrase").click()
    page.wait_for_url("**/account")
    assert errors(page) == ""
    assert "Your passphrase has been changed" in page.inner_text("main")
    shots.take(page, "account-changed")
    axe.check(page, "the account page after the change")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")
    page.get_by_label("Your name on the ledger").fill("p1")
    page.get_by_label("Passphrase", exact=True).fill(old)
    page.get_by_role("button", name="Continue").click()
    assert "The name, passphrase or code is not right" in errors(page)
    people.own["p1"] = NEW
    again = people.sign_in("p1")
    assert again.get_by_role("heading", level=1).inner_text().startswith("Today")


@pytest.fixture
def case(server, passphrases, monkeypatch):
    """The threshold-met path up to its chronology entry, each event signed by its
    actor's own key (their passphrase given for the while)."""
    for actor in ("bu1", "p1", "ag1", "rev"):
        monkeypatch.setenv(variable(actor), passphrases[actor])
    app = server.home.open()
    try:
        for actor, type_name, overrides, occurred in THRESHOLD_MET_PATH:
            if type_name == "chronology-entry-added":
                overrides = {**overrides, **PERSONAL}
            record_event(app, server.home, actor, type_name, CASE,
                         data(type_name, **overrides), occurred)
            if type_name == "chronology-entry-added":
                break
    finally:
        app.close()
    for actor in ("bu1", "p1", "ag1", "rev"):
        monkeypatch.delenv(variable(actor))


def last_events(home) -> tuple[int, dict]:
    """The ledger's size and its last event's signed payload."""
    from sqlalchemy import select

    app = home.open()
    try:
        t = app.events_table
        with app.engine.connect() as conn:
            state = conn.execute(select(t.c.state).order_by(t.c.position.desc())
                                 .limit(1)).scalar_one()
        return app.size(), json.loads(bytes(state))
    finally:
        app.close()


def test_a_reviewer_opens_the_personal_fields_with_a_purpose(people, shots, server, case):
    page = people.sign_in("rev")  # enrolling the second factor appends an event
    before, _ = last_events(server.home)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(unquote(r.url)))
    page.goto(f"/cases/{CASE}")
    shots.take(page, "case")
    axe.check(page, "the case page with its link")
    page.get_by_role("link", name="Open the personal fields").click()
    page.wait_for_url(f"**/personal/{CASE}")
    assert "chronology has 1 entry" in page.inner_text("main")
    shots.take(page, "personal-form")
    axe.check(page, "the form to open personal fields")

    page.get_by_label("Your passphrase").fill(people.own["rev"])
    page.get_by_role("button", name="Sign and open the personal fields").click()
    assert "Why you are opening them: empty" in errors(page)
    assert PERSONAL["significant_event"] not in page.content()
    shots.take(page, "personal-refused")
    axe.check(page, "the form with its error")

    page.get_by_label("Why you are opening them").fill(PURPOSE)
    page.get_by_label("Your passphrase").fill(people.own["rev"])
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign and open the personal fields").click()
    assert answer.value.status == 200
    assert answer.value.headers["cache-control"] == "no-store"
    main = page.inner_text("main")
    assert PERSONAL["significant_event"] in main and PERSONAL["child_views"] in main
    assert f"Reason recorded: {PURPOSE}" in main
    shots.take(page, "personal-opened")
    axe.check(page, "the opened personal fields")

    size, recorded = last_events(server.home)
    assert size == before + 1  # the refused attempt appended nothing
    assert recorded["type"] == "personal-data-accessed" and recorded["actor"] == "rev"
    assert recorded["data"]["purpose"] == PURPOSE and recorded["data"]["events"] == 1
    for url in asked:
        for secret in (*PERSONAL.values(), PURPOSE):
            assert secret not in url
