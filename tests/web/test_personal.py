"""Opening a case's personal fields from the web (web/personal.py), on both databases.

A case with two chronology entries holding made-up personal data. A reader gives a
purpose and their passphrase; exactly one signed ``personal-data-accessed`` event is
appended (by them, naming the fields opened and the purpose), and only that response
shows the values, sent no-store. A role without the right, a bad purpose, a wrong
passphrase, no CSRF token, an erased case: refused, nothing appended, nothing shown. The
values appear in no URL, no log, no other page.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ledger.chain import signed_bytes
from ledger.rowtypes import stream_id
from ledger.signing import load_signer, verify_signature
from service.erasure import erase_case
from tests.conftest import TEST_PASSPHRASE
from tests.helpers import CHILD_NAME, Ledger
from tests.scenario import THRESHOLD_MET_PATH, data
from tests.web.conftest import csrf_token

CASE = "C-WEB-PD-1"
PATH = f"/personal/{CASE}"
PURPOSE = "Made-up: preparing the panel meeting"
# Made-up personal data, each a string that appears nowhere else.
FIRST = {"significant_event": "Made-up visit to Brackenwold Farm",
         "who_involved": "Made-up Ottoline Brackenwold",
         "decisions_outcome": "Made-up outcome Vexley",
         "child_views": "Made-up views Quorran",
         "author_comments": "Made-up comment Thistlemoor"}
SECOND = {"significant_event": "Made-up call from Harrowgate Surgery", "who_involved": None,
          "decisions_outcome": None, "child_views": None, "author_comments": None}
SECRETS = (CHILD_NAME, *FIRST.values(), SECOND["significant_event"])
# Hand-counted: the first entry holds all five personal fields, the second one of them.
OPENED_FIELDS = ["author_comments", "child_views", "decisions_outcome", "significant_event",
                 "who_involved"]


def events(lg: Ledger) -> int:
    t = lg.app.events_table
    with lg.app.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(t)).scalar_one()


def last(lg: Ledger) -> dict[str, Any]:
    t = lg.app.events_table
    with lg.app.engine.connect() as conn:
        return dict(conn.execute(select(t).order_by(t.c.position.desc()).limit(1))
                    .mappings().one())


def no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


@pytest.fixture
def case(web_ledger: Ledger) -> Ledger:
    """The threshold-met path up to its chronology entry, then a second entry."""
    for actor, type_name, overrides, occurred in THRESHOLD_MET_PATH:
        if type_name == "chronology-entry-added":
            web_ledger.record(actor, type_name, CASE, data(type_name, **FIRST), occurred)
            web_ledger.record(actor, type_name, CASE, data(
                type_name, event_at="2025-11-04T10:00:00+00:00", **SECOND), occurred)
            break
        web_ledger.record(actor, type_name, CASE, data(type_name, **overrides), occurred)
    return web_ledger


def person(web_app: Flask, sign_in: Any, actor: str) -> FlaskClient:
    client = web_app.test_client()
    sign_in(client, actor)
    return client


def submit(client: FlaskClient, purpose: str | None = PURPOSE,
           passphrase: str = TEST_PASSPHRASE, query: str = "") -> Any:
    form = {"passphrase": passphrase,
            "csrf_token": csrf_token(client.get("/account").get_data(True))}
    if purpose is not None:
        form["purpose"] = purpose
    return client.post(PATH + query, data=form)


def test_a_reader_opens_the_fields_and_exactly_one_signed_access_is_appended(
        web_app: Flask, case: Ledger, sign_in: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rev = person(web_app, sign_in, "rev")
    case_page = rev.get(f"/cases/{CASE}").get_data(True)
    assert f'href="{PATH}"' in case_page  # the link on the case page
    form = rev.get(PATH)
    assert form.status_code == 200 and "chronology has 2 entries" in \
        form.get_data(True)
    before = events(case)
    r = submit(rev)
    html = r.get_data(True)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    for secret in (*FIRST.values(), SECOND["significant_event"]):
        assert secret in html
    assert PURPOSE in html
    assert events(case) == before + 1
    row = last(case)
    assert (row["event_type"], row["case_ref"]) == ("personal-data-accessed", CASE)
    payload = json.loads(bytes(row["state"]))
    assert payload["actor"] == "rev"
    assert payload["data"] == {"purpose": PURPOSE, "fields": OPENED_FIELDS, "events": 2}
    own = load_signer(case.home.keys, "rev", TEST_PASSPHRASE.encode())
    assert payload["key_id"] == own.key_id
    assert verify_signature(own.public_key_raw, bytes(row["signature"]), signed_bytes(
        stream_id(row["originator_id"]), row["originator_version"], row["topic"],
        bytes(row["state"])))
    no_secret(bytes(row["state"]).decode())
    assert case.cli("verify").exit_code == 0
    # shown on that response only: not on the case page, the form, or any log
    no_secret(rev.get(f"/cases/{CASE}").get_data(True))
    no_secret(rev.get(PATH).get_data(True))
    logs = list((case.home.root / "logs").glob("*"))
    assert logs  # the sign-in log at least
    for log in logs:
        no_secret(log.read_text(encoding="utf-8"))
    no_secret(caplog.text)
    assert PURPOSE not in caplog.text


def test_json_answers_as_case_chronology_include_personal(
        web_app: Flask, case: Ledger, sign_in: Any) -> None:
    p1 = person(web_app, sign_in, "p1")
    before = events(case)
    r = submit(p1, query="?format=json")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    rows = r.get_json()
    assert [row["significant_event"] for row in rows] == [
        FIRST["significant_event"], SECOND["significant_event"]]
    assert rows[0]["child_views"] == FIRST["child_views"] and "child_views" not in rows[1]
    assert rows[0]["event_at_london"] == "2025-11-03T09:15:00+00:00"
    assert events(case) == before + 1 and json.loads(
        bytes(last(case)["state"]))["actor"] == "p1"
    shown = p1.get(PATH + "?format=json").get_json()
    assert shown == {"case": CASE, "entries": 2, "personal_data_erased": None}


@pytest.mark.parametrize("actor", ["admin", "ag1"])
def test_a_role_without_the_right_is_refused_and_nothing_appended(
        web_app: Flask, case: Ledger, sign_in: Any, actor: str) -> None:
    client = person(web_app, sign_in, actor)
    before = events(case)
    assert client.get(PATH).status_code == 403
    r = submit(client)
    assert r.status_code == 403
    no_secret(r.get_data(True))
    assert events(case) == before
    if actor == "admin":  # may read the case, is not offered the link
        page = client.get(f"/cases/{CASE}").get_data(True)
        assert "/personal/" not in page


@pytest.mark.parametrize("purpose,problem", [
    (None, "empty"),  # a form without the field: as if left blank
    ("", "empty"),
    ("   ", "empty"),
    ("Made-up \x01 control", "a character that is not allowed"),
    ("x" * 20_001, "too long"),
])
def test_a_bad_purpose_is_named_and_nothing_appended(
        web_app: Flask, case: Ledger, sign_in: Any, purpose: str | None,
        problem: str) -> None:
    rev = person(web_app, sign_in, "rev")
    before = events(case)
    r = submit(rev, purpose)
    html = r.get_data(True)
    assert r.status_code == 400
    assert 'href="#purpose"' in html and f"Why you are opening them: {problem}" in html
    assert 'href="#passphrase"' not in html  # the passphrase was right
    no_secret(html)
    assert TEST_PASSPHRASE not in html
    assert events(case) == before


def test_bad_purpose_and_no_passphrase_are_both_named(
        web_app: Flask, case: Ledger, sign_in: Any) -> None:
    rev = person(web_app, sign_in, "rev")
    before = events(case)
    r = submit(rev, "", passphrase="")
    html = r.get_data(True)
    assert r.status_code == 400
    assert 'href="#purpose"' in html and 'href="#passphrase"' in html
    assert "Enter your passphrase to open the personal fields" in html
    j = submit(rev, "", passphrase="", query="?format=json")
    assert j.status_code == 400 and len(j.get_json()["problems"]) == 2
    assert events(case) == before


def test_a_wrong_passphrase_opens_nothing_and_appends_nothing(
        web_app: Flask, case: Ledger, sign_in: Any) -> None:
    rev = person(web_app, sign_in, "rev")
    before = events(case)
    r = submit(rev, passphrase="made-up wrong passphrase")
    html = r.get_data(True)
    assert r.status_code == 400
    assert "The passphrase does not open your key" in html and 'href="#passphrase"' in html
    assert "made-up wrong passphrase" not in html
    no_secret(html)
    assert events(case) == before


def test_without_the_csrf_token_nothing_is_opened(web_app: Flask, case: Ledger,
                                                  sign_in: Any) -> None:
    rev = person(web_app, sign_in, "rev")
    before = events(case)
    r = rev.post(PATH, data={"purpose": PURPOSE, "passphrase": TEST_PASSPHRASE})
    assert r.status_code == 400
    no_secret(r.get_data(True))
    assert events(case) == before


def test_an_erased_case_has_nothing_to_open(web_app: Flask, case: Ledger,
                                            sign_in: Any) -> None:
    erase_case(case.app, case.home, CASE, "Made-up retention period ended", "scrut")
    rev = person(web_app, sign_in, "rev")
    page = rev.get(PATH)
    html = page.get_data(True)
    assert page.status_code == 200
    assert "personal data was erased on" in html and "Made-up retention period ended" in html
    assert 'name="passphrase"' not in html  # no form to sign
    before = events(case)
    r = submit(rev)
    assert r.status_code == 409 and "nothing was opened or recorded" in r.get_data(True)
    j = submit(rev, query="?format=json")
    assert j.status_code == 409 and j.get_json()["personal_data_erased"]["by"] == "admin"
    assert events(case) == before


def test_an_unknown_case_is_not_found(web_app: Flask, case: Ledger, sign_in: Any) -> None:
    rev = person(web_app, sign_in, "rev")
    before = events(case)
    assert rev.get("/personal/C-NOPE").status_code == 404
    assert submit(rev).status_code == 200  # the case of the test is still there
    r = rev.post("/personal/C-NOPE", data={
        "purpose": PURPOSE, "passphrase": TEST_PASSPHRASE,
        "csrf_token": csrf_token(rev.get("/account").get_data(True))})
    assert r.status_code == 404
    assert events(case) == before + 1  # the one opening above, nothing for C-NOPE


def test_signed_out_the_page_asks_to_sign_in(client: FlaskClient, case: Ledger) -> None:
    r = client.get(PATH)
    assert r.status_code == 302 and r.headers["Location"] == f"/sign-in?next={PATH}"


def refusals(lg: Ledger) -> list[tuple[str, str]]:
    log = lg.home.root / "logs" / "sign-in.jsonl"
    return [(x["actor"], x["reason"]) for x in map(json.loads, log.read_text().splitlines())
            if x["event"] == "signature-refused"]


def test_wrong_passphrases_count_towards_the_lock_out_and_the_key_opens_once(
        web_app: Flask, case: Ledger, sign_in: Any, web_clock: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    rev = person(web_app, sign_in, "rev")
    before = events(case)
    for _ in range(4):  # three free, the fourth locks the name for 30 s
        r = submit(rev, passphrase="made-up wrong passphrase")
        assert r.status_code == 400 and "The passphrase does not open your key" in \
            r.get_data(True)
    # Locked: even the right passphrase is not tried, nothing is opened or appended.
    opened = count_key_openings(monkeypatch)
    r = submit(rev)
    assert r.status_code == 400 and "Too many wrong passphrases" in r.get_data(True)
    no_secret(r.get_data(True))
    assert events(case) == before and opened == []
    assert refusals(case) == [("rev", "passphrase")] * 4 + [("rev", "locked")]
    web_clock.advance(seconds=31)
    r = submit(rev)
    assert r.status_code == 200 and events(case) == before + 1
    assert opened == ["rev"]  # one key derivation: the access is signed with it


def count_key_openings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Whose key each KeyFile.open (a key derivation, done for real) was for, from now."""
    from ledger.signing import KeyFile

    seen: list[str] = []
    real = KeyFile.open

    def counted(self: KeyFile, passphrase: bytes) -> Any:
        seen.append(self.actor)
        return real(self, passphrase)

    monkeypatch.setattr(KeyFile, "open", counted)
    return seen
