"""The admin area (web/admin.py), with Flask's test client, on both databases.

Only an admin reaches it; an actor added through the form can sign in with the passphrase
typed for them; a rotation changes the key id; a revocation ends the actor's session and
refuses their next sign-in; every refusal (wrong admin passphrase, admin not revocable,
no CSRF token) appends nothing; the directory entry recorded shows in the admin's list and
in `cspr directory list --json`; no passphrase is ever in a response or a log line.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from tests.conftest import TEST_PASSPHRASE
from tests.helpers import Ledger, run_cli
from tests.web.conftest import csrf_token
from tests.web.test_record import post_record

# Made-up passphrases, each distinct so a leak of any of them is seen.
NEW_PASSPHRASE = "Made-up initial passphrase 7"
WRONG = "Not the admin passphrase 3"
SECRETS = (TEST_PASSPHRASE, NEW_PASSPHRASE, WRONG)


def number_of(client: FlaskClient, actor: str) -> int:
    rows = client.get("/admin?format=json").get_json()
    return [r["actor"] for r in rows].index(actor) + 1


def post(client: FlaskClient, path: str, pairs: list[tuple[str, str]],
         json_: bool = False) -> Any:
    page = client.get(path)
    assert page.status_code == 200
    pairs = [*pairs, ("csrf_token", csrf_token(page.get_data(True)))]
    return client.post(path + ("?format=json" if json_ else ""), data=MultiDict(pairs))


def add_form(name: str, roles: list[str], passphrase: str = TEST_PASSPHRASE,
             new: str = NEW_PASSPHRASE, again: str | None = None) -> list[tuple[str, str]]:
    return [("name", name), *[("roles", r) for r in roles], ("new_passphrase", new),
            ("new_passphrase_again", new if again is None else again),
            ("passphrase", passphrase)]


def no_secret_in(lg: Ledger, *texts: str) -> None:
    """No passphrase in ``texts`` (responses, captured log lines) nor in any of the
    home's log files (the sign-in log)."""
    logs = [p.read_text() for p in (lg.home.root / "logs").glob("*")]
    assert logs  # the sign-ins were logged: there is something to search
    for text in [*texts, *logs]:
        for secret in SECRETS:
            assert secret not in text


@pytest.fixture
def admin(client: FlaskClient, sign_in: Any, caplog: pytest.LogCaptureFixture
          ) -> FlaskClient:
    caplog.set_level(logging.DEBUG)
    sign_in(client, "admin")
    return client


def test_only_an_admin_reaches_the_admin_pages(client: FlaskClient, sign_in: Any) -> None:
    assert client.get("/admin").status_code == 302  # not signed in: to sign-in
    sign_in(client, "p1")
    for path in ("/admin", "/admin/actors/new", "/admin/actors/1", "/admin/actors/1/revoke",
                 "/admin/directory"):
        assert client.get(path).status_code == 403, path
    r = client.post("/admin/actors/new", data={"csrf_token": csrf_token(
        client.get("/today").get_data(True))})
    assert r.status_code == 403


def test_the_list_is_the_cli_s(admin: FlaskClient, web_ledger: Ledger) -> None:
    listed = json.loads(run_cli(web_ledger.home, "actor", "list", "--json").output)
    assert admin.get("/admin?format=json").get_json() == listed
    html = admin.get("/admin").get_data(True)
    p1 = next(r for r in listed if r["actor"] == "p1")
    assert p1["key_id"] in html and "/admin/actors/" in html and "Add an actor" in html


