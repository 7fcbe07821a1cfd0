"""Proof that the read models say what the events say: every row, every column compared.

The read models (case views, clocks, action log, decision trail, chronology, tracking
position) are tables anyone with database access can edit, and nothing signs them: a
changed due date hides a breach from the nightly job, a changed rationale rewrites the
trail. So ``cspr verify --projections`` and the nightly job rebuild them from the events
into a scratch database (projections.scratch says where, and why) and compare both, table
by table, in primary-key order: a row missing from the live table, a row the events do not
give, a changed cell, a tracking position the events do not bear out are each a finding
of kind ``projection``, located by table, row key and columns, never by value (a cell may
hold personal data or an attacker's text).

The rows are compared at the live tracking position, not the ledger's head: a projection
merely behind the ledger (no read command run since the last append) is not a finding,
while a position moved by hand makes the rows of every case it skips differ.

The nightly compares with a rebuild it keeps from one night to the next instead, folding
only the cases changed since (projections.reference says why that still finds every
edited live row, and what only its weekly full run, from scratch, finds).

Everything is read in one snapshot (ledger.snapshot), so a projector updating meanwhile
is never mistaken for an edit. Memory is bounded: the rebuild holds one chunk of cases
(projections.batches), each comparison streams both tables in pages, and at most
``findings.LISTED`` findings are kept (the rest are counted).

A position names the finding for the nightly's alarm and an admin's acknowledgement: the
event a decision or chronology row comes from, the last event of the case (up to the
compared position) for its other rows, and 0 for what belongs to no case.
"""

from __future__ import annotations

import time
from itertools import chain
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import (Boolean, Integer, String, Table, cast, func, inspect, literal,
                        select)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import NoSuchTableError, OperationalError, ProgrammingError

from domain.calendar import WorkingDayCalendar
from ledger.app import LedgerApplication
from ledger.rowtypes import raw
from ledger.snapshot import driver_rows, snapshot
from projections import tables as T
from projections.projector import NAME, SCHEMA
from projections.findings import (
    BY_POSITION,
    ProjectionCheck,
    add,
    count_unlisted,
    row_problem,
    structure,
    tracking_problem,
)
from projections.reference import reference_models
from projections.scratch import scratch_rebuild

PAGE = 1000  # rows fetched at a time from each side
ATTEMPTS = 3
DEADLOCK = "40P01"  # PostgreSQL's deadlock_detected


def check_projections(app: LedgerApplication, calendar: WorkingDayCalendar,
                      reference: Path | None = None, full: bool = True) -> ProjectionCheck:
    """Rebuild every read model in a scratch database and compare it with the live one.

    With ``reference`` (the nightly's file, projections.reference), compare with the
    rebuild kept there instead: brought up to date with the cases changed since, or
    rebuilt from scratch and kept when ``full``."""
    for attempt in range(ATTEMPTS):
        try:
            return _check(app, calendar, reference, full)
        except (NoSuchTableError, ProgrammingError, OperationalError) as e:
            # Another process's projector dropped and created the tables meanwhile (its
            # first run, or a new layout): PostgreSQL reads its catalogue afresh at each
            # statement, whatever the snapshot, and may break the deadlock of this read
            # (a table read, the next one locked by the creator) against that creator's
            # drop by failing this read. Look again once it is done.
            if attempt == ATTEMPTS - 1 or (isinstance(e, OperationalError) and getattr(
                    e.orig, "sqlstate", None) != DEADLOCK):
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _check(app: LedgerApplication, calendar: WorkingDayCalendar, reference: Path | None,
           full: bool) -> ProjectionCheck:
    result = ProjectionCheck()
    t = app.events_table
    with snapshot(app.engine) as conn:
        live = _live_columns(conn)
        if not live or _unbuilt(conn, live):
            result.present = False
            return result
        postgres = conn.dialect.name != "sqlite"
        head = conn.execute(select(func.max(raw(t.c.position)))).scalar()
        _structure_problems(live, result)
        head = head if type(head) is int else 0
        position = result.position = _claimed_position(conn, live, head, result)
        rebuild = (scratch_rebuild(app, conn, position, calendar, postgres)
                   if reference is None else
                   reference_models(app, conn, position, head, calendar, postgres,
                                    reference, fresh=full))
        with rebuild as scratch, scratch.connect() as rebuilt:
            for table in T.PER_CASE:
                if table.name in live:
                    _compare(table, rebuilt, conn, live[table.name], postgres, result)
        _locate(conn, t, position, result)
    count_unlisted(result)
    return result


