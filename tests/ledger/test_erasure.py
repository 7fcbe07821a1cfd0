"""Real erasure: after ``case erase``, no copy of the erased case's wrapped data key (free
pages, WAL, PostgreSQL dead tuples, a backup) opens under the home's current master key,
everything still verifies, and a crash at any step leaves the old or the new state."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import event, select, text

from ledger.envelope import MASTER_KEY_FILE, Sealer, unwrap, wrap
from ledger.erasure import RETIRED, STAGED, settle
from ledger.errors import MasterKeyMismatchError, PersonalDataUnavailableError
from ledger.schema import data_keys_table
from ledger.verify import verify_ledger
from service.erasure import erase_case
from tests.helpers import CHILD_NAME, REFERRAL, make_ledger

WRAPPED = 12 + 32 + 16  # nonce, data key, GCM tag


def _master(home) -> AESGCM:
    return AESGCM((home.keys / MASTER_KEY_FILE).read_bytes())


def _wrapped(app) -> dict[str, bytes]:
    t = data_keys_table.c
    with app.engine.connect() as conn:
        return {r[0]: bytes(r[1]) for r in conn.execute(select(t.case_ref, t.wrapped))}


def _opening_windows(blob: bytes, master: AESGCM, case: str) -> int:
    """How many WRAPPED-byte windows of ``blob`` open as ``case``'s data key."""
    return sum(unwrap(master, case, blob[i:i + WRAPPED]) is not None
               for i in range(len(blob) - WRAPPED + 1))


def _sealed(app, case: str) -> bytes:
    t = app.events_table
    with app.engine.connect() as conn:
        return bytes(conn.execute(select(t.c.sealed).where(
            t.c.case_ref == case, t.c.sealed.is_not(None))).scalars().first())


def _three_cases(home):
    lg = make_ledger(home)
    for ref in ("ER-1", "ER-2", "ER-3"):
        lg.record("bu1", "incident-referred", ref, REFERRAL, "2025-12-18")
    return lg


@pytest.mark.parametrize("secure_delete", ["OFF", "ON"])
def test_sqlite_file_and_wal_hold_no_key_that_opens(tmp_path: Path, secure_delete: str):
    from service.home import Home

    home = Home(tmp_path / "home")
    lg = _three_cases(home)
    event.listen(lg.app.engine, "connect", lambda c, _: c.execute(
        f"PRAGMA secure_delete = {secure_delete}"))
    lg.app.engine.dispose()
    before = _wrapped(lg.app)["ER-2"]
    erase_case(lg.app, home, "ER-2", "made-up retention ended", "scrut")
    files = sorted(home.root.glob("ledger.sqlite*"))
    blob = b"".join(f.read_bytes() for f in files)
    assert any(f.name.endswith("-wal") for f in files)  # the WAL is scanned too
    if secure_delete == "OFF":
        assert before in blob  # the deleted row's bytes are still there, as reported
    assert CHILD_NAME.encode() not in blob
    assert _opening_windows(blob, _master(home), "ER-2") == 0
    # The scan can find a key: the other cases' keys, re-wrapped, are found by it.
    assert _opening_windows(blob, _master(home), "ER-1") >= 1
    _after_erasure_checks(lg, home)


def test_postgres_dead_tuples_hold_no_key_that_opens(postgres_url, tmp_path: Path):
    from service.home import Home

    home = Home(tmp_path / "home", postgres_url)
    lg = _three_cases(home)
    before = _wrapped(lg.app)["ER-2"]
    erase_case(lg.app, home, "ER-2", "made-up retention ended", "scrut")
    with lg.app.engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        pages = conn.execute(text(
            "SELECT pg_relation_size('cspr_data_keys') / current_setting('block_size')::int"
        )).scalar_one()
        blob = b"".join(bytes(conn.execute(text(
            "SELECT get_raw_page('cspr_data_keys', 'main', :n)"), {"n": n}).scalar_one())
            for n in range(pages))
    assert before in blob  # the dead tuple still holds the old wrapped key
    assert _opening_windows(blob, _master(home), "ER-2") == 0
    assert _opening_windows(blob, _master(home), "ER-1") >= 1
    _after_erasure_checks(lg, home)


def _after_erasure_checks(lg, home) -> None:
    fresh = Sealer(lg.app.engine, home.keys)
    assert fresh.open("ER-1", _sealed(lg.app, "ER-1"))["child"]["name"] == CHILD_NAME
    with pytest.raises(PersonalDataUnavailableError):
        fresh.open("ER-2", _sealed(lg.app, "ER-2"))
    assert verify_ledger(lg.app).ok
    assert sorted(p.name for p in home.keys.glob("master.key*")) == [
        "master.key", "master.key.lock"]  # no copy of the old key kept


def test_a_backup_taken_before_erasure_does_not_open(home):
    lg = _three_cases(home)
    backup = _wrapped(lg.app)  # what any backup of the database holds
    erase_case(lg.app, home, "ER-2", "made-up retention ended", "scrut")
    assert unwrap(_master(home), "ER-2", backup["ER-2"]) is None
    assert unwrap(_master(home), "ER-1", backup["ER-1"]) is None  # old master: gone
    assert "ER-2" not in _wrapped(lg.app)


# --- crash safety: each intermediate state on disk, then the recovery rule ------------


