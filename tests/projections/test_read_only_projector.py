"""The projector on connections that refuse writes, on both databases: SQLite with
``query_only`` (as ledger.storage.ReadOnlyDatastore opens it) and PostgreSQL with
``default_transaction_read_only`` (as a replica behaves). It reads the read models as
they are and says how far they reach; it never writes (the database would refuse)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from ledger.reader import LedgerReader
from ledger.read_only import refuses_writes
from projections import tables as T
from projections.projector import Projector, ReadModelsUnavailableError
from service.calendar_england import england_calendar
from tests.helpers import make_ledger, write_generated


def _read_only(home) -> LedgerReader:
    if home.db_url:
        reader = LedgerReader(home.db_url + "?options=-c%20default_transaction_read_only%3Don")
    else:
        reader = LedgerReader(home.url)
        event.listen(reader.engine, "connect",
                     lambda conn, _: conn.execute("PRAGMA query_only = ON"))
    assert refuses_writes(reader.engine)
    return reader


def test_it_reads_the_read_models_as_they_are_and_says_how_far_they_reach(home):
    lg = make_ledger(home)
    write_generated(lg, seed=21, cases=2)
    done = Projector(lg.app, england_calendar()).update()
    write_generated(lg, seed=22, cases=1)  # not projected
    head = lg.app.size()
    reader = _read_only(home)
    try:
        report = Projector(reader, england_calendar()).update()
        assert (report.read_only, report.position, report.head, report.events_read) == \
            (True, done.position, head, 0)
        assert report.position < head
        assert report.read_only_note() == (
            f"read models as of position {done.position} of {head} (a read-only copy: "
            "brought up to date on the primary)")
        with pytest.raises(ReadModelsUnavailableError, match="cannot be rebuilt here"):
            Projector(reader, england_calendar()).rebuild()
        with reader.engine.connect() as conn:
            cases = conn.execute(select(T.cases.c.case_ref)).scalars().all()
        assert len(cases) == 2  # the third case is not in them: nothing was written
    finally:
        reader.close()
    assert not refuses_writes(lg.app.engine)
    assert Projector(lg.app, england_calendar()).update().read_only is False


def test_read_models_never_made_are_named_not_a_crash(home):
    lg = make_ledger(home)
    reader = _read_only(home)
    try:
        with pytest.raises(ReadModelsUnavailableError, match="are not in this database"):
            Projector(reader, england_calendar())
    finally:
        reader.close()
    lg.app.close()
