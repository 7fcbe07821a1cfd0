"""Sign-in with passphrase and TOTP, its enrolment, lock-out, idle timeout, revocation and
the sign-in log (issue 12), through the pages, on both databases."""

from __future__ import annotations

import json
import re
import stat
from datetime import timedelta

import pyotp
import pytest
from freezegun import freeze_time
from sqlalchemy import inspect, text

from projections.source import ledger_facts
from service import actors
from tests.conftest import TEST_PASSPHRASE
from tests.web.conftest import csrf_token, post_form
from web import auth_log, totp
from web.session_actor import requires
from web.signing import PassphraseRefused, signer_for

WRONG = "not-the-passphrase-typed-here"


def log_lines(home):
    path = auth_log.log_path(home)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def signed_in(client) -> bool:
    r = client.get("/today")
    return r.status_code == 200


def attempt(client, actor, passphrase):
    return post_form(client, "/sign-in", {"actor": actor, "passphrase": passphrase})


# --- enrolment and the second factor -------------------------------------------------------


def test_first_sign_in_enrols_totp_as_a_signed_event_and_keeps_the_secret_sealed(
        client, sign_in, web_ledger):
    home = web_ledger.home
    size = web_ledger.app.size()
    sign_in(client, "p1")
    assert signed_in(client)
    secret = sign_in.secrets["p1"]
    (event,) = ledger_facts(web_ledger.app, "actor-totp-enrolled")
    assert event.actor == "p1" and event.data["actor"] == "p1"  # signed by the person
    assert event.data["key_id"] == totp.secret_key_id(secret)
    assert web_ledger.app.size() == size + 1
    # Never in clear: not in any file under the home (keys, database, logs), not in the DB.
    for path in home.root.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path.name
    engine = web_ledger.app.engine
    with engine.connect() as conn:  # every row of every table (PostgreSQL's too)
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'select * from "{table}"')):
                assert secret not in repr(row) and secret.encode() not in b"".join(
                    bytes(v) for v in row if isinstance(v, (bytes, memoryview))), table
    sealed = totp.secret_path(home, "p1")
    assert sealed.exists() and stat.S_IMODE(sealed.stat().st_mode) == 0o600
    assert not totp.secret_path(home, "p1", pending=True).exists()


def test_a_second_sign_in_asks_for_the_code_and_never_shows_the_secret_again(
        web_app, sign_in):
    first = web_app.test_client()
    sign_in(first, "scrut")
    again = web_app.test_client()
    r = attempt(again, "scrut", TEST_PASSPHRASE)
    assert r.status_code == 302 and r.headers["Location"].endswith("/sign-in/code")
    page = again.get("/sign-in/code").get_data(True)
    assert sign_in.secrets["scrut"] not in page
    # The enrolment page is not offered to someone enrolled.
    assert again.get("/sign-in/enrol").headers["Location"].endswith("/sign-in/code")
    sign_in(again, "scrut")
    assert signed_in(again)