def _commit_step_2(app, home, erased: str) -> bytes:
    """What step 2 leaves committed (module docstring of ledger.erasure), made by hand."""
    old, new_key = _master(home), AESGCM.generate_key(bit_length=256)
    with app.engine.begin() as conn:
        for case, wrapped in _wrapped(app).items():
            t = data_keys_table.c
            if case == erased:
                conn.execute(data_keys_table.delete().where(t.case_ref == case))
            else:
                conn.execute(data_keys_table.update().where(t.case_ref == case).values(
                    wrapped=wrap(AESGCM(new_key), case, unwrap(old, case, wrapped))))
    return new_key


def _opens(home, app, case: str) -> bool:
    try:
        return Sealer(app.engine, home.keys).open(case, _sealed(app, case)) is not None
    except PersonalDataUnavailableError:
        return False


def test_crash_after_staging_before_commit_keeps_the_old_state(home):
    lg = _three_cases(home)
    old = (home.keys / MASTER_KEY_FILE).read_bytes()
    (home.keys / STAGED).write_bytes(os.urandom(32))
    (home.keys / (STAGED + ".tmp")).write_bytes(os.urandom(7))
    assert _opens(home, lg.app, "ER-2")  # any use of the master key settles first
    assert (home.keys / MASTER_KEY_FILE).read_bytes() == old
    assert not (home.keys / STAGED).exists() and not (home.keys / (STAGED + ".tmp")).exists()
    erase_case(lg.app, home, "ER-2", "made-up retention ended", "scrut")  # retry works
    assert not _opens(home, lg.app, "ER-2") and _opens(home, lg.app, "ER-3")


@pytest.mark.parametrize("linked", [False, True])
def test_crash_after_commit_is_finished_forward(home, linked: bool):
    lg = _three_cases(home)
    old = (home.keys / MASTER_KEY_FILE).read_bytes()
    new = _commit_step_2(lg.app, home, "ER-2")
    (home.keys / STAGED).write_bytes(new)
    if linked:  # crashed inside step 3, between the link and the rename
        os.link(home.keys / MASTER_KEY_FILE, home.keys / RETIRED)
    settle(lg.app.engine, home.keys)
    assert (home.keys / MASTER_KEY_FILE).read_bytes() == new
    assert not (home.keys / STAGED).exists() and not (home.keys / RETIRED).exists()
    assert old not in b"".join(p.read_bytes() for p in home.keys.iterdir())
    assert _opens(home, lg.app, "ER-1") and _opens(home, lg.app, "ER-3")
    assert not _opens(home, lg.app, "ER-2")


def test_crash_before_destroying_the_old_key_sweeps_and_destroys(home):
    lg = _three_cases(home)
    old = (home.keys / MASTER_KEY_FILE).read_bytes()
    new = _commit_step_2(lg.app, home, "ER-2")
    os.link(home.keys / MASTER_KEY_FILE, home.keys / RETIRED)
    (home.keys / STAGED).write_bytes(new)
    os.replace(home.keys / STAGED, home.keys / MASTER_KEY_FILE)
    # A writer that read the old master before the rotation wrapped a new case under it.
    straggler = AESGCM.generate_key(bit_length=256)
    with lg.app.engine.begin() as conn:
        conn.execute(data_keys_table.update().where(data_keys_table.c.case_ref == "ER-3")
                     .values(wrapped=wrap(AESGCM(old), "ER-3", straggler)))
    settle(lg.app.engine, home.keys)
    assert not (home.keys / RETIRED).exists()
    assert unwrap(_master(home), "ER-3", _wrapped(lg.app)["ER-3"]) == straggler


# --- a long-lived process (the web service, a writer left open) across an erasure -----


def test_a_writer_opened_before_an_erasure_does_not_wrap_new_keys_under_the_old_master(
        home):
    lg = _three_cases(home)
    writer = lg.reopen()  # another process, its master key already in memory
    writer.record("bu1", "incident-referred", "ER-4", REFERRAL, "2025-12-18")
    erase_case(lg.app, home, "ER-2", "made-up retention ended", "scrut")
    # The old writer goes on recording: a new case, and a case it already knew.
    writer.record("bu1", "incident-referred", "ER-5", REFERRAL, "2025-12-19")
    fresh = lg.reopen()
    for case in ("ER-1", "ER-3", "ER-4", "ER-5"):
        assert _opens(home, fresh.app, case), case
    assert not _opens(home, fresh.app, "ER-2")
    assert unwrap(_master(home), "ER-5", _wrapped(fresh.app)["ER-5"]) is not None


def test_a_reader_opened_before_an_erasure_cannot_open_the_erased_case(home):
    lg = _three_cases(home)
    reader = lg.reopen()
    assert reader.app.sealer.open("ER-2", _sealed(reader.app, "ER-2"))  # key in memory
    erase_case(lg.app, home, "ER-2", "made-up retention ended", "scrut")
    with pytest.raises(PersonalDataUnavailableError):
        reader.app.sealer.open("ER-2", _sealed(reader.app, "ER-2"))
    assert reader.app.sealer.open("ER-1", _sealed(reader.app, "ER-1"))


def test_a_home_whose_master_key_is_not_the_databases_appends_nothing(home, tmp_path):
    lg = _three_cases(home)
    erase_case(lg.app, home, "ER-2", "made-up retention ended", "scrut")
    size = lg.app.size()
    (home.keys / MASTER_KEY_FILE).write_bytes(AESGCM.generate_key(bit_length=256))
    with pytest.raises(MasterKeyMismatchError):
        lg.reopen().record("bu1", "incident-referred", "ER-6", REFERRAL, "2025-12-19")
    assert lg.reopen().app.size() == size
