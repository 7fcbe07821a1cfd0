"""The eventsourcing-sqlalchemy recorder that chains every event inside its write transaction.

Point ``PERSISTENCE_MODULE`` at ``ledger.storage:LedgerFactory``. The library's recorder
already locks the events table on PostgreSQL (so notification ids commit in order); on
SQLite it only serialises threads of one process, so we take the database write lock
ourselves by updating the head row first: reading the head in a deferred transaction and
then writing would fork the chain as soon as two processes append at once.

No connection crosses a ``fork()`` (issue 8, finding 8): a child that inherits an open
SQLite connection also inherits SQLite's in-process lock bookkeeping, so its own new
connections hold no real lock on the file; when the parent later closed its connection it
found itself "the last user", checkpointed and deleted the WAL under the running children,
and their later commits (already acknowledged) vanished with the deleted file. So before
any fork every idle pooled connection of every ledger engine is closed in the parent, and
the child drops whatever it inherited without closing it (SQLAlchemy's documented
``dispose(close=False)``): a connection belongs to the process that opened it.
"""

from __future__ import annotations

import os
import weakref
from typing import Any, Sequence
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing_sqlalchemy.datastore import SQLAlchemyDatastore
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.orm import Session

from ledger.chain import GENESIS, SignedStoredEvent, link
from ledger.errors import MasterKeyRotatedError
from ledger.head_guard import HeadGuard
from ledger.heads import head_message
from ledger.schema import (
    SignedEventRecord,
    add_extra_indexes,
    data_keys_table,
    head_table,
    master_key_table,
    metadata,
)


_ENGINES: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def _close_idle_before_fork() -> None:
    for engine in list(_ENGINES):
        engine.dispose()  # closes the checked-in connections, in the parent


def _forget_inherited_in_child() -> None:
    for engine in list(_ENGINES):
        engine.dispose(close=False)  # never use nor close the parent's connections


os.register_at_fork(before=_close_idle_before_fork,
                    after_in_child=_forget_inherited_in_child)


class LedgerDatastore(SQLAlchemyDatastore):
    base_stored_event_record_cls = SignedEventRecord

    def __init__(self, *, url: str | None = None, **kwargs: Any) -> None:
        if url and url.startswith("sqlite"):
            # Several OS processes append to one file; waiting beats failing with
            # "database is locked" while another writer commits.
            kwargs.setdefault("connect_args", {"timeout": 60})
        super().__init__(url=url, **kwargs)
        if self.engine is not None:
            _ENGINES.add(self.engine)  # type: ignore[arg-type]


class ReadOnlyDatastore(LedgerDatastore):
    """A datastore that cannot write: what a verifier opens, so that checking a copy of
    the ledger can never change it (the database refuses any write, whatever the code)."""

    def __init__(self, *, url: str | None = None, **kwargs: Any) -> None:
        if url and url.startswith("postgresql"):
            kwargs.setdefault("connect_args", {})["options"] = (
                "-c default_transaction_read_only=on")
        super().__init__(url=url, **kwargs)
        if self.engine is not None and self.engine.dialect.name == "sqlite":
            # query_only rather than mode=ro: a read-only connection leaves SQLite's -wal
            # and -shm files behind in the folder it reads; this one removes them on close.
            event.listen(self.engine, "connect", _query_only)


