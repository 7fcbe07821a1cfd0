"""``cspr verify --projections`` and the evidence views against edited read models (issue
9): a read-model row edited with raw SQL is reported, located, exit 1, on a copy of the
database with no keys; ``case history`` and ``case chronology`` still show what the
signed events say, and refuse to show an event whose signature no longer verifies.
"""

from __future__ import annotations

import json
import shutil

import pytest
from freezegun import freeze_time

from service.actors import revoke_actor, rotate_actor
from service.home import DB_FILE, Home
from tests.cli.test_legacy_values import legacy  # noqa: F401 (fixture)
from tests.cli.test_legacy_values import NOW as LEGACY_NOW
from tests.helpers import make_ledger, run_cli
from tests.ledger.tamper import raw
from tests.scenario import THRESHOLD_MET_PATH, play

NOW = "2026-11-02 10:00:00"
FORGED = "Forged-Rationale-Xq"  # made up; a finding must never print it


@pytest.fixture
def ledger(home):
    with freeze_time(NOW, tick=True):
        lg = make_ledger(home)
        play(lg, "C-1", THRESHOLD_MET_PATH)
        assert lg.cli("case", "list").exit_code == 0  # builds the read models
    return lg


def sql(home, statement: str, **params) -> list[tuple]:
    with raw(home) as db:
        return db.execute(statement, params)


def threshold_row(lg) -> tuple[int, str]:
    return sql(lg.home, "SELECT position, rationale FROM proj_decisions WHERE case_ref = "
                        "'C-1' AND decision = 'threshold-decided'")[0]


def inspector(lg, tmp_path) -> Home:
    """What an inspector holds: a copy of the database, no keys at all."""
    if lg.home.db_url is not None:
        return Home(tmp_path / "inspector", lg.home.db_url)
    lg.app.close()  # the last connection gone, SQLite folds its -wal into the file
    folder = tmp_path / "inspector"
    folder.mkdir()
    shutil.copyfile(lg.home.root / DB_FILE, folder / DB_FILE)
    return Home(folder)


def verify(home: Home, *args: str):
    with freeze_time(NOW, tick=True):
        result = run_cli(home, "verify", "--projections", *args)
    assert "Traceback" not in result.output
    return result


def test_untouched_read_models_verify_intact_on_a_copy_without_keys(ledger, tmp_path):
    copy = inspector(ledger, tmp_path)
    result = verify(copy)
    assert result.exit_code == 0, result.output
    assert "intact" in result.stdout and "all agree" in result.stdout
    out = json.loads(verify(copy, "--json").stdout)
    assert out["ok"] and out["projections"]["checked"] and out["projections"]["ok"]
    assert out["projections"]["rows_compared"] > 0
    assert not (copy.root / "keys").exists()


def test_an_edited_rationale_is_reported_located_with_exit_1(ledger, tmp_path):
    position, _ = threshold_row(ledger)
    sql(ledger.home, "UPDATE proj_decisions SET rationale = :r WHERE position = :p",
        r=FORGED, p=position)
    copy = inspector(ledger, tmp_path)
    result = verify(copy)
    assert result.exit_code == 1
    assert f"position {position}: projection: proj_decisions: position {position}, " \
           f"case C-1: column(s) rationale differ" in result.stdout
    assert FORGED not in result.output
    out = json.loads(verify(copy, "--json").stdout)
    assert out["ok"] is False and out["projections"]["differences"] == 1
    (p,) = [p for p in out["problems"] if p["kind"] == "projection"]
    assert (p["table"], p["columns"], p["key"]) == \
        ("proj_decisions", ["rationale"], {"position": position, "case": "C-1"})
    # plain verify checks the ledger, not the read models
    assert run_cli(copy, "verify").exit_code == 0


