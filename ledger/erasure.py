"""Real erasure: a case's data key made unrecoverable everywhere it was ever written.

Deleting a case's ``cspr_data_keys`` row is not enough: the wrapped key lives on in
SQLite's free pages and WAL, in PostgreSQL's dead tuples and WAL, and in every backup,
and it opens under ``keys/master.key``. So :func:`shred` rotates the master key: every
OTHER case's data key is re-wrapped under a new master key, the erased case's row is
deleted, and the old master key is overwritten and unlinked (no copy is kept). Old copies
of any wrapped key then open under nothing that exists. Nothing signed changes: the
events, chain, heads and checkpoints commit only to the sealed bytes' hash (§15).

The files under ``keys/`` during a rotation:

- ``master.key``: the key in force; ``master.key.new``: the next one, staged (written to
  ``master.key.new.tmp``, fsynced, renamed); ``master.key.old``: a second name (hard link)
  of the retired key while it is being destroyed.

The steps, in order: (1) stage ``master.key.new``; (2) one database transaction, holding
the ledger's write lock: re-wrap every other case's key under the new key, delete the
erased case's row, name the new key in ``cspr_master_key`` (a writer still holding the
old key is then refused under the same lock, and retries with the new one), commit;
(3) promote: link ``master.key`` to ``master.key.old``, rename ``master.key.new`` over
``master.key``; (4) sweep: re-wrap any row a concurrent writer wrapped under the old key
meanwhile; (5) overwrite ``master.key.old``, fsync, unlink.

**Recovery rule** (:func:`settle`, run before any use of the master key, so every command
finishes or undoes an interrupted erasure first):

- ``master.key.new`` present: if any row opens under it, or no row opens under
  ``master.key``, step 2 committed: do steps 3 to 5. Otherwise step 2 never committed:
  destroy ``master.key.new``; the ledger is as before and the erasure can be retried.
- else ``master.key.old`` present: do steps 4 and 5.

A crash therefore leaves the old state (every key under ``master.key``) or the new one
(every key under the staged or promoted new key), never rows that no key file opens.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, Engine

from ledger.files import fsync_dir
from ledger.envelope import MASTER_KEY_FILE, master_id, unwrap, wrap
from ledger.schema import data_keys_table, head_table, master_key_table

STAGED = MASTER_KEY_FILE + ".new"
RETIRED = MASTER_KEY_FILE + ".old"
LOCK = "master.key.lock"
KEY_BYTES = 32


@dataclass(frozen=True)
class Shredded:
    case_deleted: bool  # the case had a data key row, now gone
    rewrapped: int  # other cases' keys now under the new master key
    unreadable: int  # rows that opened under no master key (left as they were)


def write_key_file(path: Path, key: bytes) -> None:
    """``key`` at ``path``, whole or not at all: temp file, fsync, rename, fsync folder."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def destroy_key_file(path: Path) -> None:
    """Overwrite the file's bytes in place (random, then zeros), fsync, unlink."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return
    with os.fdopen(fd, "wb") as f:
        size = max(os.fstat(f.fileno()).st_size, KEY_BYTES)
        for fill in (os.urandom(size), bytes(size)):
            f.seek(0)
            f.write(fill)
            f.flush()
            os.fsync(f.fileno())
    path.unlink(missing_ok=True)
    fsync_dir(path.parent)


def _aead(path: Path) -> AESGCM | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    return AESGCM(raw) if len(raw) == KEY_BYTES else None


def _lock(conn: Connection) -> None:
    # The update every append starts with: it takes SQLite's write lock and PostgreSQL's
    # row lock on the head, so no append runs until this transaction ends.
    h = head_table.c
    conn.execute(update(head_table).where(h.id == 1).values(position=h.position))


def name_master(conn: Connection, key: bytes) -> None:
    """``cspr_master_key`` names ``key``: from now on the recorder refuses a new case key
    wrapped under any other (a process still holding the retired one retries)."""
    m = master_key_table.c
    if conn.execute(update(master_key_table).where(m.id == 1)
                    .values(key_id=master_id(key))).rowcount == 0:
        conn.execute(master_key_table.insert().values(id=1, key_id=master_id(key)))


def _rows(conn: Connection) -> list[tuple[str, bytes]]:
    t = data_keys_table.c
    return [(r[0], bytes(r[1])) for r in conn.execute(select(t.case_ref, t.wrapped))]


def _rewrap(conn: Connection, old: AESGCM, new: AESGCM, skip: str | None) -> tuple[int, int]:
    """Every row except ``skip`` that opens under ``old`` is re-wrapped under ``new``."""
    t = data_keys_table.c
    moved = unreadable = 0
    for case_ref, wrapped in _rows(conn):
        if case_ref == skip or unwrap(new, case_ref, wrapped) is not None:
            continue
        key = unwrap(old, case_ref, wrapped)
        if key is None:
            unreadable += 1
            continue
        conn.execute(update(data_keys_table).where(t.case_ref == case_ref)
                     .values(wrapped=wrap(new, case_ref, key)))
        moved += 1
    return moved, unreadable


def _committed(engine: Engine, old: AESGCM | None, new: AESGCM) -> bool:
    with engine.connect() as conn:
        rows = _rows(conn)
    if any(unwrap(new, c, w) is not None for c, w in rows):
        return True
    return old is None or not any(unwrap(old, c, w) is not None for c, w in rows)


def _finish(engine: Engine, keys: Path) -> None:
    """Steps 3 to 5: promote the staged key (if any), sweep, destroy the retired one."""
    master, staged, retired = keys / MASTER_KEY_FILE, keys / STAGED, keys / RETIRED
    if staged.exists():
        if not retired.exists():
            os.link(master, retired)
        os.replace(staged, master)
        fsync_dir(keys)
    old, new = _aead(retired), _aead(master)
    if old is not None and new is not None:
        with engine.begin() as conn:
            _lock(conn)
            _rewrap(conn, old, new, None)
    destroy_key_file(retired)


@contextmanager
def _rotating(keys: Path) -> Iterator[None]:
    # One rotation or recovery at a time, across processes: a recovery that ran while an
    # erasure was between its steps 1 and 2 would destroy the key it is committing to.
    fd = os.open(keys / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def settle(engine: Engine, keys: Path) -> None:
    """Finish or undo an interrupted rotation (the recovery rule, module docstring)."""
    if not any((keys / n).exists() for n in (STAGED, RETIRED, STAGED + ".tmp")):
        return  # nothing was interrupted: the usual case costs three stat calls
    with _rotating(keys):
        _settle(engine, keys)


def _settle(engine: Engine, keys: Path) -> None:
    (keys / (STAGED + ".tmp")).unlink(missing_ok=True)  # never renamed: never used
    staged, retired = keys / STAGED, keys / RETIRED
    if staged.exists():
        new = _aead(staged)
        if new is not None and _committed(engine, _aead(keys / MASTER_KEY_FILE), new):
            _finish(engine, keys)
        else:
            destroy_key_file(staged)
    elif retired.exists():
        _finish(engine, keys)


def shred(engine: Engine, keys: Path, case_ref: str) -> Shredded:
    """Make ``case_ref``'s data key unrecoverable by rotating the master key."""
    with _rotating(keys):
        _settle(engine, keys)
        return _rotate(engine, keys, case_ref)


def _rotate(engine: Engine, keys: Path, case_ref: str) -> Shredded:
    old = _aead(keys / MASTER_KEY_FILE)
    if old is None:
        raise FileNotFoundError(keys / MASTER_KEY_FILE)
    new_key = AESGCM.generate_key(bit_length=256)
    write_key_file(keys / STAGED, new_key)  # step 1
    with engine.begin() as conn:  # step 2
        _lock(conn)
        moved, unreadable = _rewrap(conn, old, AESGCM(new_key), case_ref)
        t = data_keys_table.c
        deleted = conn.execute(delete(data_keys_table).where(t.case_ref == case_ref))
        name_master(conn, new_key)
    _finish(engine, keys)  # steps 3 to 5
    return Shredded(deleted.rowcount > 0, moved, unreadable)
