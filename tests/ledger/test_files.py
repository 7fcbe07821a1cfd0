"""Files under the home are their owner's alone, and exposed key material is refused
(issue 8, weak items); a passphrase set for people's keys does not stop the system key,
the one key kept in clear."""

from __future__ import annotations

import json
import os
import stat

import pytest

from service import actors
from tests.helpers import REFERRAL, make_ledger


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_everything_created_under_the_home_is_private(home):
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "F-1", REFERRAL, "2025-12-18")
    if home.db_url is None:  # while a connection is open, SQLite keeps its WAL and SHM
        for suffix in ("-wal", "-shm"):
            assert mode(home.root / f"ledger.sqlite{suffix}") == 0o600
    assert lg.cli("case", "list").exit_code == 0
    assert lg.cli("jobs", "nightly").exit_code in (0, 1)  # writes letters and reports
    paths = [home.root, *home.root.rglob("*")]
    if home.db_url is None:
        assert (home.root / "ledger.sqlite") in paths
    assert (home.keys / "master.key") in paths and (home.keys / "bu1.pem") in paths
    loose = {str(p.relative_to(home.root)): oct(mode(p)) for p in paths if mode(p) & 0o077}
    assert not loose


@pytest.mark.parametrize("name,loose", [("bu1.pem", 0o644), ("bu1.pem", 0o660),
                                        ("master.key", 0o666), ("master.key", 0o604)])
def test_key_material_readable_by_others_is_refused(home, name, loose):
    lg = make_ledger(home)
    before = lg.app.size()
    path = home.keys / name
    os.chmod(path, loose)
    result = lg.cli("--as", "bu1", "record", "incident-referred", "--case", "F-2",
                    "--occurred-at", "2025-12-18", "--data", json.dumps(REFERRAL))
    assert result.exit_code == 1, result.output
    assert str(path) in result.stderr and f"chmod 600 {path}" in result.stderr
    assert "Traceback" not in result.output
    os.chmod(path, 0o600)
    assert lg.reopen().app.size() == before
    assert lg.cli("--as", "bu1", "record", "incident-referred", "--case", "F-2",
                  "--occurred-at", "2025-12-18",
                  "--data", json.dumps(REFERRAL)).exit_code == 0


def test_a_passphrase_for_people_does_not_stop_the_clear_system_key(home, monkeypatch):
    lg = make_ledger(home)
    assert b"SEALED" not in (home.keys / "system.pem").read_bytes()
    for value in ("made-up test passphrase", "a wrong one entirely", None):
        if value is None:
            monkeypatch.delenv("CSPR_KEY_PASSPHRASE")
        else:
            monkeypatch.setenv("CSPR_KEY_PASSPHRASE", value)
        result = lg.cli("checkpoint", "--json")
        assert result.exit_code == 0, result.output
    result = lg.cli("--as", "bu1", "record", "incident-referred", "--case", "P-3",
                    "--occurred-at", "2025-12-18", "--data", json.dumps(REFERRAL))
    assert result.exit_code == 2 and "needs its passphrase" in result.stderr
