"""The read models are a fold of the events: incremental updates, a rebuild and a direct
fold of each case agree; updates read only new events; as-of shows what was known."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from domain.calendar import london_date
from projections import read
from projections import tables as T
from projections.projector import Projector
from service.calendar_england import england_calendar
from service.queries import Queries
from tests.helpers import make_ledger, write_generated
from tests.scenario import THRESHOLD_MET_PATH, data, play

CAL = england_calendar()


def snapshot(app):
    """Every read-model row, comparable across runs (order-independent)."""
    out = {}
    with app.engine.connect() as conn:
        for table in T.PER_CASE:
            rows = [tuple(sorted((k, json.dumps(v, default=str)) for k, v in r.items()))
                    for r in conn.execute(select(table)).mappings()]
            out[table.name] = sorted(rows)
    return out


@pytest.mark.parametrize("seed", [7, 11])
def test_incremental_rebuild_and_fold_agree(home, seed):
    lg = make_ledger(home)
    projector = Projector(lg.app, CAL)
    for step in range(3):  # grow the ledger in three rounds, updating after each
        write_generated(lg, seed * 10 + step, cases=6, extra=3)
        projector.update()
    incremental = snapshot(lg.app)
    report = projector.rebuild()
    assert report.events_read == lg.app.size()
    assert snapshot(lg.app) == incremental
    # and each case's rows equal a direct fold of its events
    today = london_date(datetime.now(timezone.utc))
    q = Queries(lg.app, calendar=CAL)
    refs = [r["case_ref"] for r in read.case_summaries(lg.app)]
    assert len(refs) == 18
    for ref in refs:
        view = q.view(ref)
        folded = [(c.clock, c.action, c.status, c.due_on and c.due_on.isoformat(),
                   c.met_on and c.met_on.isoformat()) for c in view.clocks]
        stored = [(r["clock"], r["action"], r["status"], r["due_on"], r["met_on"])
                  for r in read.clock_rows(lg.app, today, ref)]
        assert stored == folded, ref
        assert [d["position"] for d in read.decision_trail(lg.app, ref)] == [
            d["position"] for d in view.as_json()["decisions"]]


def test_updates_read_only_new_events(home):
    lg = make_ledger(home)
    projector = Projector(lg.app, CAL)
    write_generated(lg, 3, cases=4, extra=2)
    first = projector.update()
    assert first.events_read == lg.app.size()
    assert projector.update().events_read == 0
    before = lg.app.size()
    play(lg, "INC-1", THRESHOLD_MET_PATH[:5])
    k = lg.app.size() - before
    second = projector.update()
    assert second.events_read == k == 5
    assert second.cases_updated == 1
    assert projector.update().events_read == 0


def test_as_of_shows_exactly_what_was_known(home):
    start = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
    steps = THRESHOLD_MET_PATH[:6]
    with freeze_time(start) as clock:
        lg = make_ledger(home)
        marks = []
        for actor, t, overrides, occurred in steps:
            clock.tick(timedelta(hours=1))
            lg.record(actor, t, "ASOF-1", data(t, **overrides), occurred)
            marks.append(datetime.now(timezone.utc))
    q = Queries(lg.app, calendar=CAL)
    for i, mark in enumerate(marks):
        between = mark + timedelta(minutes=30)  # after event i, before event i+1
        view = q.view("ASOF-1", as_of_instant=between).as_json()
        assert view["events"] == i + 1
        shown = lg.cli("case", "show", "ASOF-1", "--as-of", between.isoformat(), "--json")
        assert json.loads(shown.stdout)["events"] == i + 1
    before_any = lg.cli("case", "show", "ASOF-1", "--as-of",
                        (start - timedelta(days=1)).isoformat())
    assert before_any.exit_code == 2


def test_case_diff_lists_what_changed(home):
    start = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
    with freeze_time(start) as clock:
        lg = make_ledger(home)
        play(lg, "DIFF-1", THRESHOLD_MET_PATH[:2])
        clock.tick(timedelta(days=1))
        t1 = datetime.now(timezone.utc)
        clock.tick(timedelta(days=1))
        play(lg, "DIFF-1", THRESHOLD_MET_PATH[2:4])
        t2 = datetime.now(timezone.utc)
    out = lg.cli("case", "diff", "DIFF-1", "--from", t1.isoformat(), "--to", t2.isoformat(),
                 "--json")
    d = json.loads(out.stdout)
    assert [e["type"] for e in d["events_added"]] == ["threshold-decided",
                                                      "national-panel-notified"]
    assert [x["decision"] for x in d["decisions_made"]] == ["threshold-decided"]
    changed = {c["clock"]: c for c in d["clocks_changed"]}
    assert changed["threshold_decision"]["to"] == "met"
    assert changed["referrer_feedback"]["from"] is None