def _live_columns(conn: Connection) -> dict[str, set[str]]:
    """The read-model tables present, with their columns; a missing table is a finding
    unless every one is missing (no read model was ever built here)."""
    names = set(inspect(conn).get_table_names())
    wanted = [table.name for table in (T.tracking, *T.PER_CASE) if table.name in names]
    if not wanted:
        return {}
    found = inspect(conn).get_multi_columns(filter_names=wanted)  # one query: one instant
    return {name: {c["name"] for c in cols} for (_, name), cols in found.items()}


def _unbuilt(conn: Connection, live: dict[str, set[str]]) -> bool:
    """No row projected yet: every table there is empty and no position is claimed. What
    another process's projector leaves while it creates its tables, one by one (the same
    as no read model at all: the next update folds every case from the start)."""
    tr = T.tracking
    if tr.name in live and {"name", "position"} <= live[tr.name] and conn.execute(
            select(raw(tr.c.position)).where(tr.c.name == NAME)).scalar() not in (None, 0):
        return False
    return not any(conn.execute(select(literal(1)).select_from(table).limit(1)).first()
                   for table in T.PER_CASE if table.name in live)


def _structure_problems(live: dict[str, set[str]], result: ProjectionCheck) -> None:
    for table in (T.tracking, *T.PER_CASE):
        if table.name not in live:
            add(result, structure(table.name, "table", [], "table missing"))
        else:
            missing = sorted({c.name for c in table.columns} - live[table.name])
            extra = sorted(live[table.name] - {c.name for c in table.columns})
            for names, what in ((missing, "missing"), (extra, "not of the read model")):
                if names:
                    add(result, structure(table.name, "column", names,
                                          f"column(s) {', '.join(names)} {what}"))


def _claimed_position(conn: Connection, live: dict[str, set[str]], head: int,
                      result: ProjectionCheck) -> int:
    """The position the live rows claim to reflect, checked; the one to compare at."""
    if T.tracking.name not in live or not {"name", "position"} <= live[T.tracking.name]:
        return head
    found: dict[str, Any] = {}
    for name, value in conn.execute(select(raw(T.tracking.c.name),
                                           raw(T.tracking.c.position))):
        if name in (NAME, SCHEMA) and name not in found:
            found[name] = value
        else:
            add(result, tracking_problem(name, "extra", "row not of the read model"))
    if found.get(SCHEMA, T.SCHEMA_VERSION) != T.SCHEMA_VERSION:
        add(result, tracking_problem(SCHEMA, "changed", "layout version is not this "
                                     f"version's ({T.SCHEMA_VERSION})"))
    claimed = found.get(NAME)
    if claimed is None:
        add(result, tracking_problem(NAME, "missing", "row missing"))
        return head
    if type(claimed) is not int or not 0 <= claimed <= head:
        add(result, tracking_problem(NAME, "changed", "position is not one of the "
                                     f"ledger's 0..{head}: the events after it would "
                                     "never be projected"))
        return head
    return claimed