def test_an_added_actor_signs_in_with_the_passphrase_typed_for_them(
        admin: FlaskClient, web_ledger: Ledger, web_app: Any, sign_in: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    before = web_ledger.app.size()
    page = admin.get("/admin/actors/new").get_data(True)
    assert "should change this passphrase" in page
    r = post(admin, "/admin/actors/new", add_form("newbie", ["partner", "reviewer"]))
    assert r.status_code == 303 and r.headers["Location"] == "/admin"
    assert web_ledger.app.size() == before + 1
    listed = json.loads(run_cli(web_ledger.home, "actor", "list", "--json").output)
    row = next(r for r in listed if r["actor"] == "newbie")
    assert row["roles"] == ["partner", "reviewer"] and row["revoked"] is False
    shown = admin.get("/admin").get_data(True)
    # The new person signs in (and enrols) with the passphrase the admin typed.
    other = web_app.test_client()
    sign_in(other, "newbie", passphrase=NEW_PASSPHRASE)
    assert other.get("/today").status_code == 200
    assert run_cli(web_ledger.home, "verify").exit_code == 0
    no_secret_in(web_ledger, r.get_data(True), shown, caplog.text)


def test_a_wrong_admin_passphrase_appends_nothing(
        admin: FlaskClient, web_ledger: Ledger, caplog: pytest.LogCaptureFixture) -> None:
    before = web_ledger.app.size()
    r = post(admin, "/admin/actors/new", add_form("newbie", ["partner"], passphrase=WRONG))
    assert r.status_code == 400
    html = r.get_data(True)
    assert "The passphrase does not open your key" in html and "There is a problem" in html
    assert web_ledger.app.size() == before
    assert not (web_ledger.home.keys / "newbie.pem").exists()  # no key file left behind
    # none typed: refused, though CSPR_KEY_PASSPHRASE holds admin's in this environment
    r0 = post(admin, "/admin/actors/new", add_form("newbie", ["partner"], passphrase=""))
    assert r0.status_code == 400 and "Enter your passphrase" in r0.get_data(True)
    assert web_ledger.app.size() == before
    # mismatched new passphrases: refused on their field, before any key is opened
    r2 = post(admin, "/admin/actors/new",
              add_form("newbie", ["partner"], again="Something else 99"))
    assert r2.status_code == 400 and "do not match" in r2.get_data(True)
    assert web_ledger.app.size() == before
    no_secret_in(web_ledger, html, r2.get_data(True), caplog.text)


def test_a_post_without_the_csrf_token_is_refused(admin: FlaskClient,
                                                  web_ledger: Ledger) -> None:
    before = web_ledger.app.size()
    r = admin.post("/admin/actors/new", data=MultiDict(add_form("newbie", ["partner"])))
    assert r.status_code == 400
    r = admin.post(f"/admin/actors/{number_of(admin, 'p1')}/revoke",
                   data={"reason": "Left the partnership.", "passphrase": TEST_PASSPHRASE})
    assert r.status_code == 400
    assert web_ledger.app.size() == before


def test_a_revoked_actor_is_signed_out_and_cannot_sign_in(
        admin: FlaskClient, web_ledger: Ledger, web_app: Any, sign_in: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    partner = web_app.test_client()
    sign_in(partner, "p1")
    assert partner.get("/today").status_code == 200
    n = number_of(admin, "p1")
    before = web_ledger.app.size()
    r = post(admin, f"/admin/actors/{n}/revoke",
             [("reason", "Left the partnership."), ("passphrase", TEST_PASSPHRASE)])
    assert r.status_code == 303 and web_ledger.app.size() == before + 1
    assert admin.get(f"/admin/actors/{n}?format=json").get_json()["revoked"] is True
    # the session ends at the next click, and the sign-in is refused
    r = partner.get("/today")
    assert r.status_code == 302 and "/sign-in" in r.headers["Location"]
    page = partner.get("/sign-in")
    refused = partner.post("/sign-in", data={"actor": "p1", "passphrase": TEST_PASSPHRASE,
                                             "csrf_token": csrf_token(page.get_data(True))})
    assert refused.status_code != 302
    no_secret_in(web_ledger, refused.get_data(True), caplog.text)


def test_admin_cannot_be_revoked_and_nothing_is_appended(
        admin: FlaskClient, web_ledger: Ledger) -> None:
    before = web_ledger.app.size()
    r = post(admin, f"/admin/actors/{number_of(admin, 'admin')}/revoke",
             [("reason", "Made-up reason."), ("passphrase", TEST_PASSPHRASE)])
    assert r.status_code == 409
    html = r.get_data(True)
    assert "cannot be revoked" in html and "There is a problem" in html
    assert web_ledger.app.size() == before
    # a revocation without a reason is refused on its field
    r = post(admin, f"/admin/actors/{number_of(admin, 'p1')}/revoke",
             [("reason", "  "), ("passphrase", TEST_PASSPHRASE)])
    assert r.status_code == 400 and "Enter why the actor is revoked" in r.get_data(True)
    assert web_ledger.app.size() == before


def test_rotation_changes_the_key_id_and_the_passphrase(
        admin: FlaskClient, web_ledger: Ledger, web_app: Any, sign_in: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    n = number_of(admin, "rev")
    old = admin.get(f"/admin/actors/{n}?format=json").get_json()["key_id"]
    r = post(admin, f"/admin/actors/{n}/rotate",
             [("new_passphrase", NEW_PASSPHRASE), ("new_passphrase_again", NEW_PASSPHRASE),
              ("passphrase", TEST_PASSPHRASE)], json_=True)
    assert r.status_code == 201 and r.get_json()["type"] == "actor-key-rotated"
    listed = json.loads(run_cli(web_ledger.home, "actor", "list", "--json").output)
    new = next(r for r in listed if r["actor"] == "rev")["key_id"]
    assert new != old
    assert admin.get(f"/admin/actors/{n}?format=json").get_json()["key_id"] == new
    other = web_app.test_client()
    sign_in(other, "rev", passphrase=NEW_PASSPHRASE)  # the new key opens with the new one
    assert run_cli(web_ledger.home, "verify").exit_code == 0
    no_secret_in(web_ledger, r.get_data(True), caplog.text)


def test_the_directory_entry_recorded_is_listed_here_and_by_the_cli(
        admin: FlaskClient, web_ledger: Ledger) -> None:
    page = admin.get("/admin/directory").get_data(True)
    assert "/record/agency-directory-entry-recorded" in page
    entry = {"agency": "Agency Made-Up",
             "head_of_service": {"name": "Pat Example", "email": "pat@example.org"},
             "chief_officer": {"name": "Sam Example", "email": "sam@example.org"},
             "effective_from": "2025-01-06"}
    r = post_record(admin, "agency-directory-entry-recorded", entry, case=None)
    assert r.status_code == 303
    chair = {"name": "Lee Example", "email": "lee@example.org",
             "effective_from": "2025-01-06"}
    r = post_record(admin, "ld-chair-contact-recorded", chair, case=None)
    assert r.status_code == 303
    cli = json.loads(run_cli(web_ledger.home, "directory", "list", "--json").output)
    web = admin.get("/admin/directory?format=json").get_json()
    assert web == cli
    assert [a["agency"] for a in web["agencies"]] == ["Agency Made-Up"]
    assert web["agencies"][0]["chief_officer"]["email"] == "sam@example.org"
    assert web["ld_chair"]["name"] == "Lee Example"
    html = admin.get("/admin/directory").get_data(True)
    assert "Agency Made-Up" in html and "pat@example.org" in html and "Lee Example" in html
