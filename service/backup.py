"""``cspr backup`` and ``cspr restore``: a consistent copy of the ledger's database, never
its keys, and putting one back.

A backup is the database alone: the master key stays in ``<home>/keys/`` and is not in
it, so a backup taken before an erasure holds the erased case's wrapped data key, but that
key was wrapped by a master key that erasure destroyed (``ledger.erasure``): it opens
under nothing. ``restore`` also drops every data-key row the home's current master key
cannot open, and names the cases, so the restored ledger holds no dead key. Every key in
a backup taken before an erasure is dead (the whole master key was rotated), so such a
backup restores the events, which verify, but no personal data: back up after erasing.

SQLite: the backup is made with SQLite's online backup API (a consistent snapshot while
other processes write) and is itself a SQLite file. PostgreSQL: use ``pg_dump`` and
``pg_restore`` (the database's own consistent copy), then ``cspr --db URL restore``
without a FILE to drop the data keys that no longer open.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import create_engine, delete, select
from sqlalchemy.engine import Engine, make_url

from domain.errors import InvalidFieldError, InvalidInputError, RuleViolationError
from ledger.app import normalise_url
from ledger.envelope import MASTER_KEY_FILE, unwrap
from ledger.errors import LedgerNotInitialisedError
from ledger.erasure import name_master, settle
from ledger.schema import data_keys_table, master_key_table
from service.home import DB_FILE, Home, private_files
from service.targets import check_writable

BACKUP_HELP = "a SQLite file made by 'cspr backup'"


class PostgresBackupError(InvalidInputError):
    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} works on a SQLite ledger; a PostgreSQL ledger is copied with the "
            "database's own tools: 'pg_dump --format=custom -f FILE DBNAME' and "
            "'pg_restore', then 'cspr --db URL restore' (no FILE) to drop the data keys "
            "that no longer open (the master key is never in a dump: keep keys/ apart)")


class LedgerInPlaceError(RuleViolationError):
    def __init__(self, where: str) -> None:
        super().__init__(f"a ledger is already at {where}: pass --replace to put the "
                         "backup in its place")


@dataclass(frozen=True)
class Restored:
    events: int
    keys_kept: int
    dropped: list[str] = field(default_factory=list)  # cases whose key no longer opens

    def as_json(self) -> dict[str, Any]:
        return {"events": self.events, "data_keys_kept": self.keys_kept,
                "data_keys_dropped": len(self.dropped), "cases_dropped": self.dropped}


def _sqlite_file(home: Home) -> Path | None:
    url = make_url(normalise_url(home.url))
    return Path(url.database) if url.get_backend_name() == "sqlite" else None


def backup(home: Home, output: Path) -> int:
    """Copy the ledger's database to ``output`` (0600); the number of events in it."""
    source = _sqlite_file(home)
    if source is None:
        raise PostgresBackupError("'cspr backup'")
    if not source.is_file():
        raise LedgerNotInitialisedError(str(home.root))
    check_writable(output, "--output")
    private_files()
    tmp = output.with_name(output.name + ".tmp")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            (events,), = dst.execute("SELECT count(*) FROM cspr_events")
        finally:
            dst.close()
    finally:
        src.close()
    os.replace(tmp, output)
    return events


def _master(home: Home) -> bytes:
    path = home.keys / MASTER_KEY_FILE
    if not path.is_file():
        raise LedgerNotInitialisedError(f"{home.root} (no keys/{MASTER_KEY_FILE}: a backup "
                                        "holds no key; restore into the home whose keys/ "
                                        "you kept)")
    return path.read_bytes()


def drop_unreadable_keys(engine: Engine, key: bytes) -> tuple[int, list[str]]:
    """Delete every data-key row the master ``key`` cannot open, and name ``key`` as the
    master in force (a backup names the one of its day): (rows kept, cases dropped)."""
    t = data_keys_table.c
    master = AESGCM(key)
    master_key_table.create(engine, checkfirst=True)  # a backup made before it existed
    with engine.begin() as conn:
        rows = conn.execute(select(t.case_ref, t.wrapped)).all()
        dead = sorted(r[0] for r in rows if unwrap(master, r[0], bytes(r[1])) is None)
        for case_ref in dead:
            conn.execute(delete(data_keys_table).where(t.case_ref == case_ref))
        name_master(conn, key)
    return len(rows) - len(dead), dead


def _check_backup(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        names = set()
    if not {"cspr_events", "cspr_head", "cspr_data_keys"} <= names:
        raise InvalidFieldError("FILE", BACKUP_HELP, "not a ledger backup")


def _retire(db: Path) -> None:
    # The old file's WAL must not be replayed into the restored one: checkpoint it in, so
    # SQLite removes the -wal and -shm files when this last connection closes.
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def restore(home: Home, source: Path | None, replace: bool = False) -> Restored:
    """Put ``source`` back as ``home``'s database, then drop dead data keys; with no
    ``source``, only drop them (a PostgreSQL database restored by pg_restore)."""
    master = _master(home)
    target = _sqlite_file(home)
    if source is None:
        engine = create_engine(normalise_url(home.url))
        try:
            settle(engine, home.keys)
            kept, dropped = drop_unreadable_keys(engine, master)
        finally:
            engine.dispose()
        return Restored(_count(home.url), kept, dropped)
    if target is None:
        raise PostgresBackupError("'cspr restore FILE'")
    if not source.is_file():
        raise InvalidFieldError("FILE", BACKUP_HELP, "no such file")
    _check_backup(source)
    if target.is_file() and target.stat().st_size > 0 and not replace:
        raise LedgerInPlaceError(str(target))
    private_files()
    if target.is_file():  # an interrupted erasure is finished on the ledger it began on
        engine = create_engine(f"sqlite:///{target}")
        try:
            settle(engine, home.keys)
        finally:
            engine.dispose()
        master = _master(home)
    home.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = target.with_name(DB_FILE + ".restore")
    tmp.unlink(missing_ok=True)
    src, dst = sqlite3.connect(f"file:{source}?mode=ro", uri=True), sqlite3.connect(tmp)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    engine = create_engine(f"sqlite:///{tmp}")
    try:
        kept, dropped = drop_unreadable_keys(engine, master)
    finally:
        engine.dispose()
    if target.is_file():
        _retire(target)
    os.replace(tmp, target)
    return Restored(_count(home.url), kept, dropped)


def _count(url: str) -> int:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM cspr_events").scalar_one()
    finally:
        engine.dispose()