def _query_only(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA query_only = ON")


class ChainedRecorder(SQLAlchemyApplicationRecorder):
    def __init__(self, datastore: SQLAlchemyDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        table = self.events_record_cls.__table__
        add_extra_indexes(table)
        # Built once: constructing statements per append cost more than executing them.
        self._insert = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        self._first_hash = select(table.c.chain_hash).where(table.c.position == 1)
        # The head's two statements as plain SQL: compiling them (SQLAlchemy's cost per
        # execution) was a tenth of a single signed append.
        style = datastore.engine.dialect.paramstyle  # type: ignore[union-attr]
        mark, head = ("?" if style == "qmark" else "%s"), head_table.name
        self._take_sql = (f"UPDATE {head} SET position = position WHERE id = 1 "
                          "RETURNING position, chain_hash")
        self._move_sql = (f"UPDATE {head} SET position = {mark}, chain_hash = {mark} "
                          "WHERE id = 1")
        self._ledger_id: bytes | None = None  # position 1's chain hash, never changes
        self._guard = HeadGuard(table)

    def create_table(self) -> None:
        super().create_table()
        engine = self.datastore.engine
        # create_all adds no index to a table that already exists: a ledger made by an
        # earlier version gets the newer indexes here.
        for index in self.events_record_cls.__table__.indexes:
            try:
                index.create(engine, checkfirst=True)
            except DBAPIError:
                pass  # another process created it between the check and the create
        _add_missing_columns(engine, self.events_record_cls.__table__)
        metadata.create_all(engine, checkfirst=True)
        with engine.connect() as conn:
            if conn.execute(select(head_table.c.id)).first() is None:
                try:
                    conn.execute(
                        insert(head_table).values(id=1, position=0, chain_hash=GENESIS)
                    )
                    conn.commit()
                except SAIntegrityError:
                    conn.rollback()  # another process created it first

    def lock_for_writing(self, session: Session) -> None:
        """Take the locks an append takes, in the same order, at the start of a long
        transaction: its reads then see the latest head and no writer can slip in."""
        SQLAlchemyApplicationRecorder._lock_table(self, session)
        session.connection().exec_driver_sql(self._take_sql).one()

    def _insert_stored_events(
        self, session: Session, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int]:
        # PostgreSQL: LOCK TABLE, so notification ids commit in order (the library's).
        SQLAlchemyApplicationRecorder._lock_table(self, session)
        # One statement takes SQLite's write lock *and* reads the head: no stale head,
        # no forked chain, however many processes append.
        conn = session.connection()
        position, previous = conn.exec_driver_sql(self._take_sql).one()
        previous = bytes(previous)
        before = position  # where the previous transaction ended
        if position:
            self._guard.check(session, position, previous,
                              self._ledger_id_in(session, {"position": position + 1}),
                              stored_events)
        rows = []
        instant = stored_events[0].recorded_at if stored_events else None
        for e in stored_events:
            if not isinstance(e, SignedStoredEvent):
                raise TypeError("the ledger stores only signed events")
            if e.recorded_at != instant:
                # verify's "one transaction, one instant" (ledger.verify, `transaction`)
                # would report this write as heads removed; the Writer stamps one time.
                raise ValueError("one write records all its events at one instant")
            position += 1
            previous = link(previous, e.leaf)
            rows.append({
                "originator_id": e.originator_id, "originator_version": e.originator_version,
                "topic": e.topic, "state": e.state, "position": position,
                "chain_hash": previous, "signature": e.signature, "sealed": e.sealed,
                "recorded_at": e.recorded_at, "case_ref": e.case_ref, "actor": e.actor,
                "key_id": e.key_id, "event_type": e.event_type, "head_signature": None,
                "head_previous": None,
            })
        keys = [{"case_ref": e.case_ref, "wrapped": e.new_data_key, "created_at": e.recorded_at}
                for e in stored_events if e.new_data_key is not None]  # type: ignore[attr-defined]
        if keys:
            _check_master(session, {e.data_key_master for e in stored_events  # type: ignore
                                    if e.new_data_key is not None})  # type: ignore
            # A concurrent first writer of the same case makes this fail and the whole
            # append retry with that writer's key: one key per case, never an orphan.
            session.execute(insert(data_keys_table), keys)
        if rows:
            # After linking, under the lock: the writer vouches for the whole chain so far,
            # with the key that signed the transaction's last event.
            rows[-1]["head_signature"] = stored_events[-1].signer.sign(  # type: ignore
                head_message(self._ledger_id_in(session, rows[0]).hex(), position,
                             previous, before))
            rows[-1]["head_previous"] = before
        ids = [r[0] for r in session.execute(self._insert, rows)]
        conn.exec_driver_sql(self._move_sql, (position, previous))
        self._guard.wrote(position, previous)
        self._notify_channel(session)
        return ids

    def _ledger_id_in(self, session: Session, first: dict[str, Any]) -> bytes:
        if first["position"] == 1:
            return first["chain_hash"]  # not cached: this transaction may yet roll back
        if self._ledger_id is None:
            self._ledger_id = bytes(session.execute(self._first_hash).scalar_one())
        return self._ledger_id

    def select_events(self, originator_id: UUID | str, gt: int | None = None,
                      lte: int | None = None, desc: bool = False,
                      limit: int | None = None) -> list[StoredEvent]:
        # Core, three columns: the library's ORM query costs more than the decoding, and
        # converting every row's originator_id back to a UUID costs as much as the rest.
        t = self.events_record_cls.__table__
        q = select(t.c.originator_version, t.c.topic, t.c.state).where(
            t.c.originator_id == originator_id)
        if gt is not None:
            q = q.where(t.c.originator_version > gt)
        if lte is not None:
            q = q.where(t.c.originator_version <= lte)
        q = q.order_by(t.c.originator_version.desc() if desc else t.c.originator_version)
        if limit is not None:
            q = q.limit(limit)
        with self.transaction(commit=False) as session:
            rows = session.execute(q).all()
        return [StoredEvent(originator_id=originator_id, originator_version=r[0], topic=r[1],
                            state=bytes(r[2])) for r in rows]


def _add_missing_columns(engine: Engine, table: Any) -> None:
    """A ledger made before signed heads existed gets the nullable column; its earlier
    transactions stay unsigned, which verify reports (docs/evidence-format.md)."""
    have = {c["name"] for c in inspect(engine).get_columns(table.name)}
    pg = engine.dialect.name == "postgresql"
    for name, kind in (("head_signature", "BYTEA" if pg else "BLOB"),
                       ("head_previous", "BIGINT" if pg else "INTEGER")):
        if name in have:
            continue
        try:
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}"))
        except DBAPIError:
            pass  # another process added it first


class LedgerFactory(SQLAlchemyFactory):
    datastore_class = LedgerDatastore
    application_recorder_class = ChainedRecorder
    READ_ONLY = "CSPR_LEDGER_READ_ONLY"

    def __init__(self, env: Any) -> None:
        if env.get(self.READ_ONLY) == "y":
            self.datastore_class = ReadOnlyDatastore
        super().__init__(env)


def _check_master(session: Session, used: set[str | None]) -> None:
    """Under the write lock: the new data keys are wrapped under the master key in force.
    An erasure moves ``cspr_master_key`` under the same lock, so a writer still holding
    the retired key is refused here, before anything is stored under it."""
    t = master_key_table.c
    stored = session.execute(select(t.key_id).where(t.id == 1)).scalar()
    if stored is None and len(used) == 1 and None not in used:
        # A ledger made before the row existed: the first key stored names its master.
        session.execute(insert(master_key_table).values(id=1, key_id=next(iter(used))))
    elif used != {stored}:
        raise MasterKeyRotatedError()
