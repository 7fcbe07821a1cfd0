"""Every hot read has an index to use on PostgreSQL (issue 13, "PostgreSQL at 1M").

The reads are bench/explain.py's: the product's own statements, captured as its
functions send them. On a small ledger the planner rightly reads small tables whole, so
each statement is planned with ``enable_seqscan = off`` (and joins as nested loops): a Seq
Scan left in the plan then means no index can serve the read at all, which at 1M events
is a read of the whole table for a few rows; so does an index walked from end to end with
no condition (a Seq Scan in another form: bench/explain.py, ``WHOLE``). The reads of a
whole table by design (``case list``) are left out. SQLite has no such planner switch and
bench/explain.py's figures are PostgreSQL's: that test runs on PostgreSQL only. The
indexes reaching a database made before them is checked on both.
"""

from __future__ import annotations

from sqlalchemy import inspect, text

from bench.explain import (FULL, HOT, captured, explain, partial_indexes, sample_of, scans,
                           whole_reads)
from ledger.app import LedgerApplication
from projections import tables as T
from projections.projector import SCHEMA, Projector
from service.calendar_england import england_calendar
from service.home import Home
from tests.helpers import make_ledger, write_generated
from tests.projections.test_projections import snapshot


def test_every_hot_read_can_be_served_by_an_index(tmp_path, postgres_url: str) -> None:
    lg = make_ledger(Home(tmp_path / "home", postgres_url))
    write_generated(lg, seed=13, cases=6, extra=20)
    Projector(lg.app, england_calendar()).update()
    app = lg.app
    s = sample_of(app)
    reads = {hot.name: captured(app, lambda h=hot: h.run(app, s))
             for hot in HOT if hot.kind != FULL}  # a whole table by design: case list
    assert all(reads.values())  # each read sent its statements, and they were caught

    assert {name: found for name, st in reads.items() if (found := _whole_reads(app, st))} \
        == {}

    # And the check sees a missing index: without the case index, a case's reads have
    # nothing to use but the whole table.
    with app.engine.begin() as conn:
        conn.execute(text("DROP INDEX cspr_events_case_idx"))
    [found] = _whole_reads(app, reads["case page: view"])
    assert "(whole index)" in found and "WHERE cspr_events.case_ref =" in found
    app.close()


def test_read_models_made_before_the_indexes_get_them(home: Home) -> None:
    lg = make_ledger(home)
    write_generated(lg, seed=13, cases=2)
    Projector(lg.app, england_calendar()).update()
    added = {"proj_clocks_running_idx", "proj_clocks_met_idx", "proj_decisions_pending_idx"}
    with lg.app.engine.begin() as conn:  # as an earlier version left them
        for name in added:
            conn.execute(text(f"DROP INDEX {name}"))
        conn.execute(text("UPDATE proj_tracking SET position = 4 WHERE name = :n"),
                     {"n": SCHEMA})
    assert not added & _indexes(lg.app)
    before = snapshot(lg.app)

    projector = Projector(lg.app, england_calendar())  # what every read command opens
    assert added <= _indexes(lg.app)
    projector.update()  # the older layout's rows were dropped: folded again from the events
    assert snapshot(lg.app) == before and before["proj_cases"]
    lg.app.close()


def _indexes(app: LedgerApplication) -> set[str]:
    found = inspect(app.engine)
    return {ix["name"] for t in T.PER_CASE for ix in found.get_indexes(t.name)}


def _whole_reads(app: LedgerApplication, statements: list[tuple[str, object]]) -> list[str]:
    """What each statement's plan reads whole (a Seq Scan, or an index walked end to end)
    when sequential scans are switched off."""
    found = []
    with app.engine.connect() as conn:
        partial = partial_indexes(conn)
        # Joins as nested loops too: on a tiny table a merge join walks a whole index
        # merely because it is cheap there; a loop shows the lookup an index can serve.
        for switch in ("seqscan", "mergejoin", "hashjoin"):
            conn.execute(text(f"SET enable_{switch} = off"))
        for statement, params in statements:
            if statement.lstrip().upper().startswith("SELECT"):
                found += [f"{w} in: {' '.join(statement.split())[:160]}" for w in whole_reads(
                    scans(explain(conn, statement, params, analyze=False), partial))]
        conn.rollback()
    return found
