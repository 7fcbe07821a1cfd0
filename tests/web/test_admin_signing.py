"""The admin's key on the admin pages (web/admin.py), on both databases: opened once per
action that signs (adding, rotating, revoking), once per wrong passphrase, which counts
towards the lock-out of the admin's name and is logged; while the name is locked the key is
not tried at all. Every refusal appends nothing and leaves no key file behind.

Openings are counted by wrapping KeyFile.open, the key derivation itself, done for real.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import TEST_PASSPHRASE
from tests.helpers import Ledger
from tests.web.test_admin import NEW_PASSPHRASE, WRONG, add_form, number_of, post
from tests.web.test_personal import count_key_openings, refusals

WRONG_ONE = "does not open your key"


@pytest.fixture
def admin(client: FlaskClient, sign_in: Any) -> FlaskClient:
    sign_in(client, "admin")
    return client


def rotate_form(passphrase: str) -> list[tuple[str, str]]:
    return [("new_passphrase", NEW_PASSPHRASE), ("new_passphrase_again", NEW_PASSPHRASE),
            ("passphrase", passphrase)]


def revoke_form(passphrase: str) -> list[tuple[str, str]]:
    return [("reason", "Made-up reason."), ("passphrase", passphrase)]


def key_id(client: FlaskClient, n: int) -> str:
    return client.get(f"/admin/actors/{n}?format=json").get_json()["key_id"]


def test_each_action_opens_the_admin_s_key_once(
        admin: FlaskClient, web_ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    before = web_ledger.app.size()
    opened = count_key_openings(monkeypatch)
    r = post(admin, "/admin/actors/new", add_form("newbie", ["partner"]))
    assert r.status_code == 303 and opened == ["admin"]
    n = number_of(admin, "rev")
    old = key_id(admin, n)
    r = post(admin, f"/admin/actors/{n}/rotate", rotate_form(TEST_PASSPHRASE))
    assert r.status_code == 303 and key_id(admin, n) != old
    assert opened == ["admin"] * 2  # the rotated key is made, not opened
    r = post(admin, f"/admin/actors/{number_of(admin, 'p1')}/revoke",
             revoke_form(TEST_PASSPHRASE))
    assert r.status_code == 303 and opened == ["admin"] * 3
    assert web_ledger.app.size() == before + 3 and refusals(web_ledger) == []


def test_a_wrong_passphrase_opens_it_once_counts_and_appends_nothing(
        admin: FlaskClient, web_ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    before = web_ledger.app.size()
    rev = number_of(admin, "rev")
    old = key_id(admin, rev)
    opened = count_key_openings(monkeypatch)
    r = post(admin, "/admin/actors/new", add_form("newbie", ["partner"], passphrase=WRONG))
    assert r.status_code == 400 and WRONG_ONE in r.get_data(True)
    assert not (web_ledger.home.keys / "newbie.pem").exists()
    r = post(admin, f"/admin/actors/{rev}/rotate", rotate_form(WRONG))
    assert r.status_code == 400 and WRONG_ONE in r.get_data(True)
    assert key_id(admin, rev) == old and not (web_ledger.home.keys / "rev.pem.new").exists()
    r = post(admin, f"/admin/actors/{number_of(admin, 'p1')}/revoke", revoke_form(WRONG))
    assert r.status_code == 400 and WRONG_ONE in r.get_data(True)
    assert opened == ["admin"] * 3
    assert refusals(web_ledger) == [("admin", "passphrase")] * 3
    assert web_ledger.app.size() == before


def test_locked_the_key_is_not_tried_and_then_opens_once(
        admin: FlaskClient, web_ledger: Ledger, web_clock: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    before = web_ledger.app.size()
    for _ in range(4):  # three free, the fourth locks the name for 30 s
        r = post(admin, "/admin/actors/new", add_form("newbie", ["partner"], WRONG))
        assert r.status_code == 400 and WRONG_ONE in r.get_data(True)
    opened = count_key_openings(monkeypatch)
    r = post(admin, "/admin/actors/new", add_form("newbie", ["partner"]))
    assert r.status_code == 400 and "Too many wrong passphrases" in r.get_data(True)
    assert opened == [] and web_ledger.app.size() == before
    assert not (web_ledger.home.keys / "newbie.pem").exists()
    assert refusals(web_ledger) == [("admin", "passphrase")] * 4 + [("admin", "locked")]
    web_clock.advance(seconds=31)
    r = post(admin, "/admin/actors/new", add_form("newbie", ["partner"]))
    assert r.status_code == 303 and opened == ["admin"]
    assert web_ledger.app.size() == before + 1


def test_a_rule_refused_before_signing_opens_no_key(
        admin: FlaskClient, web_ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    # admin is not revocable: the service says so before it opens the key, so nothing is
    # derived for a change that cannot be made (the old pre-check opened it regardless).
    before = web_ledger.app.size()
    opened = count_key_openings(monkeypatch)
    r = post(admin, f"/admin/actors/{number_of(admin, 'admin')}/revoke",
             revoke_form(TEST_PASSPHRASE))
    assert r.status_code == 409 and "cannot be revoked" in r.get_data(True)
    assert opened == [] and web_ledger.app.size() == before
    assert refusals(web_ledger) == []
