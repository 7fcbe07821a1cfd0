"""The nightly's incremental check of the read models (issue 13, projections.reference):
against the rebuild kept from the night before, with only the changed cases folded again,
it finds what the full check finds; an edit of the kept file is never a hidden edit and is
undone by the next full check; a file that cannot be trusted is rebuilt. Tampering is
done with raw SQL on the real database (SQLite and PostgreSQL) and on the kept file.
"""

from __future__ import annotations

import sqlite3

import pytest
from freezegun import freeze_time

from projections import reference
from projections.projector import Projector
from service.read_models import check_read_models
from tests.projections.test_projection_check import CAL, NOW, last_event, ledger, one
from tests.scenario import LEARNING_PATH, THRESHOLD_MET_PATH, play

FIXTURES = (ledger,)  # two cases and one that cannot be folded (a read model too)
DUE = "UPDATE proj_clocks SET due_on = '2099-12-31' WHERE case_ref = 'C-1' AND " \
      "clock = 'threshold_decision'"


def check(lg, full: bool) -> list[dict]:
    with freeze_time(NOW, tick=True):
        return [p.as_json() for p in check_read_models(
            lg.app, calendar=CAL, reference=reference.reference_path(lg.home.root),
            full=full).problems]


def full_check(lg) -> list[dict]:
    """Today's check, from the events alone: no kept file."""
    with freeze_time(NOW, tick=True):
        return [p.as_json() for p in check_read_models(lg.app, calendar=CAL).problems]


def new_events(lg) -> None:
    with freeze_time(NOW, tick=True):
        play(lg, "C-3", LEARNING_PATH)
        Projector(lg.app, CAL).update()


def kept(lg, sql: str, *params) -> list[tuple]:
    db = sqlite3.connect(reference.reference_path(lg.home.root))
    try:
        with db:
            return db.execute(sql, params).fetchall()
    finally:
        db.close()


@pytest.fixture
def rebuilds(monkeypatch):
    """Counts the rebuilds of the kept file from scratch."""
    calls = []
    real = reference._rebuild
    monkeypatch.setattr(reference, "_rebuild", lambda *a: (calls.append(1), real(*a)))
    return calls


def test_a_live_row_edited_after_last_nights_check_is_found_tonight(ledger, rebuilds):
    assert check(ledger, full=True) == []
    assert len(rebuilds) == 1
    new_events(ledger)  # C-3 only: C-1 gets no new event
    one(ledger.home, DUE)
    found = check(ledger, full=False)
    assert len(rebuilds) == 1  # folded C-3 into the kept file, not rebuilt
    (f,) = found
    assert (f["table"], f["finding"], f["columns"]) == ("proj_clocks", "changed", ["due_on"])
    assert f["key"] == {"case": "C-1", "clock": "threshold_decision", "action": ""}
    assert f["position"] == last_event(ledger, "C-1")
    assert found == full_check(ledger)
    position = [int(v) for (v,) in kept(ledger, "SELECT value FROM reference_meta WHERE "
                                                "name = 'position'")]
    assert position == [ledger.app.size()]


def test_the_kept_file_is_private(ledger):
    check(ledger, full=True)
    mode = reference.reference_path(ledger.home.root).stat().st_mode & 0o777
    assert mode == 0o600


def test_the_same_edit_of_live_and_kept_rows_waits_for_the_full_check(ledger, rebuilds):
    check(ledger, full=True)
    one(ledger.home, DUE)
    kept(ledger, DUE)
    assert check(ledger, full=False) == []  # the limit the docstring states
    (f,) = check(ledger, full=True)  # the weekly one: from the events alone
    assert (f["table"], f["finding"], f["columns"]) == ("proj_clocks", "changed", ["due_on"])
    assert len(rebuilds) == 2
    # ... and it leaves the rebuild as the new kept file: the next night finds it too.
    assert check(ledger, full=False) == full_check(ledger) == [f]
    assert len(rebuilds) == 2


def test_an_edit_of_the_kept_file_alone_is_a_false_alarm_undone_by_the_full_check(ledger):
    check(ledger, full=True)
    kept(ledger, DUE)
    (f,) = check(ledger, full=False)  # the live row is right: said, never hidden
    assert (f["table"], f["finding"]) == ("proj_clocks", "changed")
    assert check(ledger, full=True) == []
    assert check(ledger, full=False) == []


