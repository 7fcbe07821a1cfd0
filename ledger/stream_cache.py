"""Loading a stream without replaying it all: memory first, then a snapshot, then events.

Every append reloads the streams its rules read (the actor, the case, maybe the review or
an action), and a case's stream grows for years. So the application keeps the streams it
has read (an LRU bounded by the facts held), and each load reads only the events *after*
the version held: one indexed query whatever the stream's length, which also makes every
load current (another process's appends, an actor revoked meanwhile, are read like any
other new event). A process that holds nothing yet (each ``cspr record`` is a new one)
starts from the stream's signed snapshot (``ledger.snapshots``) when there is a trusted
one, else from version 1.

What is held is only ever built from stored events, never from the events an append is
about to write (those carry the personal fields a stored event seals away), and callers
get a copy, so a refused or failed append leaves the held stream as it was. An outer
transaction that rolls back (an import) empties the cache: it may have read its own
uncommitted writes.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from threading import Lock
from typing import TYPE_CHECKING, Any, Iterable
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from sqlalchemy.exc import SQLAlchemyError

from domain.streams import Actor, Stream, stream_id
from ledger.signing import Signer
from ledger.snapshots import KINDS, SnapshotStore, decode, due

if TYPE_CHECKING:
    from ledger.app import LedgerApplication

MAX_FACTS = 20_000  # facts held across all cached streams (a few tens of MB at most)


class Held:
    """A cached stream: its state, its last event's chain hash, its snapshot's version."""

    __slots__ = ("stream", "chain_hash", "snapshot_version", "counted")

    def __init__(self, stream: Stream, chain_hash: bytes, snapshot_version: int) -> None:
        self.stream, self.chain_hash = stream, chain_hash
        self.snapshot_version = snapshot_version
        self.counted = 0  # its facts as counted in StreamCache._facts


def copy_of(stream: Stream) -> Stream:
    """A copy the caller may append to: its own fact list and tally (facts are frozen;
    the state ``when`` derives is reassigned, never changed in place)."""
    new = stream.__class__.__new__(stream.__class__)
    new.__dict__.update(stream.__dict__)
    new.facts = list(stream.facts)
    new.tally = dict(stream.tally)
    new._pending_events = []
    return new


class StreamCache:
    def __init__(self, app: "LedgerApplication", snapshots: SnapshotStore | None) -> None:
        # A weak reference: the app owns the cache, and a cycle would keep a dropped app,
        # its engine and its open SQLite connection alive until the cyclic GC ran (a copy
        # of the file taken meanwhile would miss what is still in its -wal).
        self.app = weakref.proxy(app)
        self.snapshots = snapshots
        self._held: OrderedDict[UUID, Held] = OrderedDict()
        self._facts = 0
        self._lock = Lock()
        # Plain SQL, as for the head (ledger.storage): building and compiling a statement
        # per load cost more than running it.
        t, engine = app.events_table, app.engine
        mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._sql = (f"SELECT originator_version, topic, state, chain_hash FROM {t.name} "
                     f"WHERE originator_id = {mark} AND originator_version >= {mark} "
                     "ORDER BY originator_version")
        self._bind = t.c.originator_id.type.process_bind_param
        self._dialect = engine.dialect

    def clear(self) -> None:
        with self._lock:
            self._held.clear()
            self._facts = 0

    def load(self, cls: type[Stream], sid: UUID) -> Stream | None:
        held = self._get(sid)
        if held is None or not isinstance(held.stream, cls):
            held = self._cold(cls, sid)
        else:
            held = self._forward(held, sid)
        if held is None:
            return None
        self._put(sid, held)
        return copy_of(held.stream)

    # --- after an append -------------------------------------------------------------

    def saved(self, streams: Iterable[Stream], signers: list[Signer]) -> None:
        """Take the snapshots now due (``ledger.snapshots.due``) of the streams appended."""
        if self.snapshots is None:
            return
        by_actor = {s.actor: s for s in signers}
        for stream in streams:
            held = self._get(stream.id)
            if stream.kind not in KINDS or not due(
                    stream.version, held.snapshot_version if held is not None else 0):
                continue
            signer = by_actor.get(stream.facts[-1].actor)
            try:
                self.load(type(stream), stream.id)  # read back: the stored form
            except SQLAlchemyError:
                return  # the append is committed; a snapshot can wait for the next one
            held = self._get(stream.id)
            if held is None or signer is None:
                continue
            with self._lock:  # a consistent pair, whatever other threads read meanwhile
                state, chain_hash = copy_of(held.stream), held.chain_hash
            self.snapshots.put(state, chain_hash, signer)
            held.snapshot_version = state.version

    # --- the three sources -----------------------------------------------------------

    def _query(self, sid: UUID, after: int) -> list[Any]:
        """(version, topic, state, chain hash) of the stream's events from ``after`` on."""
        args = (self._bind(sid, self._dialect), after)
        if self.app._outer:  # inside an import's transaction: see its earlier batches
            with self.app.recorder.transaction(commit=False) as session:  # type: ignore[attr-defined]
                return session.connection().exec_driver_sql(self._sql, args).all()
        with self.app.engine.connect() as conn:
            return conn.exec_driver_sql(self._sql, args).all()

    def _apply(self, stream: Stream | None, sid: UUID, rows: list[Any]) -> Stream | None:
        to_domain = self.app.mapper.to_domain_event
        for version, topic, state, _ in rows:
            event = to_domain(StoredEvent(originator_id=sid, originator_version=version,
                                          topic=topic, state=bytes(state)))
            stream = event.mutate(stream)
        return stream

    def _forward(self, held: Held, sid: UUID) -> Held | None:
        # From the version held, inclusive: its chain hash shows the history held is still
        # the ledger's (a row rewritten under us sends us back to a cold read).
        rows = self._query(sid, held.stream.version)
        if not rows or rows[0][0] != held.stream.version \
                or bytes(rows[0][3]) != held.chain_hash:
            return self._cold(type(held.stream), sid)
        if len(rows) == 1:
            return held
        with self._lock:  # in place (no caller holds it), unless another thread moved it
            if held.stream.version == rows[0][0]:
                try:
                    self._apply(held.stream, sid, rows[1:])
                except BaseException:
                    if self._held.pop(sid, None) is held:  # half applied: never used again
                        self._facts -= held.counted
                    raise
                held.chain_hash = bytes(rows[-1][3])
                return held
        return self._forward(held, sid)

    def _cold(self, cls: type[Stream], sid: UUID) -> Held | None:
        start = self._from_snapshot(cls, sid)
        if start is not None:
            stream, chain_hash, version = start
            rows = self._query(sid, version)
            if rows and rows[0][0] == version and bytes(rows[0][3]) == chain_hash:
                stream = self._apply(stream, sid, rows[1:])
                return Held(stream, bytes(rows[-1][3]), version)  # type: ignore[arg-type]
            self.snapshots.rejected += 1  # type: ignore[union-attr]  # not this history
        rows = self._query(sid, 0)
        if not rows:
            return None
        stream = self._apply(None, sid, rows)
        if not isinstance(stream, cls):
            return None
        return Held(stream, bytes(rows[-1][3]), 0)

    def _from_snapshot(self, cls: type[Stream], sid: UUID
                       ) -> tuple[Stream, bytes, int] | None:
        if self.snapshots is None or cls.kind not in KINDS:
            return None
        row = self.snapshots.read(sid)
        if row is None or not self.snapshots.trusted(row, sid, self._actor_key):
            return None
        stream = decode(cls, sid, row[0], bytes(row[2]))
        if stream is None:
            self.snapshots.rejected += 1
            return None
        return stream, bytes(row[1]), row[0]

    def _actor_key(self, name: str) -> tuple[str, bytes, bool] | None:
        actor = self.load(Actor, stream_id(Actor.kind, name))
        if actor is None or not hasattr(actor, "key_id"):
            return None
        try:
            return actor.key_id, bytes.fromhex(actor.public_key), bool(actor.revoked)
        except (TypeError, ValueError):
            return None

    # --- the LRU ---------------------------------------------------------------------

    def _get(self, sid: UUID) -> Held | None:
        with self._lock:
            held = self._held.get(sid)
            if held is not None:
                self._held.move_to_end(sid)
            return held

    def _put(self, sid: UUID, held: Held) -> None:
        with self._lock:
            old = self._held.pop(sid, None)
            if old is not None:
                self._facts -= old.counted
            held.counted = len(held.stream.facts)
            if held.counted > MAX_FACTS:
                return
            self._held[sid] = held
            self._facts += held.counted
            while self._facts > MAX_FACTS:
                _, evicted = self._held.popitem(last=False)
                self._facts -= evicted.counted