def test_a_wrong_code_at_enrolment_appends_nothing_and_keeps_no_secret(client, web_ledger):
    size = web_ledger.app.size()
    assert attempt(client, "rev", TEST_PASSPHRASE).status_code == 302
    page = client.get("/sign-in/enrol").get_data(True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    good = pyotp.TOTP(secret).now()
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    r = client.post("/sign-in/enrol", data={"code": wrong, "passphrase": TEST_PASSPHRASE,
                                            "csrf_token": csrf_token(page)})
    assert r.status_code == 200 and "is not right" in r.get_data(True)
    assert wrong not in r.get_data(True) and secret not in r.get_data(True)
    # The right code with a wrong passphrase: the enrolment is not signed either.
    r = client.post("/sign-in/enrol", data={"code": good, "passphrase": WRONG,
                                            "csrf_token": csrf_token(page)})
    assert r.status_code == 200 and WRONG not in r.get_data(True)
    assert web_ledger.app.size() == size
    assert ledger_facts(web_ledger.app, "actor-totp-enrolled") == []
    assert not totp.secret_path(web_ledger.home, "rev").exists()
    assert not signed_in(client)


def test_a_wrong_code_is_refused_and_a_code_works_once(web_app, sign_in, web_clock):
    sign_in(web_app.test_client(), "ldc")
    client = web_app.test_client()
    assert attempt(client, "ldc", TEST_PASSPHRASE).status_code == 302
    code = pyotp.TOTP(sign_in.secrets["ldc"]).at(web_clock())
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    r = post_form(client, "/sign-in/code", {"code": wrong})
    assert r.status_code == 200 and "is not right" in r.get_data(True)
    assert not signed_in(client)
    assert log_lines(web_app.extensions["cspr"].home)[-1]["reason"] == "code"
    # sign_in used this time-step's code already: the same code again is a replay.
    used = web_app.extensions["cspr_totp_used"]["ldc"]
    replay = pyotp.TOTP(sign_in.secrets["ldc"]).generate_otp(used)
    r = post_form(client, "/sign-in/code", {"code": replay})
    assert r.status_code == 200 and not signed_in(client)


# --- passphrase ----------------------------------------------------------------------------


def test_a_wrong_passphrase_is_refused_without_saying_which_part(client, web_ledger):
    r = attempt(client, "bu1", WRONG)
    body = r.get_data(True)
    assert r.status_code == 200 and "is not right" in body
    assert WRONG not in body and 'value="bu1"' not in body  # nothing typed is echoed
    assert not signed_in(client)
    (line,) = log_lines(web_ledger.home)
    assert (line["event"], line["actor"], line["reason"]) == ("sign-in-failed", "bu1",
                                                              "passphrase")


def test_an_unknown_name_or_the_system_cannot_sign_in_and_is_never_logged(client,
                                                                          web_ledger):
    typed = "someones-passphrase-in-the-name-box"
    r = attempt(client, typed, TEST_PASSPHRASE)
    assert r.status_code == 200 and typed not in r.get_data(True)
    r = attempt(client, "system", TEST_PASSPHRASE)
    assert r.status_code == 200 and not signed_in(client)
    lines = log_lines(web_ledger.home)
    assert [(x["actor"], x["reason"]) for x in lines] == [(None, "unknown-actor"),
                                                          ("system", "not-a-person")]
    assert typed not in auth_log.log_path(web_ledger.home).read_text()


def test_signer_for_uses_only_the_typed_passphrase(web_ledger):
    # The environment holds the right passphrase (CSPR_KEY_PASSPHRASE): it is not used.
    # (Outside a request, so without the lock-out's count: tests/web/test_lockout.py.)
    with pytest.raises(PassphraseRefused):
        signer_for(web_ledger.home, "p1", WRONG, counted=False)
    with pytest.raises(PassphraseRefused):
        signer_for(web_ledger.home, "p1", "", counted=False)
    with pytest.raises(PassphraseRefused):
        signer_for(web_ledger.home, "system", TEST_PASSPHRASE, counted=False)
    with pytest.raises(PassphraseRefused):
        signer_for(web_ledger.home, "nobody", TEST_PASSPHRASE, counted=False)
    signer = signer_for(web_ledger.home, "p1", TEST_PASSPHRASE, counted=False)
    assert signer.actor == "p1"
    assert signer.key_id == {a["actor"]: a["key_id"]
                             for a in actors.list_actors(web_ledger.app)}["p1"]


# --- lock-out ------------------------------------------------------------------------------


def test_lockout_after_three_failures_with_back_off_that_doubles(client, web_clock,
                                                                 web_ledger):
    for _ in range(3):
        assert attempt(client, "ag1", WRONG).status_code == 200
    # The 4th failure locks for 30 s: even the right passphrase is refused meanwhile.
    attempt(client, "ag1", WRONG)
    r = attempt(client, "ag1", TEST_PASSPHRASE)
    assert r.status_code == 429 and "Too many attempts" in r.get_data(True)
    web_clock.advance(seconds=29)
    assert attempt(client, "ag1", TEST_PASSPHRASE).status_code == 429
    web_clock.advance(seconds=2)  # 31 s after the 4th failure: free again
    # The 5th failure locks for 60 s (back-off doubles).
    attempt(client, "ag1", WRONG)
    web_clock.advance(seconds=59)
    assert attempt(client, "ag1", TEST_PASSPHRASE).status_code == 429
    web_clock.advance(seconds=2)
    r = attempt(client, "ag1", TEST_PASSPHRASE)
    assert r.status_code == 302 and r.headers["Location"].endswith("/sign-in/enrol")
    events = [x["event"] for x in log_lines(web_ledger.home)]
    assert events == ["sign-in-failed"] * 4 + ["locked-out"] * 2 + ["sign-in-failed"] \
        + ["locked-out"]


def test_lockout_per_client_address_across_names(web_app, web_ledger):
    here = web_app.test_client()
    for name in ("bu1", "p1", "scrut", "ldc"):
        attempt(here, name, WRONG)
    # This client is locked whatever name it tries next...
    assert attempt(here, "rev", TEST_PASSPHRASE).status_code == 429
    # ...while the same person from another address is not.
    elsewhere = web_app.test_client()
    r = post_form(elsewhere, "/sign-in", {"actor": "rev", "passphrase": TEST_PASSPHRASE},
                  environ_base={"REMOTE_ADDR": "127.0.0.9"})
    assert r.status_code == 302


# --- sessions ------------------------------------------------------------------------------


def test_idle_timeout_ends_the_session(client, sign_in, web_clock, web_ledger):
    sign_in(client, "bu1")
    start = web_clock()
    with freeze_time(start.replace(tzinfo=None) - web_clock.offset + timedelta(minutes=29)):
        assert signed_in(client)  # active within 30 minutes: the session goes on
    with freeze_time(start.replace(tzinfo=None) - web_clock.offset + timedelta(minutes=58)):
        assert signed_in(client)  # 29 minutes after the last click
    with freeze_time(start.replace(tzinfo=None) - web_clock.offset + timedelta(minutes=89)):
        r = client.get("/today")
        assert r.status_code == 302 and "/sign-in" in r.headers["Location"]
    assert log_lines(web_ledger.home)[-1]["event"] == "idle-timeout"


def test_a_revoked_actor_is_signed_out_at_the_next_request(client, sign_in, web_ledger):
    sign_in(client, "p1")
    assert signed_in(client)
    actors.revoke_actor(web_ledger.app, web_ledger.home, "p1", "Made-up reason for a test.")
    r = client.get("/today")
    assert r.status_code == 302 and "/sign-in" in r.headers["Location"]
    assert log_lines(web_ledger.home)[-1]["event"] == "revoked-signed-out"
    r = attempt(client, "p1", TEST_PASSPHRASE)
    assert r.status_code == 200 and log_lines(web_ledger.home)[-1]["reason"] == "revoked"


def test_sign_out_ends_the_session(client, sign_in, web_ledger):
    sign_in(client, "bu1")
    r = post_form(client, "/sign-out", {}, page="/today")
    assert r.status_code == 302 and not signed_in(client)
    assert log_lines(web_ledger.home)[-1]["event"] == "sign-out"


def test_after_sign_in_back_to_the_page_asked_for_never_another_site(web_app, sign_in):
    web_app.add_url_rule("/elsewhere", "elsewhere", requires()(lambda: "elsewhere"))
    client = web_app.test_client()
    r = client.get("/elsewhere")
    assert r.headers["Location"].endswith("/sign-in?next=/elsewhere")
    r = sign_in(client, "bu1", path="/sign-in?next=/elsewhere")
    assert r.headers["Location"] == "/elsewhere"
    other = web_app.test_client()
    r = sign_in(other, "bu1", path="/sign-in?next=//evil.example/x")
    assert r.headers["Location"] == "/today"


# --- the sign-in log -----------------------------------------------------------------------


def test_the_log_holds_no_passphrase_code_or_secret_and_is_private(client, sign_in,
                                                                   web_ledger):
    attempt(client, "bu1", WRONG)
    sign_in(client, "bu1")
    post_form(client, "/sign-out", {}, page="/today")
    path = auth_log.log_path(web_ledger.home)
    raw = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for secret in (WRONG, TEST_PASSPHRASE, sign_in.secrets["bu1"]):
        assert secret not in raw
    lines = [json.loads(x) for x in raw.splitlines()]
    assert [x["event"] for x in lines] == ["sign-in-failed", "totp-enrolled", "sign-in",
                                           "sign-out"]
    for line in lines:
        assert set(line) <= {"at", "event", "actor", "client", "reason"}
        assert re.fullmatch(r"[0-9a-f]{16}", line["client"])  # a keyed hash, not an address
        assert not re.search(r"\b\d{6}\b", json.dumps({k: v for k, v in line.items()
                                                       if k != "at"}))  # no code


def test_an_enrolment_recorded_for_someone_else_is_refused(web_ledger):
    from domain.rules_actor import EnrolmentNotOwnError
    from service.actors import load_actor_signer
    from service.writer import Writer, make_intent
    from web.context import utcnow

    size = web_ledger.app.size()
    intent = make_intent("actor-totp-enrolled", None, {
        "actor": "p1", "key_id": "0123456789abcdef0123456789abcdef"}, None, "bu1", utcnow())
    with pytest.raises(EnrolmentNotOwnError):
        Writer(web_ledger.app).append([intent], {"bu1": load_actor_signer(web_ledger.home,
                                                                          "bu1")})
    assert web_ledger.app.size() == size
    # The same, recorded by p1 for p1, is accepted: the rule refuses only the stranger.
    own = make_intent("actor-totp-enrolled", None, {
        "actor": "p1", "key_id": "0123456789abcdef0123456789abcdef"}, None, "p1", utcnow())
    Writer(web_ledger.app).append([own], {"p1": load_actor_signer(web_ledger.home, "p1")})
    assert web_ledger.app.size() == size + 1