@pytest.mark.parametrize("damage", [
    "missing", "garbage", "schema", "table dropped", "beyond", "another ledger"])
def test_a_kept_file_that_cannot_be_trusted_is_rebuilt(ledger, rebuilds, damage):
    check(ledger, full=True)
    path = reference.reference_path(ledger.home.root)
    meta = "UPDATE reference_meta SET value = ? WHERE name = ?"
    if damage == "missing":
        path.unlink()
    elif damage == "garbage":
        path.write_bytes(b"not a database at all" * 100)
    elif damage == "schema":
        kept(ledger, meta, "3", "schema")
    elif damage == "table dropped":
        kept(ledger, "DROP TABLE proj_clocks")
    elif damage == "beyond":
        kept(ledger, meta, str(ledger.app.size() + 5), "position")
    else:
        kept(ledger, meta, "00" * 32, "chain_hash")
    # Were the file trusted, these (live and kept alike) would hide the edit.
    one(ledger.home, DUE)
    if damage not in ("missing", "garbage", "table dropped"):
        kept(ledger, DUE)
    (f,) = check(ledger, full=False)
    assert (f["table"], f["finding"], f["columns"]) == ("proj_clocks", "changed", ["due_on"])
    assert len(rebuilds) == 2
    assert check(ledger, full=False) == [f]
    assert len(rebuilds) == 2  # trusted again once rebuilt


@pytest.mark.parametrize("shift", [0, -10])
def test_the_incremental_check_finds_what_the_full_check_finds(ledger, rebuilds, shift):
    with freeze_time(NOW, tick=True):
        play(ledger, "C-4", THRESHOLD_MET_PATH[:3])
        Projector(ledger.app, CAL).update()
    assert check(ledger, full=True) == []
    with freeze_time(NOW, tick=True):
        play(ledger, "C-4", THRESHOLD_MET_PATH[3:])  # new events in a case kept before
        play(ledger, "C-5", LEARNING_PATH)
        Projector(ledger.app, CAL).update()
    one(ledger.home, DUE)
    one(ledger.home, "UPDATE proj_cases SET stage = 'forged' WHERE case_ref = 'C-4'")
    one(ledger.home, "DELETE FROM proj_actions WHERE case_ref = 'C-1' AND action = 'R2'")
    one(ledger.home, "DELETE FROM proj_failed")
    one(ledger.home, "UPDATE proj_tracking SET position = position + :s WHERE name = "
                     "'cases'", s=shift)
    found = check(ledger, full=False)
    assert len(rebuilds) == 1
    expected = full_check(ledger)
    assert found == expected
    tampered = {("proj_clocks", "changed"), ("proj_cases", "changed"),
                ("proj_actions", "missing"), ("proj_failed", "missing")}
    if shift == 0:
        assert sorted((f["table"], f["finding"]) for f in found) == sorted(tampered)
    else:  # C-5's rows are newer than the position claimed: more findings
        assert {(f["table"], f["finding"]) for f in found} > tampered


def test_a_rule_set_adopted_since_rebuilds_the_kept_file(ledger, rebuilds):
    """A rule set may change cases that get no new event: nothing kept is reused."""
    assert check(ledger, full=True) == []
    with freeze_time(NOW, tick=True):
        ledger.record("admin", "rule-set-adopted", None,
                      {"rule_set": "wt2023", "effective_from": "2020-01-01"})
        Projector(ledger.app, CAL).update()
    found = check(ledger, full=False)
    assert len(rebuilds) == 2
    assert found == full_check(ledger)


def test_a_text_that_is_not_utf8_is_a_finding_as_in_the_full_check(ledger, db_url):
    if db_url is not None:
        pytest.skip("only SQLite stores a text that is not UTF-8")
    check(ledger, full=True)
    one(ledger.home, DUE.replace("'2099-12-31'", "CAST(X'ff41' AS TEXT)"))
    found = check(ledger, full=False)
    assert found == full_check(ledger)
    (f,) = found
    assert (f["table"], f["finding"], f["columns"]) == ("proj_clocks", "changed", ["due_on"])
