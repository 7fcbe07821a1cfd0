"""Every read model rebuilt from the events into a scratch database, to be compared.

Why a temporary SQLite file, whatever the ledger's database:

- The ledger is opened read-only to be verified (Home.open_for_verification): a SQLite
  copy is opened so that it refuses writes, and on PostgreSQL a read-only transaction
  refuses every CREATE, temporary tables included. An inspector may hold no more than a
  copy and read access; a scratch schema inside the ledger's database is not available to
  them, and a check that wrote beside the evidence would change what it checks.
- A file, not ``:memory:``: the rebuilt tables are as large as the live ones, and the
  check must hold the same bounded memory on a ledger of millions of events; SQLite keeps
  only its page cache in memory. The file lives in a private (0700) temporary folder and
  is deleted with it, whatever happens.
- The same table definitions (projections.tables) and the same fold and write code as the
  projector (projections.fold), so a difference is a difference in the data, never in
  the code that produced it. SQLite and PostgreSQL store a few things differently; what
  PostgreSQL does to rows on the way in is reproduced here (``_as_postgres_stores``) and
  the comparison normalises the rest (projections.check).
- The nightly keeps such a rebuild between runs instead, in its own folder
  (projections.reference), for the same reasons and with the same code (``fold_into``).
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlalchemy import String, Table, create_engine, event
from sqlalchemy.engine import Connection, Engine

from domain.calendar import WorkingDayCalendar
from projections import batches
from projections import tables as T
from projections.fold import Chunk, displayable, fold_chunk, store_chunk
from projections.rule_sets import RuleSetHistory

# PostgreSQL's name for a value longer than its VARCHAR (SQLSTATE 22001): what the live
# projector records as the failed case's error there (type(e.orig).__name__).
TOO_LONG = "StringDataRightTruncation"


@contextmanager
def scratch_rebuild(app: Any, conn: Connection, position: int, calendar: WorkingDayCalendar,
                    like_postgres: bool) -> Iterator[Engine]:
    """A scratch database holding every read model as a rebuild at ``position`` gives it,
    the events read on ``conn`` (the caller's snapshot); deleted on exit."""
    with tempfile.TemporaryDirectory(prefix="cspr-projection-check-") as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'scratch.sqlite'}")
        event.listen(engine, "connect", disposable)
        try:
            T.metadata.create_all(engine, tables=list(T.PER_CASE))
            with engine.begin() as out:
                fold_into(out, app, conn, batches.all_cases(conn, app.events_table),
                          position, calendar, like_postgres)
            yield engine
        finally:
            engine.dispose()


def fold_into(out: Connection, app: Any, conn: Connection, cases: Iterable[tuple[str, int]],
              position: int, calendar: WorkingDayCalendar, like_postgres: bool) -> None:
    """Fold ``cases`` (ref, number of events) at ``position``, the events read on
    ``conn``, and write their rows on ``out`` as the live projector would have stored
    them (projections.reference keeps such rows from one night to the next)."""
    t = app.events_table
    history = RuleSetHistory.load(app, position, conn)
    for refs in batches.chunks(cases):
        chunk = fold_chunk(conn, t, refs, position, history, calendar)
        if like_postgres:
            _as_postgres_stores(chunk)
        store_chunk(out, chunk)


def disposable(dbapi_conn: Any, _record: Any) -> None:
    # Thrown away after one comparison: no journal, no fsync.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=OFF")
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


_LIMITS: dict[Table, dict[str, int]] = {
    table: {c.name: c.type.length for c in table.columns
            if isinstance(c.type, String) and c.type.length}
    for table in T.PER_CASE}


def _as_postgres_stores(chunk: Chunk) -> None:
    """What PostgreSQL's projector ends up storing (projections.fold._write): texts with a
    NUL or a lone surrogate replaced, and a case with a value over a column's length not
    stored at all but named as failed. SQLite would store both as they are."""
    for table, values in chunk.rows.items():
        values[:] = [displayable(v) for v in values]
    for table, values in chunk.rows.items():
        limits = _LIMITS[table]
        over = {v["case_ref"] for v in values for name, length in limits.items()
                if isinstance(v.get(name), str) and len(v[name]) > length}
        for ref in sorted(over):
            chunk.drop(ref, TOO_LONG)