def _compare(table: Table, rebuilt: Connection, conn: Connection, present: set[str],
             postgres: bool, result: ProjectionCheck) -> None:
    cols = [c.name for c in table.columns if c.name in present]
    keys = [c.name for c in table.primary_key.columns]
    if not set(keys) <= set(cols):
        return  # reported as a missing column: rows cannot be matched without their key
    expected = _pages(rebuilt, table, cols, False)
    found = _pages(conn, table, cols, postgres)
    while True:
        e, f = next(expected, None), next(found, None)
        if e is None and f is None:
            return
        if e == f and _types(e) == _types(f):  # type: ignore[arg-type]
            # The same values of the same types, a page at a time: what nearly every
            # page is, decided without a Python step per row (issue 13: every row, every
            # night). The row-by-row merge below would agree.
            result.rows_compared += len(e)  # type: ignore[arg-type]
            continue
        _merge(table, cols, [cols.index(k) for k in keys],
               chain(e or (), chain.from_iterable(expected)),
               chain(f or (), chain.from_iterable(found)), result)
        return


def _types(page: list[tuple[Any, ...]]) -> list[type]:
    return list(map(type, chain.from_iterable(page)))


def _merge(table: Table, cols: list[str], at: list[int], expected: Iterator[tuple[Any, ...]],
           found: Iterator[tuple[Any, ...]], result: ProjectionCheck) -> None:
    """Both sides' rows in key order, matched by key: what is missing, extra or changed."""
    e, f = next(expected, None), next(found, None)
    while e is not None or f is not None:
        result.rows_compared += 1
        if e == f and list(map(type, e)) == list(map(type, f)):  # type: ignore[arg-type]
            e, f = next(expected, None), next(found, None)
            continue
        ke = None if e is None else tuple(_rank(e[i]) for i in at)
        kf = None if f is None else tuple(_rank(f[i]) for i in at)
        if f is None or (e is not None and ke < kf):  # type: ignore[operator]
            add(result, row_problem(table, cols, e, None, "missing", []))
            e = next(expected, None)
        elif e is None or kf < ke:  # type: ignore[operator]
            add(result, row_problem(table, cols, f, f, "extra", []))
            f = next(found, None)
        else:
            changed = [c for c, a, b in zip(cols, e, f) if not (type(a) is type(b) and a == b)]
            if changed:
                add(result, row_problem(table, cols, e, f, "changed", changed))
            e, f = next(expected, None), next(found, None)


def _pages(conn: Connection, table: Table, cols: list[str],
           postgres: bool) -> Iterator[list[tuple[Any, ...]]]:
    """Pages of rows in primary-key order, byte order for texts on both databases
    (PostgreSQL sorts by its collation otherwise), values as stored, normalised; every
    page ``PAGE`` rows but the last, so that two sides' pages align row for row."""
    order = [c.collate("C") if postgres and isinstance(c.type, String) else c
             for c in table.primary_key.columns]
    postgresql = conn.dialect.name == "postgresql"
    # Booleans as integers, as SQLite stores them (PostgreSQL's driver would give bool):
    # converted by the server, so that every value arrives as it is compared.
    q = select(*[cast(raw(table.c[name]), Integer)
                 if postgresql and isinstance(table.c[name].type, Boolean)
                 else raw(table.c[name]) for name in cols]).order_by(*order)
    # Plain tuples of int, float, str, bytes or None, read without building a row object
    # per row: most of the comparison's cost.
    yield from driver_rows(conn, q, PAGE, stream=True)


def _rank(value: Any) -> tuple[int, Any]:
    """Order of a key value as SQLite orders mixed types (a retyped cell may be anything):
    NULL, numbers, texts, blobs; comparable whatever the types."""
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, bytes):
        return (3, value)
    return (4, repr(value))


def _locate(conn: Connection, t: Table, upto: int, result: ProjectionCheck) -> None:
    """Each case-level finding's position: the case's last event up to ``upto``."""
    pending = [p for p in result.problems if p.table not in BY_POSITION
               and isinstance(p.key.get("case"), str)]
    refs = sorted({p.key["case"] for p in pending})
    last: dict[str, int] = {}
    for i in range(0, len(refs), 500):
        last.update(conn.execute(select(t.c.case_ref, func.max(t.c.position))
                                 .where(t.c.case_ref.in_(refs[i:i + 500]),
                                        t.c.position <= upto)
                                 .group_by(t.c.case_ref)).all())
    for p in pending:
        value = last.get(p.key["case"])
        p.position = value if type(value) is int else 0
