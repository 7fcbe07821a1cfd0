"""Your account (web/account.py), with Flask's test client, on both databases.

The page shows who is signed in (name, roles, key id, as ``actor list`` has them) and
changes their passphrase through service.protection.protect_keys (``actor protect
--change``): afterwards the old passphrase no longer opens the key, the new one opens the
same key, and sign-in takes the new one. A refusal (wrong current passphrase, a field
wrong, no CSRF token) leaves the key file's bytes as they were; no passphrase is ever sent
back or written to the logs; the ledger is not written either way.
"""

from __future__ import annotations

import json

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ledger.errors import WrongPassphraseError
from ledger.signing import key_path, load_signer
from tests.conftest import TEST_PASSPHRASE
from tests.helpers import Ledger
from tests.web.conftest import csrf_token, post_form

NEW = "made-up new passphrase for p1"
WRONG = "made-up wrong passphrase"


def events(lg: Ledger) -> int:
    t = lg.app.events_table
    with lg.app.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(t)).scalar_one()


def key_file(lg: Ledger, actor: str = "p1") -> Path:
    return key_path(lg.home.keys, actor)


def change(client: FlaskClient, current: str, new: str, again: str | None = None,
           path: str = "/account") -> Any:
    return post_form(client, path, {"current": current, "new": new,
                                    "new_again": new if again is None else again},
                     page="/account")


@pytest.fixture
def p1(web_app: Flask, sign_in: Any) -> FlaskClient:
    client = web_app.test_client()
    sign_in(client, "p1")
    return client


