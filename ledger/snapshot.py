"""One consistent read of the ledger: the head and the rows as of a single instant.

A verifier that reads the head in one statement and the rows in others sees a writer's
commit in between, and reports "head says N events, M found" on an intact ledger. So every
read of a verify happens in one read transaction:

- SQLite: pysqlite begins a transaction only before a write, so each SELECT would see
  the latest commit. An explicit (deferred) BEGIN makes the first SELECT take a snapshot
  that the rest of the transaction keeps (WAL mode, which the recorder turns on, lets
  writers carry on meanwhile).
- PostgreSQL: REPEATABLE READ gives the whole transaction the snapshot of its first query.

Rows are read in pages by notification id, so memory holds one page whatever the size of
the ledger.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from itertools import count
from typing import Any, Iterator

from sqlalchemy import Table, bindparam, select
from sqlalchemy.engine import Connection, Engine

PAGE = 2000
_names = count()  # server-side cursors' names, unique within a connection


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose every read sees the database as of its first read."""
    with engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")
            # SQLite stores any bytes in a TEXT column; the driver's strict decoding would
            # stop the read at the first that are not UTF-8. Decoded leniently, such a
            # value differs from the signed payload's and is reported as a finding.
            dbapi.text_factory = _lenient  # type: ignore[union-attr]
        else:
            conn.execution_options(isolation_level="REPEATABLE READ")
        try:
            yield conn
        finally:
            conn.rollback()  # read only: nothing to keep, and the snapshot is released
            if conn.dialect.name == "sqlite":
                dbapi.text_factory = str  # type: ignore[union-attr]


def _lenient(value: bytes) -> str:
    return value.decode("utf-8", "surrogateescape")


def paged_rows(conn: Connection, table: Table, columns: list[str], after_id: int = 0,
               page: int | None = None) -> Iterator[Any]:
    """(id, *columns) of every row after ``after_id`` in notification order."""
    page = page or PAGE
    cols = [table.c[name] for name in columns]
    last = after_id
    while True:
        batch = conn.execute(select(table.c.id, *cols).where(table.c.id > last)
                             .order_by(table.c.id).limit(page)).all()
        if not batch:
            return
        yield from batch
        last = batch[-1][0]


def driver_pages(conn: Connection, table: Table, columns: list[Any], after_id: int = 0,
                 page: int | None = None) -> Iterator[list[tuple[Any, ...]]]:
    """Pages of (id, *columns) after ``after_id`` in notification order, as the driver
    returns them (plain tuples; ``columns`` are column expressions, typically coerced to
    no type so that nothing converts them): for a read of every row, where building
    SQLAlchemy's row objects costs more than the driver's read (verify)."""
    stmt = select(table.c.id, *columns).where(table.c.id > bindparam("after")) \
        .order_by(table.c.id).limit(page or PAGE)
    compiled = stmt.compile(dialect=conn.dialect)
    sql = str(compiled)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        last = after_id
        while True:
            params = compiled.construct_params({"after": last})
            cursor.execute(sql, [params[name] for name in compiled.positiontup or ()]
                           if compiled.positional else params)
            rows = cursor.fetchall()
            if not rows:
                return
            yield rows
            last = rows[-1][0]
    finally:
        cursor.close()



def driver_rows(conn: Connection, stmt: Any, page: int | None = None,
                stream: bool = False) -> Iterator[list[tuple[Any, ...]]]:
    """Pages of ``stmt``'s rows as the driver returns them, on ``conn`` (its snapshot),
    every page ``page`` rows but the last: for columns that need no conversion (integers,
    texts, the driver's bytes), read in bulk, where building SQLAlchemy's row objects
    would cost more than the read. ``stream``: a result of any size (a whole table),
    which PostgreSQL then hands over a page at a time; otherwise its driver receives the
    whole result at once, so the caller bounds it (a chunk of cases)."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    sql = str(compiled)
    values = [params[name] for name in compiled.positiontup or ()] \
        if compiled.positional else params
    dbapi = conn.connection.dbapi_connection
    if conn.dialect.name == "sqlite":
        yield from _sqlite_pages(dbapi, sql, values, page or PAGE)
        return
    # A cursor named on the server hands the rows over a page at a time (within the
    # caller's transaction), but is planned for its first rows (cursor_tuple_fraction):
    # for a bounded read that can mean walking a whole index in order, so only a
    # stream is read that way.
    cursor = dbapi.cursor(name=f"cspr_rows_{next(_names)}") if stream \
        else dbapi.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, values)
        while rows := cursor.fetchmany(page or PAGE):
            yield rows
    finally:
        cursor.close()


def _sqlite_pages(dbapi: Any, sql: str, values: Any, page: int
                  ) -> Iterator[list[tuple[Any, ...]]]:
    """Texts decoded by the driver itself while they are UTF-8 (the snapshot's lenient
    decoding, a Python call per text, costs a third of a read); from a text that is not,
    read again with the connection's own decoding, the pages already given skipped."""
    own = dbapi.text_factory
    given = 0
    for factory in (str, own) if own is not str else (str,):
        dbapi.text_factory = factory
        cursor = dbapi.cursor()
        try:
            cursor.execute(sql, values)
            skip = given
            while rows := cursor.fetchmany(page):
                if skip:
                    rows, skip = rows[skip:], max(0, skip - len(rows))
                    if not rows:
                        continue
                given += len(rows)
                yield rows
            return
        except sqlite3.OperationalError:
            if factory is own:
                raise  # not a decoding failure: the caller's to see
        finally:
            cursor.close()
            dbapi.text_factory = own
