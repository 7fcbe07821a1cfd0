"""An inspector verifies a copy of the database holding no key at all: no private key, no
master key, no keys/ folder; and the verify creates nothing, writes nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from service.home import DB_FILE, Home
from tests.helpers import REFERRAL, Ledger, make_ledger, run_cli
from tests.ledger.tamper import raw, row_at


def _ledger(home: Home) -> Ledger:
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "V-1", REFERRAL, "2025-12-18")
    lg.record("bu1", "reported-to-partners", "V-1", {"on": "2025-12-19"}, "2025-12-19")
    lg.app.close()  # every connection gone: the SQLite file is whole on its own
    return lg


def _forge(db, position: int) -> None:
    state = bytes(row_at(db, position)["state"])
    i = state.index(b"2025-12-19")
    db.execute("UPDATE cspr_events SET state = :s WHERE position = :p",
               {"s": state[:i] + b"2025-12-20" + state[i + 10:], "p": position})


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _verify(home: Home, *args: str):
    return run_cli(home, "verify", *args)


def test_a_copy_of_the_sqlite_file_alone_verifies_and_gains_nothing(tmp_path, db_url):
    if db_url is not None:
        return  # the PostgreSQL half is the next test
    lg = _ledger(Home(tmp_path / "origin"))
    size = lg.reopen().app.size()
    empty = tmp_path / "inspector"
    empty.mkdir()
    copy = empty / DB_FILE
    shutil.copyfile(lg.home.root / DB_FILE, copy)
    before = _digest(copy)

    by_home = _verify(Home(empty))
    assert by_home.exit_code == 0, by_home.output
    assert f"{size} events checked: intact" in by_home.output
    elsewhere = tmp_path / "elsewhere"  # a --home that does not even exist
    by_url = _verify(Home(elsewhere, f"sqlite:///{copy}"), "--json")
    assert by_url.exit_code == 0, by_url.output
    assert json.loads(by_url.output)["ok"] is True
    # nothing made: no keys/, no master.key, no -wal or -shm left, not a byte changed
    assert sorted(p.name for p in empty.iterdir()) == [DB_FILE]
    assert not elsewhere.exists()
    assert _digest(copy) == before

    with raw(Home(empty)) as db:
        _forge(db, size)
    tampered = _verify(Home(empty))
    assert tampered.exit_code == 1
    assert f"position {size}: signature" in tampered.output
    by_url = _verify(Home(elsewhere, f"sqlite:///{copy}"), "--json")
    assert by_url.exit_code == 1
    assert size in {p["position"] for p in json.loads(by_url.output)["problems"]}
    assert sorted(p.name for p in empty.iterdir()) == [DB_FILE]


def test_postgresql_verifies_from_a_home_without_keys(tmp_path, db_url):
    if db_url is None:
        return  # the SQLite half is the test above
    lg = _ledger(Home(tmp_path / "origin", db_url))
    size = lg.reopen().app.size()
    inspector = Home(tmp_path / "inspector", db_url)  # never created: no keys anywhere

    ok = _verify(inspector)
    assert ok.exit_code == 0, ok.output
    assert f"{size} events checked: intact" in ok.output
    with raw(lg.home) as db:
        _forge(db, size)
    found = _verify(inspector, "--json")
    assert found.exit_code == 1
    assert size in {p["position"] for p in json.loads(found.output)["problems"]}
    assert not inspector.root.exists()


def test_a_missing_or_empty_database_is_no_ledger_and_stays_uncreated(tmp_path, db_url):
    if db_url is not None:
        # an empty PostgreSQL database: refused, and no table is created in it
        result = _verify(Home(tmp_path / "nohome", db_url))
        assert result.exit_code == 2
        assert "no ledger" in result.stderr
        with raw(Home(tmp_path, db_url)) as db:
            assert db.execute("SELECT count(*) FROM information_schema.tables "
                              "WHERE table_schema = 'public'") == [(0,)]
        return
    missing = tmp_path / "nothing-here"
    result = _verify(Home(missing))
    assert result.exit_code == 2 and "no ledger" in result.stderr
    assert not missing.exists()
    result = _verify(Home(missing, f"sqlite:///{missing / 'copy.sqlite'}"))
    assert result.exit_code == 2 and "no ledger" in result.stderr
    assert not missing.exists()


def test_a_verify_cannot_write(tmp_path, db_url):
    """The database itself refuses a write through a verifier's connection."""
    lg = _ledger(Home(tmp_path / "origin", db_url))
    app = Home(tmp_path / "inspector", lg.home.url).open_for_verification()
    try:
        with app.engine.connect() as conn:
            try:
                conn.exec_driver_sql("DELETE FROM cspr_events")
                refused = False
            except Exception as e:  # the driver's own error, whichever database
                refused = "read" in str(e).lower()
            conn.rollback()
    finally:
        app.close()
    assert refused
    assert lg.reopen().app.size() > 0
