"""The read models are checked against the events (issue 9): every edited, deleted or added
read-model row, and a tracking position the events do not bear out, is a located finding
of kind ``projection``; an untouched ledger, or one whose read models are merely behind,
is intact. Tampering is done with raw SQL on the real database, SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import tempfile

import pytest
from freezegun import freeze_time

from domain.procedure import Intent
from projections import check as check_module
from projections import findings as findings_module
from projections.projector import Projector
from service.actors import load_actor_signer
from service.calendar_england import england_calendar
from service.read_models import check_read_models
from service.writer import Writer
from tests.helpers import REFERRAL, make_ledger
from tests.ledger.tamper import raw
from tests.scenario import LEARNING_PATH, THRESHOLD_MET_PATH, play

CAL = england_calendar()
NOW = "2026-11-02 10:00:00"
FORGED = "Forged-Rationale-Xq"  # made up: must never be printed by a finding


def poison(lg, case: str) -> None:
    """A referral an older version stored without ``harm``: the projector cannot fold it
    and names it in proj_failed (which is a read model too)."""
    data = {k: v for k, v in REFERRAL.items() if k != "harm"}
    Writer(lg.app).append([Intent("incident-referred", case, data, "2025-12-18", "bu1")],
                          {"bu1": load_actor_signer(lg.home, "bu1")})


@pytest.fixture
def ledger(home):
    with freeze_time(NOW, tick=True):
        lg = make_ledger(home)
        play(lg, "C-1", THRESHOLD_MET_PATH)
        play(lg, "C-2", LEARNING_PATH)
        poison(lg, "P-1")
        Projector(lg.app, CAL).update()
    return lg


def one(home, sql: str, **params) -> list[tuple]:
    with raw(home) as db:
        return db.execute(sql, params)


def findings(lg) -> list[dict]:
    with freeze_time(NOW, tick=True):
        return [p.as_json() for p in check_read_models(lg.app, calendar=CAL).problems]


def decision_position(lg, case: str, decision: str) -> int:
    return one(lg.home, "SELECT position FROM proj_decisions WHERE case_ref = :c AND "
                        "decision = :d", c=case, d=decision)[0][0]


def last_event(lg, case: str) -> int:
    return one(lg.home, "SELECT max(position) FROM cspr_events WHERE case_ref = :c",
               c=case)[0][0]


def test_an_untouched_ledger_agrees_row_for_row(ledger):
    with freeze_time(NOW, tick=True):
        result = check_read_models(ledger.app, calendar=CAL)
    assert result.ok and result.present
    assert result.position == ledger.app.size()
    stored = sum(one(ledger.home, f"SELECT count(*) FROM {t}")[0][0] for t in (
        "proj_cases", "proj_clocks", "proj_actions", "proj_decisions", "proj_chronology",
        "proj_failed"))
    assert result.rows_compared == stored >= 30


def test_an_edited_rationale_is_located_by_its_event_and_column(ledger):
    p = decision_position(ledger, "C-1", "threshold-decided")
    one(ledger.home, "UPDATE proj_decisions SET rationale = :r WHERE position = :p",
        r=FORGED, p=p)
    (f,) = findings(ledger)
    assert (f["kind"], f["table"], f["finding"], f["columns"]) == \
        ("projection", "proj_decisions", "changed", ["rationale"])
    assert f["position"] == p and f["key"] == {"position": p, "case": "C-1"}
    assert FORGED not in json.dumps(f)


def test_an_edited_due_date_is_located_by_case_clock_and_column(ledger):
    one(ledger.home, "UPDATE proj_clocks SET due_on = '2099-12-31' WHERE case_ref = 'C-1' "
                     "AND clock = 'threshold_decision'")
    (f,) = findings(ledger)
    assert (f["table"], f["finding"], f["columns"]) == ("proj_clocks", "changed", ["due_on"])
    assert f["key"] == {"case": "C-1", "clock": "threshold_decision", "action": ""}
    assert f["position"] == last_event(ledger, "C-1")
    assert "2099" not in f["detail"]


def test_a_deleted_row_and_an_added_row_are_each_a_finding(ledger):
    one(ledger.home, "DELETE FROM proj_actions WHERE case_ref = 'C-1' AND action = 'R2'")
    one(ledger.home, "INSERT INTO proj_decisions (position, case_ref, decision, rationale, "
                     "recorded_by, key_id, occurred_at, recorded_at, recorded_late) VALUES "
                     "(3, 'C-2', 'case-closed', :r, 'p1', 'k', '2026-01-01', "
                     "'2026-01-01', false)", r=FORGED)
    found = {(f["table"], f["finding"]): f for f in findings(ledger)}
    assert set(found) == {("proj_actions", "missing"), ("proj_decisions", "extra")}
    assert found["proj_actions", "missing"]["key"] == {"case": "C-1", "action": "R2"}
    assert found["proj_decisions", "extra"]["key"] == {"position": 3, "case": "C-2"}


def test_a_case_removed_from_the_failed_list_is_a_finding(ledger):
    one(ledger.home, "DELETE FROM proj_failed")
    (f,) = findings(ledger)
    assert (f["table"], f["finding"], f["key"]) == ("proj_failed", "missing", {"case": "P-1"})


@pytest.mark.parametrize("shift", [+7, -10])
def test_a_tracking_position_the_events_do_not_bear_out_is_a_finding(ledger, shift):
    head = ledger.app.size()
    one(ledger.home, "UPDATE proj_tracking SET position = :p WHERE name = 'cases'",
        p=head + shift)
    found = findings(ledger)
    assert found, "a moved tracking position must be found"
    if shift > 0:  # beyond the head: later events would never be projected
        assert [(f["table"], f["finding"], f["key"]) for f in found] == \
            [("proj_tracking", "changed", {"name": "cases"})]
    else:  # behind the rows: the cases touched since differ from a rebuild there
        assert {f["table"] for f in found} >= {"proj_cases"}
        assert all(f["table"] != "proj_tracking" for f in found)


def test_read_models_merely_behind_the_ledger_are_not_a_finding(ledger):
    with freeze_time(NOW, tick=True):
        play(ledger, "C-3", THRESHOLD_MET_PATH[:6])  # appended, never projected
        result = check_read_models(ledger.app, calendar=CAL)
    assert result.ok
    assert result.position < ledger.app.size()


def test_a_missing_table_or_column_is_a_finding_and_no_tables_is_said(ledger, db_url):
    one(ledger.home, "DROP TABLE proj_chronology")
    found = findings(ledger)
    assert [(f["table"], f["finding"]) for f in found] == [("proj_chronology", "table")]
    for table in ("proj_tracking", "proj_cases", "proj_clocks", "proj_actions",
                  "proj_decisions", "proj_failed"):
        one(ledger.home, f"DROP TABLE {table}")
    with freeze_time(NOW, tick=True):
        result = check_read_models(ledger.app, calendar=CAL)
    assert not result.present and result.ok and "nothing to compare" in result.summary()


def test_a_retyped_cell_is_a_finding_not_a_traceback(ledger, db_url):
    if db_url is not None:
        pytest.skip("only SQLite stores another type in a typed column")
    one(ledger.home, "UPDATE proj_cases SET events = 'many' WHERE case_ref = 'C-2'")
    one(ledger.home, "UPDATE proj_clocks SET case_ref = 7 WHERE case_ref = 'C-2' AND "
                     "clock = 'threshold_decision'")
    found = {(f["table"], f["finding"]) for f in findings(ledger)}
    assert found == {("proj_cases", "changed"), ("proj_clocks", "missing"),
                     ("proj_clocks", "extra")}


def test_findings_beyond_the_listed_are_counted_and_memory_stays_bounded(
        ledger, monkeypatch):
    monkeypatch.setattr(findings_module, "LISTED", 3)
    monkeypatch.setattr(check_module, "PAGE", 2)  # pages of two rows on each side
    total = one(ledger.home, "SELECT count(*) FROM proj_clocks")[0][0]
    one(ledger.home, "DELETE FROM proj_clocks")
    with freeze_time(NOW, tick=True):
        result = check_read_models(ledger.app, calendar=CAL)
    assert len(result.problems) == 4 and result.problems[-1].finding == "more"
    assert result.differences == total == 3 + result.unlisted


@pytest.mark.parametrize("page", [2, 3, 1000])
def test_a_change_on_a_later_page_is_found_page_by_page(ledger, monkeypatch, page):
    """Pages that agree are passed whole (issue 13); the first that does not is merged
    row by row, so a change anywhere, of a value or only of its type, is still found."""
    monkeypatch.setattr(check_module, "PAGE", page)
    with freeze_time(NOW, tick=True):
        assert check_read_models(ledger.app, calendar=CAL).ok
    rows = one(ledger.home, "SELECT case_ref, clock, action FROM proj_clocks "
                            "ORDER BY case_ref, clock, action")
    assert len(rows) > 2 * page or page == 1000
    case, clock, action = rows[-1]  # the last row: on the last page
    one(ledger.home, "UPDATE proj_clocks SET due_on = '2099-12-31' WHERE case_ref = :c "
                     "AND clock = :k AND action = :a", c=case, k=clock, a=action)
    found = findings(ledger)
    assert [(f["table"], f["finding"]) for f in found] == [("proj_clocks", "changed")]
    assert found[0]["columns"] == ["due_on"]


def test_the_scratch_database_is_deleted_afterwards(ledger, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch-tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    one(ledger.home, "UPDATE proj_cases SET stage = 'closed' WHERE case_ref = 'C-1'")
    assert findings(ledger)
    assert list(scratch.iterdir()) == []


def test_a_legacy_value_over_a_column_length_is_no_finding(ledger, db_url):
    """PostgreSQL refuses a row with a text over its column's length, so that case is
    named as failed there and stored on SQLite: the scratch rebuild does what the live
    database did."""
    data = {**REFERRAL, "harm": "harm described at length by an older version"}
    Writer(ledger.app).append([Intent("incident-referred", "LONG-1", data, "2025-12-18",
                                      "bu1")], {"bu1": load_actor_signer(ledger.home, "bu1")})
    with freeze_time(NOW, tick=True):
        failed = Projector(ledger.app, CAL).update().failed_cases
    assert ("LONG-1" in failed) == (db_url is not None)
    assert findings(ledger) == []