def test_the_page_shows_who_is_signed_in_and_the_menu_links_it(
        p1: FlaskClient, web_ledger: Ledger) -> None:
    own = load_signer(web_ledger.home.keys, "p1", TEST_PASSPHRASE.encode())
    html = p1.get("/account").get_data(True)
    assert "<h1 class=\"govuk-heading-l\">Your account</h1>" in html
    assert own.key_id in html and ">partner<" in html.replace("\n", "")
    nav = html.split('aria-label="Menu"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/account"' in nav
    assert p1.get("/account?format=json").get_json() == {
        "actor": "p1", "roles": ["partner"], "key_id": own.key_id, "revoked": False}


def test_signed_out_the_page_asks_to_sign_in(client: FlaskClient) -> None:
    r = client.get("/account")
    assert r.status_code == 302 and r.headers["Location"].startswith("/sign-in")


def test_the_passphrase_changes_and_sign_in_takes_the_new_one(
        web_app: Flask, web_ledger: Ledger, sign_in: Any, p1: FlaskClient) -> None:
    before_bytes, before_events = key_file(web_ledger).read_bytes(), events(web_ledger)
    key_id = load_signer(web_ledger.home.keys, "p1", TEST_PASSPHRASE.encode()).key_id
    r = change(p1, TEST_PASSPHRASE, NEW)
    assert r.status_code == 303 and r.headers["Location"] == "/account"
    page = p1.get("/account").get_data(True)
    assert "Your passphrase has been changed" in page
    assert NEW not in page and TEST_PASSPHRASE not in page
    # the same key, resealed: the old passphrase no longer opens it, the new one does
    assert key_file(web_ledger).read_bytes() != before_bytes
    with pytest.raises(WrongPassphraseError):
        load_signer(web_ledger.home.keys, "p1", TEST_PASSPHRASE.encode())
    assert load_signer(web_ledger.home.keys, "p1", NEW.encode()).key_id == key_id
    assert events(web_ledger) == before_events  # the key is unchanged: nothing recorded
    log = (web_ledger.home.root / "logs" / "sign-in.jsonl").read_text()
    assert [json.loads(x)["actor"] for x in log.splitlines()
            if json.loads(x)["event"] == "passphrase-changed"] == ["p1"]
    assert NEW not in log and TEST_PASSPHRASE not in log
    # sign out; the old passphrase is refused at sign-in, the new one signs in
    assert post_form(p1, "/sign-out", {}, page="/account").status_code == 302
    again = web_app.test_client()
    refused = post_form(again, "/sign-in", {"actor": "p1", "passphrase": TEST_PASSPHRASE})
    assert refused.status_code == 200 and "The name, passphrase or code is not right" in \
        refused.get_data(True)
    sign_in(again, "p1", passphrase=NEW)
    assert again.get("/account?format=json").get_json()["actor"] == "p1"


def test_eight_characters_are_enough_seven_are_not(p1: FlaskClient,
                                                   web_ledger: Ledger) -> None:
    before = key_file(web_ledger).read_bytes()
    r = change(p1, TEST_PASSPHRASE, "1234567")  # 7 characters
    assert r.status_code == 400
    assert "Enter a new passphrase of at least 8 characters" in r.get_data(True)
    assert key_file(web_ledger).read_bytes() == before
    r = change(p1, TEST_PASSPHRASE, "12345678")  # 8 characters
    assert r.status_code == 303
    assert load_signer(web_ledger.home.keys, "p1", b"12345678").actor == "p1"


def test_a_wrong_current_passphrase_is_refused_and_the_key_file_is_untouched(
        p1: FlaskClient, web_ledger: Ledger, web_clock: Any) -> None:
    before = key_file(web_ledger).read_bytes()
    r = change(p1, WRONG, NEW)
    html = r.get_data(True)
    assert r.status_code == 400
    assert "The passphrase does not open your key" in html and 'href="#current"' in html
    assert WRONG not in html and NEW not in html  # nothing typed is sent back
    assert key_file(web_ledger).read_bytes() == before
    assert load_signer(web_ledger.home.keys, "p1", TEST_PASSPHRASE.encode()).actor == "p1"
    # Guessing here counts towards the lock-out, as at any signature (web.signing): after
    # the 4th wrong one even the right passphrase is not tried for 30 s.
    for _ in range(3):
        assert change(p1, WRONG, NEW).status_code == 400
    r = change(p1, TEST_PASSPHRASE, NEW)
    assert r.status_code == 400 and "Too many wrong passphrases" in r.get_data(True)
    assert key_file(web_ledger).read_bytes() == before
    web_clock.advance(seconds=31)
    assert change(p1, TEST_PASSPHRASE, NEW).status_code == 303


@pytest.mark.parametrize("current,new,again,field,message", [
    ("", NEW, NEW, "current", "Enter your current passphrase"),
    (TEST_PASSPHRASE, "", "", "new", "Enter a new passphrase of at least 8 characters"),
    (TEST_PASSPHRASE, NEW, NEW + "x", "new_again", "The two new passphrases do not match"),
    (TEST_PASSPHRASE, TEST_PASSPHRASE, TEST_PASSPHRASE, "new",
     "Enter a new passphrase different from your current one"),
])
def test_bad_input_is_named_against_its_field(p1: FlaskClient, web_ledger: Ledger,
                                              current: str, new: str, again: str,
                                              field: str, message: str) -> None:
    before = key_file(web_ledger).read_bytes()
    r = change(p1, current, new, again)
    html = r.get_data(True)
    assert r.status_code == 400
    assert html.count(message) == 2  # in the summary, and against the field
    assert f'href="#{field}"' in html and f'id="{field}-error"' in html
    assert f'value="{TEST_PASSPHRASE}"' not in html and NEW not in html
    assert key_file(web_ledger).read_bytes() == before
    j = p1.post("/account?format=json", data={
        "current": current, "new": new, "new_again": again,
        "csrf_token": csrf_token(p1.get("/account").get_data(True))})
    assert j.status_code == 400 and j.get_json()["problems"] == [message]


def test_without_the_csrf_token_nothing_changes(p1: FlaskClient, web_ledger: Ledger) -> None:
    before = key_file(web_ledger).read_bytes()
    r = p1.post("/account", data={"current": TEST_PASSPHRASE, "new": NEW, "new_again": NEW})
    assert r.status_code == 400
    assert key_file(web_ledger).read_bytes() == before


def test_json_answers_as_actor_protect_change(p1: FlaskClient, web_ledger: Ledger) -> None:
    r = p1.post("/account?format=json", data={
        "current": TEST_PASSPHRASE, "new": NEW, "new_again": NEW,
        "csrf_token": csrf_token(p1.get("/account").get_data(True))})
    assert r.status_code == 200
    assert r.get_json() == [{"actor": "p1", "file": key_file(web_ledger).name,
                             "was": "sealed", "now": "sealed"}]


def test_no_passphrase_reaches_the_logs(p1: FlaskClient, web_ledger: Ledger) -> None:
    change(p1, WRONG, NEW)
    change(p1, TEST_PASSPHRASE, NEW)
    logs = list((web_ledger.home.root / "logs").glob("*"))
    assert logs  # the sign-in log at least
    for path in logs:
        text = path.read_text(encoding="utf-8")
        assert NEW not in text and WRONG not in text and TEST_PASSPHRASE not in text


def test_the_key_is_opened_once_and_a_wrong_one_is_logged(
        p1: FlaskClient, web_ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.web.test_personal import count_key_openings, refusals

    opened = count_key_openings(monkeypatch)
    assert change(p1, WRONG, NEW).status_code == 400
    assert opened == ["p1"] and refusals(web_ledger) == [("p1", "passphrase")]
    assert change(p1, TEST_PASSPHRASE, NEW).status_code == 303
    # One opening for the change (sealing under the new passphrase is not an opening).
    assert opened == ["p1", "p1"]
    assert refusals(web_ledger) == [("p1", "passphrase")]
