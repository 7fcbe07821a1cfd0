"""The reference read models: a rebuild from the events kept between nightly runs.

Why: the nightly proves the read models say what the events say (projections.check). A
rebuild of every case from the events costs about 17 µs of CPU per event of history,
every night (issue 13: 3.4 s at 200k events, 17 s at 1M), while a night adds a few
hundred events. So the nightly keeps the rebuild in ``<home>/nightly/reference-models
.sqlite`` (0600, beside ``verified.json``; outside the ledger's database for the reasons
projections.scratch gives for its scratch file), with the position it was folded up to,
and each night folds into it only the cases with an event since that position (the
projector's own rule: a case's rows depend on its events and on the rule sets alone).
Every live row is then compared against it as before, so the cost is the few cases
folded plus one pass over the rows, not the history.

What it still detects between two full checks: every live row, of every case, is
compared each night with the reference, so an edit of any live read-model row made since
the last check (in a case with new events or not), a deleted or added row, or a moved
tracking position is found that night exactly as the full check finds it, same kind and
location. The reference itself is only ever written by this module, from the events.

What it trusts, and the limit of that: the file is a cache that someone with access to
the host could edit too. Before using it, it must carry this module's format, the read
models' layout version (projections.tables), the same way of storing (as PostgreSQL or
as SQLite stores), the same calendar and code version, a position no further than the
ledger's with the chain hash the ledger holds at that position (so another or a rewound
ledger is not mistaken for this one), and no rule set adopted since (a rule set may
change cases without new events); otherwise, or when it cannot be read, it is rebuilt
from scratch, at the cost of the full check. An attacker who edits a live row AND the
same row of the reference identically is not seen by the nightly's incremental check:
that is found by the full check, which never reads this file: the weekly full verify
(jobs.nightly_verify.FULL_VERIFY_EVERY) rebuilds the reference from the events, compares
against that, and keeps it as the new reference; ``cspr verify --projections`` always
rebuilds into a scratch file. An edit of the reference alone makes the nightly report
findings on live rows that are right (a false alarm, never a hidden edit), and is
replaced at the next full check.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import (Column, MetaData, String, Table, create_engine, delete, event,
                        func, inspect, select)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from domain.calendar import WorkingDayCalendar
from ledger.rowtypes import raw
from ledger.snapshot import snapshot
from projections import batches
from projections import tables as T
from projections.projector import NAME
from projections.scratch import disposable, fold_into

FILE = "reference-models.sqlite"
FORMAT = "1"  # this module's layout of the file, beside the read models' own version
_RULE_EVENTS = ("ledger-initialised", "rule-set-adopted")

_meta = Table("reference_meta", MetaData(),
              Column("name", String(32), primary_key=True),
              Column("value", String(200), nullable=False))


def reference_path(home_root: Path) -> Path:
    return Path(home_root) / "nightly" / FILE


@contextmanager
def reference_models(app: Any, conn: Connection, position: int, head: int,
                     calendar: WorkingDayCalendar, like_postgres: bool, path: Path,
                     fresh: bool) -> Iterator[Engine]:
    """The read models as a rebuild at ``position`` gives them (events read on ``conn``,
    the caller's snapshot; ``head`` its last position): the file at ``path`` with only
    the cases changed since its own position folded again, or rebuilt from scratch when
    ``fresh`` or when it cannot be trusted. Runs at once take turns on a lock file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        wanted = _identity(app, conn, position, calendar, like_postgres)
        if fresh or not _brought_up_to_date(app, conn, position, head, calendar,
                                            like_postgres, path, wanted):
            _rebuild(app, conn, position, calendar, like_postgres, path, wanted)
        engine = create_engine(f"sqlite:///{path}")
        try:
            yield engine
        finally:
            engine.dispose()
    finally:
        os.close(fd)


def seed(app: Any, calendar: WorkingDayCalendar, path: Path) -> bool:
    """Keep a reference at the live read models' position if there is none; True if one
    was built. The nightly's first run finds no read models to compare, so without this
    its second run would fold every case from the first event, however short its day
    (issue 13); built here, at the position the live models reached, the next check folds
    only the cases with events since. From the events alone, as every reference is."""
    if path.is_file():
        return False
    with snapshot(app.engine) as conn:
        head = conn.execute(select(func.max(raw(app.events_table.c.position)))).scalar()
        try:
            at = conn.execute(select(raw(T.tracking.c.position))
                              .where(T.tracking.c.name == NAME)).scalar()
        except DBAPIError:  # no read models: nothing to be the reference of
            return False
        if type(head) is not int or type(at) is not int or not 0 < at <= head:
            return False
        with reference_models(app, conn, at, head, calendar, conn.dialect.name != "sqlite",
                              path, fresh=True):
            return True


def _identity(app: Any, conn: Connection, position: int, calendar: WorkingDayCalendar,
              like_postgres: bool) -> dict[str, str]:
    """What a reference at ``position`` must say of itself to be this ledger's."""
    t = app.events_table
    at = conn.execute(select(raw(t.c.chain_hash)).where(t.c.position == position)).scalar()
    return {"format": FORMAT, "schema": str(T.SCHEMA_VERSION),
            "stores": "postgresql" if like_postgres else "sqlite",
            "calendar": f"{calendar.name}:{calendar.first_year}-{calendar.last_year}",
            "code": _version(), "position": str(position),
            "chain_hash": bytes(at).hex() if isinstance(at, bytes | memoryview) else ""}


def _version() -> str:
    try:
        return importlib_metadata.version("cspr-ledger")
    except importlib_metadata.PackageNotFoundError:
        return "unknown"


def _brought_up_to_date(app: Any, conn: Connection, position: int, head: int,
                        calendar: WorkingDayCalendar, like_postgres: bool, path: Path,
                        wanted: dict[str, str]) -> bool:
    """Fold the changed cases into the file; False if it cannot be trusted."""
    if not path.is_file():
        return False
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as out:
            found = dict(out.execute(select(_meta.c.name, _meta.c.value)).all())
            since = str(found.get("position", ""))
            if not since.isdigit() or not 0 <= int(since) <= head:
                return False
            if _stale(found, app, conn, int(since), calendar, like_postgres) or \
                    not _laid_out(out):
                return False
            lo, hi = sorted((int(since), position))
            t = app.events_table
            if conn.execute(select(func.count()).select_from(t).where(
                    t.c.position > lo, t.c.position <= hi,
                    t.c.event_type.in_(_RULE_EVENTS))).scalar():
                return False  # a rule set may change cases that have no new event
            refs = sorted(conn.execute(select(t.c.case_ref).distinct().where(
                t.c.position > lo, t.c.position <= hi,
                t.c.case_ref.is_not(None))).scalars())
            for i in range(0, len(refs), batches.PAGE):
                for table in T.PER_CASE:
                    out.execute(delete(table).where(
                        table.c.case_ref.in_(refs[i:i + batches.PAGE])))
            fold_into(out, app, conn, batches.counted(conn, t, refs), position, calendar,
                      like_postgres)
            _write_meta(out, wanted)
        return True
    except (DBAPIError, ValueError, KeyError, TypeError):
        return False  # damaged, or not this module's file: rebuilt from scratch
    finally:
        engine.dispose()


def _stale(found: dict[str, str], app: Any, conn: Connection, since: int,
           calendar: WorkingDayCalendar, like_postgres: bool) -> bool:
    """True unless the file was folded by this code, this way, from this ledger."""
    return found != _identity(app, conn, since, calendar, like_postgres)


def _laid_out(out: Connection) -> bool:
    """Every read-model table there, with its columns and nothing else."""
    names = [table.name for table in T.PER_CASE]
    found = inspect(out).get_multi_columns(filter_names=names)
    return {name: {c["name"] for c in cols} for (_, name), cols in found.items()} == {
        table.name: {c.name for c in table.columns} for table in T.PER_CASE}


def _rebuild(app: Any, conn: Connection, position: int, calendar: WorkingDayCalendar,
             like_postgres: bool, path: Path, wanted: dict[str, str]) -> None:
    """Every case folded into a new file that replaces the old one once complete."""
    new = path.with_name(path.name + ".new")
    new.unlink(missing_ok=True)
    os.close(os.open(new, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))  # SQLite keeps it
    engine = create_engine(f"sqlite:///{new}")
    event.listen(engine, "connect", disposable)  # written in one go, replaced if cut
    try:
        T.metadata.create_all(engine, tables=list(T.PER_CASE))
        _meta.create(engine)
        with engine.begin() as out:
            fold_into(out, app, conn, batches.all_cases(conn, app.events_table), position,
                      calendar, like_postgres)
            _write_meta(out, wanted)
    finally:
        engine.dispose()
    with open(new, "rb+") as f:
        os.fsync(f.fileno())
    for extra in ("-journal", "-wal", "-shm"):  # the old file's, never to be replayed
        Path(f"{path}{extra}").unlink(missing_ok=True)
    os.replace(new, path)


def _write_meta(out: Connection, values: dict[str, str]) -> None:
    out.execute(delete(_meta))
    out.execute(_meta.insert(), [{"name": k, "value": v} for k, v in sorted(values.items())])
