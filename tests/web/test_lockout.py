"""The lock-out's counts are shared by every server process and kept over a restart
(web.lockout with the home's logs/lockout.json), and forgotten a day after the last failure."""

from __future__ import annotations

import json
import multiprocessing
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import TEST_PASSPHRASE
from tests.web.conftest import WEB_CONFIG
from tests.web.test_auth import WRONG, attempt, log_lines
from web.app import create_app
from web.lockout import Lockout

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def test_a_restarted_server_still_refuses_a_locked_out_actor(web_app, web_ledger, web_clock):
    for _ in range(4):
        attempt(web_app.test_client(), "ag1", WRONG)
    # A new app over the same home is what a restart, or another worker process, starts.
    again = create_app(web_ledger.home, clock=web_clock, config=WEB_CONFIG)
    r = attempt(again.test_client(), "ag1", TEST_PASSPHRASE)
    assert r.status_code == 429
    web_clock.advance(seconds=31)  # the first lock is 30 s
    r = attempt(again.test_client(), "ag1", TEST_PASSPHRASE)
    assert r.status_code == 302
    # The success cleared the count in the file, for every process.
    state = json.loads((web_ledger.home.root / "logs" / "lockout.json").read_text())
    assert "ag1" not in state
    mode = stat.S_IMODE((web_ledger.home.root / "logs" / "lockout.json").stat().st_mode)
    assert mode == 0o600


def _fail_twice(path: str) -> None:
    Lockout(path=Path(path)).failed(["p1"], T0)
    Lockout(path=Path(path)).failed(["p1"], T0 + timedelta(seconds=1))


def test_failures_in_two_processes_add_up(tmp_path):
    path = tmp_path / "logs" / "lockout.json"
    child = multiprocessing.get_context("spawn").Process(target=_fail_twice, args=(str(path),))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    here = Lockout(path=path)
    here.failed(["p1"], T0 + timedelta(seconds=2))
    assert here.locked_until(["p1"], T0 + timedelta(seconds=3)) is None  # 3 failures: free
    here.failed(["p1"], T0 + timedelta(seconds=3))  # the 4th, counted across processes
    assert here.locked_until(["p1"], T0 + timedelta(seconds=4)) == T0 + timedelta(seconds=33)


def test_counts_are_forgotten_a_day_after_the_last_failure(tmp_path):
    lock = Lockout(path=tmp_path / "lockout.json")
    for i in range(3):
        lock.failed(["rev"], T0 + timedelta(minutes=i))
    later = T0 + timedelta(minutes=2, days=1, seconds=1)
    lock.failed(["rev"], later)  # a 4th failure, but the first three are forgotten
    assert lock.locked_until(["rev"], later) is None
    assert json.loads((tmp_path / "lockout.json").read_text())["rev"]["failures"] == 1


@pytest.mark.parametrize("damage,failures,locked_for", [
    ("{not json", 1, 30), ("[1, 2]", 1, 30),
    ('{"bu1": {"failures": "many", "last": "2026-11-30T09:00:00+00:00"}}', 1, 30),
    # A well-formed count with an unreadable end survives: 2 + this one, locked 30 x 2**2.
    ('{"bu1": {"failures": 2, "last": "2026-11-30T09:00:00+00:00", "until": "soon"}}', 3,
     120),
])
def test_a_damaged_state_file_is_replaced_not_fatal(tmp_path, damage, failures, locked_for):
    path = tmp_path / "lockout.json"
    path.write_text(damage)
    lock = Lockout(path=path, free=0)
    assert lock.locked_until(["bu1"], T0) is None
    lock.failed(["bu1"], T0)
    assert lock.locked_until(["bu1"], T0) == T0 + timedelta(seconds=locked_for)
    assert json.loads(path.read_text())["bu1"]["failures"] == failures


def test_wrong_passphrases_typed_to_sign_lock_the_name_everywhere(
        client, sign_in, web_app, web_ledger, web_clock):
    from tests.helpers import REFERRAL
    from tests.web.test_record import post_record

    sign_in(client, "bu1")
    before = web_ledger.app.size()
    for _ in range(4):  # three free, the fourth locks for 30 s
        r = post_record(client, "incident-referred", REFERRAL, passphrase=WRONG)
        assert r.status_code == 400
        assert "The passphrase does not open your key" in r.get_data(True)
    # The right passphrase is not even tried while locked: nothing appended.
    r = post_record(client, "incident-referred", REFERRAL)
    assert r.status_code == 400 and "Too many wrong passphrases" in r.get_data(True)
    assert web_ledger.app.size() == before
    # The sign-in page, from another client, refuses the name too.
    assert attempt(web_app.test_client(), "bu1", TEST_PASSPHRASE).status_code == 429
    web_clock.advance(seconds=31)
    r = post_record(client, "incident-referred", REFERRAL)
    assert r.status_code == 303 and web_ledger.app.size() == before + 1
    # Each refusal is in the sign-in log, with its reason and without what was typed.
    refused = [(x["actor"], x["reason"]) for x in log_lines(web_ledger.home)
               if x["event"] == "signature-refused"]
    assert refused == [("bu1", "passphrase")] * 4 + [("bu1", "locked")]
    assert WRONG not in (web_ledger.home.root / "logs" / "sign-in.jsonl").read_text()