@pytest.mark.parametrize(("statement", "table"), [
    ("UPDATE proj_clocks SET due_on = '2099-12-31' WHERE clock = 'threshold_decision'",
     "proj_clocks"),
    ("UPDATE proj_tracking SET position = position + 50 WHERE name = 'cases'",
     "proj_tracking"),
    ("DELETE FROM proj_cases WHERE case_ref = 'C-1'", "proj_cases"),
    ("INSERT INTO proj_failed (case_ref, error) VALUES ('C-9', 'KeyError')", "proj_failed"),
])
def test_every_kind_of_edit_is_found(ledger, tmp_path, statement, table):
    sql(ledger.home, statement)
    result = verify(inspector(ledger, tmp_path), "--json")
    assert result.exit_code == 1
    assert {p["table"] for p in json.loads(result.stdout)["problems"]} == {table}


def test_case_history_shows_the_signed_rationale_not_the_edited_row(ledger):
    position, signed = threshold_row(ledger)
    sql(ledger.home, "UPDATE proj_decisions SET rationale = :r, recorded_by = 'scrut' "
                     "WHERE position = :p", r=FORGED, p=position)
    sql(ledger.home, "DELETE FROM proj_decisions WHERE decision = 'review-level-decided'")
    sql(ledger.home, "UPDATE proj_chronology SET source = :r", r=FORGED)
    with freeze_time(NOW, tick=True):
        text = ledger.cli("case", "history", "C-1")
        rows = json.loads(ledger.cli("case", "history", "C-1", "--json").stdout)
        chronology = ledger.cli("case", "chronology", "C-1", "--json")
    assert text.exit_code == 0, text.output
    assert FORGED not in text.output and f"rationale: {signed}" in text.output
    shown = {r["position"]: r for r in rows}
    assert shown[position]["rationale"] == signed
    assert shown[position]["recorded_by"] == "p1"
    assert "review-level-decided" in {r["decision"] for r in rows}
    assert chronology.exit_code == 0 and FORGED not in chronology.output
    assert json.loads(chronology.stdout)[0]["source"] == "Agency B case file"


def test_case_history_refuses_an_event_whose_signature_fails(ledger):
    position, signed = threshold_row(ledger)
    with raw(ledger.home) as db:
        (state,) = db.execute("SELECT state FROM cspr_events WHERE position = :p",
                              {"p": position})[0]
        db.execute("UPDATE cspr_events SET state = :s WHERE position = :p",
                   {"s": bytes(state).replace(signed.encode(), FORGED.encode()),
                    "p": position})
    with freeze_time(NOW, tick=True):
        result = ledger.cli("case", "history", "C-1")
    assert result.exit_code == 1
    assert f"position {position}" in result.stderr and "cspr verify" in result.stderr
    assert FORGED not in result.output and "Traceback" not in result.output


def test_a_decision_moved_to_another_case_by_its_index_is_refused(ledger):
    position, _ = threshold_row(ledger)
    with freeze_time(NOW, tick=True):
        play(ledger, "C-2", THRESHOLD_MET_PATH[:2])
    sql(ledger.home, "UPDATE cspr_events SET case_ref = 'C-2' WHERE position = :p",
        p=position)
    with freeze_time(NOW, tick=True):
        result = ledger.cli("case", "history", "C-2")
    assert result.exit_code == 1 and f"position {position}" in result.stderr


def test_legacy_values_verify_intact_against_their_read_models(legacy):  # noqa: F811
    with freeze_time(LEGACY_NOW, tick=True):
        assert legacy.cli("case", "list").exit_code == 0
        assert legacy.cli("jobs", "nightly").exit_code == 0
        result = legacy.cli("verify", "--projections")
    assert result.exit_code == 0, result.output
    assert "all agree" in result.stdout


def test_decisions_signed_by_keys_rotated_or_revoked_since_still_show(ledger):
    with freeze_time(NOW, tick=True):
        rotate_actor(ledger.app, ledger.home, "p1")
        revoke_actor(ledger.app, ledger.home, "ldc", "left the partnership")
        result = ledger.cli("case", "history", "C-1", "--json")
    assert result.exit_code == 0, result.output
    assert {"p1", "ldc"} <= {r["recorded_by"] for r in json.loads(result.stdout)}
