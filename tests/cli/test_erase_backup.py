"""``cspr case erase`` (co-signed), ``cspr report retention``, ``cspr backup`` and
``cspr restore``, through the command line on real databases."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from ledger.cosignature import CosignatureError, erase_message
from ledger.envelope import MASTER_KEY_FILE, unwrap
from ledger.schema import data_keys_table
from service.actors import load_actor_signer
from service.passphrases import variable
from service.writer import Writer, make_intent
from tests.helpers import CHILD_NAME, REFERRAL, make_ledger
from tests.scenario import THRESHOLD_MET_PATH, data, play

REASON = "made-up retention period ended"


def _ledger(home):
    lg = make_ledger(home)
    for ref in ("EB-1", "EB-2"):
        lg.record("bu1", "incident-referred", ref, REFERRAL, "2025-12-18")
    steps = THRESHOLD_MET_PATH[:[s[1] for s in THRESHOLD_MET_PATH].index(
        "chronology-entry-added")]
    play(lg, "EB-2", steps[1:])  # after its referral, up to its first chronology entry
    lg.record("ag1", "chronology-entry-added", "EB-2", data(
        "chronology-entry-added", significant_event=f"made-up visit to {CHILD_NAME}"),
        "2026-02-11")
    return lg


def _state(lg) -> tuple[int, bytes, set[str]]:
    t = data_keys_table.c
    with lg.app.engine.connect() as conn:
        keyed = set(conn.execute(select(t.case_ref)).scalars())
    return lg.app.size(), (lg.home.keys / MASTER_KEY_FILE).read_bytes(), keyed


def _erase(lg, *extra: str, as_: str = "admin", cosigner: str = "scrut"):
    return lg.cli("--as", as_, "case", "erase", "EB-2", "--reason", REASON,
                  "--cosigner", cosigner, *extra)


def test_erase_shows_in_case_show_history_and_chronology(home):
    lg = _ledger(home)
    r = _erase(lg)
    assert r.exit_code == 0, r.output
    show = lg.cli("case", "show", "EB-2")
    assert "personal data erased on" in show.output and REASON in show.output
    erased = json.loads(lg.cli("case", "show", "EB-2", "--json").output)[
        "personal_data_erased"]
    assert (erased["by"], erased["cosigned_by"], erased["reason"]) == ("admin", "scrut",
                                                                       REASON)
    assert json.loads(lg.cli("case", "show", "EB-1", "--json").output)[
        "personal_data_erased"] is None
    history = lg.cli("case", "history", "EB-2")
    assert history.exit_code == 0 and "personal-data-erased" in history.output
    assert CHILD_NAME not in history.output
    assert lg.cli("verify").exit_code == 0
    again = _erase(lg)
    assert again.exit_code == 1 and "already erased" in again.output


@pytest.mark.parametrize("cosigner, code", [("p1", 1), ("admin", 1), ("nobody", 2)])
def test_a_cosigner_who_may_not_cosign_is_refused(home, cosigner, code):
    lg = _ledger(home)
    before = _state(lg)
    r = _erase(lg, cosigner=cosigner)
    assert r.exit_code == code, r.output
    assert "Traceback" not in r.output
    assert _state(lg) == before  # nothing appended, the key and the master unchanged


def test_only_admin_erases_and_a_wrong_cosigner_passphrase_is_refused(home, monkeypatch):
    lg = _ledger(home)
    before = _state(lg)
    assert _erase(lg, as_="bu1").exit_code == 1
    monkeypatch.setenv(variable("scrut"), "not the made-up passphrase")
    assert _erase(lg).exit_code == 2
    assert _state(lg) == before


def test_the_writer_refuses_a_forged_cosignature(home):
    lg = _ledger(home)
    before = _state(lg)
    r = lg.cli("--as", "admin", "record", "personal-data-erased", "--case", "EB-2",
               "--data", "{}")
    assert r.exit_code == 2  # not recordable by hand: only 'case erase' makes it
    admin, now = load_actor_signer(home, "admin"), datetime.now(timezone.utc)
    forger = load_actor_signer(home, "bu1")  # signs, but names scrut as co-signer
    scrut = load_actor_signer(home, "scrut")
    for signer, case in ((forger, "EB-2"), (scrut, "EB-1")):  # EB-1: another case's
        signature = signer.sign(erase_message(case, REASON, lg.app.ledger_id()))
        intent = make_intent("personal-data-erased", "EB-2", {
            "reason": REASON, "cosigned_by": "scrut", "erased_on": "2026-01-05",
            "cosignature": signature.hex()}, None, "admin", now)
        with pytest.raises(CosignatureError):
            Writer(lg.app).append([intent], {"admin": admin})
    assert _state(lg) == before


def test_chronology_of_an_erased_case_says_so(home):
    lg = _ledger(home)
    assert _erase(lg).exit_code == 0
    r = lg.cli("--as", "scrut", "case", "chronology", "EB-2", "--include-personal",
               "--purpose", "made-up check")
    assert r.exit_code == 0, r.output
    assert "erased" in r.output and CHILD_NAME not in r.output


def test_retention_report_lists_old_cases_with_their_erase_command(home):
    lg = _ledger(home)
    r = lg.cli("report", "retention", "--older-than", "30", "--as-of", "2099-01-01",
               "--json")
    rows = {row["case"]: row for row in json.loads(r.output)}
    assert set(rows) == {"EB-1", "EB-2"}
    assert "case erase EB-1" in rows["EB-1"]["erase_command"]
    assert json.loads(lg.cli("report", "retention", "--older-than", "30", "--json")
                      .output) == []  # recorded today: not past the period
    assert _erase(lg).exit_code == 0
    r = lg.cli("report", "retention", "--older-than", "30", "--as-of", "2099-01-01",
               "--json")
    assert [row["case"] for row in json.loads(r.output)] == ["EB-1"]
    assert lg.cli("report", "retention", "--older-than", "0").exit_code == 2
    assert lg.cli("report", "retention").exit_code == 2  # no default period


def test_backup_then_erase_then_restore_keeps_the_case_erased(tmp_path):
    from service.home import Home

    home = Home(tmp_path / "home")
    lg = _ledger(home)
    backup = tmp_path / "before.sqlite"
    assert lg.cli("backup", "--output", str(backup)).exit_code == 0
    assert (backup.stat().st_mode & 0o077) == 0
    assert _erase(lg).exit_code == 0
    lg.app.close()
    refused = lg.cli("restore", str(backup))
    assert refused.exit_code == 1  # a ledger is there: --replace says so
    r = lg.cli("restore", str(backup), "--replace", "--json")
    assert r.exit_code == 0, r.output
    # Every key of a backup taken before an erasure was wrapped by the destroyed master
    # key: the erased case's, and (the price of real erasure) the others' too.
    assert json.loads(r.output)["cases_dropped"] == ["EB-1", "EB-2"]
    assert lg.cli("verify").exit_code == 0
    assert _state(lg.reopen())[2] == set()
    # The restored database names the home's master key (the backup named the destroyed
    # one): a new case's key is stored under it and opens.
    after = lg.reopen()
    after.record("bu1", "incident-referred", "EB-3", REFERRAL, "2025-12-18")
    t = data_keys_table.c
    with after.app.engine.connect() as conn:
        wrapped = conn.execute(select(t.wrapped).where(t.case_ref == "EB-3")).scalar_one()
    master = AESGCM((home.keys / MASTER_KEY_FILE).read_bytes())
    assert unwrap(master, "EB-3", bytes(wrapped)) is not None


def test_a_backup_taken_after_erasure_keeps_the_other_cases(tmp_path):
    from service.home import Home

    home = Home(tmp_path / "home")
    lg = _ledger(home)
    assert _erase(lg).exit_code == 0
    backup = tmp_path / "after.sqlite"
    assert lg.cli("backup", "--output", str(backup)).exit_code == 0
    lg.app.close()
    r = lg.cli("restore", str(backup), "--replace", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["cases_dropped"] == []
    assert lg.cli("verify").exit_code == 0
    assert _state(lg.reopen())[2] == {"EB-1"}
    show = lg.cli("case", "show", "EB-2")
    assert "personal data erased on" in show.output


def test_restore_into_another_home_needs_its_master_key(tmp_path):
    from service.home import Home

    lg = _ledger(Home(tmp_path / "home"))
    backup = tmp_path / "b.sqlite"
    assert lg.cli("backup", "--output", str(backup)).exit_code == 0
    r = lg.cli("restore", str(backup), "--home", str(tmp_path / "empty"))
    assert r.exit_code == 2 and "master.key" in r.output
    r = lg.cli("restore", str(tmp_path / "b.sqlite.missing"), "--replace")
    assert r.exit_code == 2


def test_postgres_backup_points_to_pg_dump(postgres_url, tmp_path):
    from service.home import Home

    lg = _ledger(Home(tmp_path / "home", postgres_url))
    r = lg.cli("backup", "--output", str(tmp_path / "b"))
    assert r.exit_code == 2 and "pg_dump" in r.output
    assert not (tmp_path / "b").exists()
    assert _erase(lg).exit_code == 0
    r = lg.cli("restore", "--json")  # after a pg_restore: drop keys that do not open
    assert r.exit_code == 0 and json.loads(r.output)["data_keys_dropped"] == 0


def test_an_erased_case_takes_no_personal_data_again(home):
    """A new data key for the case would undo the erasure: events that carry personal
    fields are refused (exit 1, nothing appended), and no new data key is made."""
    lg = _ledger(home)
    assert _erase(lg).exit_code == 0
    size = lg.app.size()
    result = lg.cli("--as", "ag1", "record", "chronology-entry-added", "--case", "EB-2",
                    "--data", json.dumps(data("chronology-entry-added",
                                              significant_event="made-up later visit")))
    assert result.exit_code == 1 and "erased" in result.stderr
    assert "made-up later visit" not in result.output
    assert lg.app.size() == size
    t = data_keys_table.c
    with lg.app.engine.connect() as conn:
        assert "EB-2" not in set(conn.execute(select(t.case_ref)).scalars())


def test_a_backup_that_cannot_be_written_is_bad_input(home, tmp_path):
    if home.db_url is not None:
        return  # PostgreSQL: backup points to pg_dump (test_postgres_backup_points_to_pg_dump)
    lg = make_ledger(home)
    for target in (tmp_path / "no-such-folder" / "b.backup", tmp_path):
        result = lg.cli("backup", "--output", str(target))
        assert result.exit_code == 2 and "--output" in result.stderr
