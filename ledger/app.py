"""The ledger application: eventsourcing's Application wired to the signed, chained store.

It knows how to persist and load streams and nothing about the procedure's rules: the
service layer validates, checks rules and authorises, then calls :meth:`save_signed`.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError
from sqlalchemy import Table, inspect, select
from sqlalchemy.engine import Engine

from domain.streams import LedgerStream, Stream, stream_id
from ledger.envelope import Sealer, stored_master_id
from ledger.errors import MasterKeyMismatchError, MasterKeyRotatedError
from ledger.mapper import SigningMapper, signing_as
from ledger.signing import Signer
from ledger.snapshots import SnapshotStore
from ledger.stream_cache import StreamCache

__all__ = ["LedgerApplication", "IntegrityError"]


def normalise_url(url: str) -> str:
    # psycopg 3 is the driver we ship; a bare postgresql:// URL would make SQLAlchemy
    # look for psycopg2.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _project(aggregate: Any, events: Iterable[Any]) -> Any:
    # The library's projector asserts isinstance against a runtime-checkable Protocol on
    # every event, which costs more than applying it (most of an import's stream loading);
    # our events are the library's own Aggregate events, which always have mutate().
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class LedgerApplication(Application):
    name = "cspr"
    _outer = False  # inside transaction()
    _ledger_id = ""  # cached once known: position 1 never changes

    def __init__(self, url: str, keys_dir: Path | None = None,
                 read_only: bool = False) -> None:
        """``read_only``: for verification, which needs no key and must change nothing:
        no table is created and the database refuses every write."""
        self.url = normalise_url(url)
        self.read_only = read_only
        super().__init__(
            env={
                "PERSISTENCE_MODULE": "ledger.storage:LedgerFactory",
                "SQLALCHEMY_URL": self.url,
                "CREATE_TABLE": "n" if read_only else "y",
                "CSPR_LEDGER_READ_ONLY": "y" if read_only else "n",
                "IS_SNAPSHOTTING_ENABLED": "no",
            }
        )
        self.sealer = Sealer(self.engine, keys_dir)
        self.mapper.sealer = self.sealer  # type: ignore[attr-defined]
        snapshots = None
        if not read_only:  # verify neither reads nor writes snapshots: never evidence
            snapshots = SnapshotStore(self.engine)
            snapshots.create()
        self.stream_cache = StreamCache(self, snapshots)

    def holds_ledger(self) -> bool:
        """Whether the database has a ledger's tables (a read-only open creates none)."""
        from ledger.schema import head_table

        names = inspect(self.engine).get_table_names()
        return self.events_table.name in names and head_table.name in names

    def close(self) -> None:
        # The library's close leaves the pool's connections open until garbage
        # collection; a ledger closed is a ledger whose connections are closed.
        super().close()
        self.engine.dispose()

    def construct_mapper(self) -> SigningMapper:
        return SigningMapper(transcoder=self.construct_transcoder())

    @property
    def engine(self) -> Engine:
        return self.factory.datastore.engine  # type: ignore[attr-defined]

    @property
    def events_table(self) -> Table:
        return self.recorder.events_record_cls.__table__  # type: ignore[attr-defined]

    def load(self, cls: type[Stream], *key: str) -> Stream | None:
        """The stream as the ledger holds it now (a copy: the caller may append to it)."""
        return self.stream_cache.load(cls, stream_id(cls.kind, *key))

    def replay(self, cls: type[Stream], *key: str) -> Stream | None:
        """The stream read from its first event, through the library's repository,
        touching no cache or snapshot: what :meth:`load` must always equal."""
        try:
            return self.repository.get(  # type: ignore[return-value]
                stream_id(cls.kind, *key), projector_func=_project)
        except AggregateNotFoundError:
            return None

    def partnership(self) -> str:
        """The partnership named when the ledger was initialised (for reports)."""
        return getattr(self.load(LedgerStream, "ledger"), "partnership", "")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One database transaction around several :meth:`save_signed` calls (a large
        import saved in batches): all of them commit together or none does, and reads of
        streams inside it see what the earlier batches wrote.
        """
        ok = False
        self._outer = True
        try:
            with self.recorder.transaction(commit=True) as session:  # type: ignore[attr-defined]
                self.recorder.lock_for_writing(session)  # type: ignore[attr-defined]
                yield
            ok = True
        except MasterKeyRotatedError:
            self._master_rotated()
            raise
        finally:
            self._outer = False
            self.sealer.saved(ok)
            if not ok:  # its reads may have seen its own writes, now undone
                self.stream_cache.clear()

    def save_signed(self, streams: list[Stream], signers: list[Signer]) -> list[int]:
        """Append every pending event of ``streams`` in one transaction; all or nothing.

        Raises :class:`IntegrityError` when another writer appended to one of the streams
        first (the caller reloads and retries).
        """
        ok = False
        try:
            with signing_as(*signers):
                recordings = self._save_streams(streams)
            ok = True
        except MasterKeyRotatedError:
            if not self._outer:
                self._master_rotated()
            raise
        finally:
            if not self._outer:  # else the data keys are settled when it commits
                self.sealer.saved(ok)
        return [r.notification.id for r in recordings]

    def _master_rotated(self) -> None:
        """The master key held was retired by an erasure in another process: drop it and
        every key opened with it, so the caller's retry wraps under the key in force."""
        self.sealer.forget()
        stored = stored_master_id(self.engine)
        if stored is not None and self.sealer.master_id != stored:
            raise MasterKeyMismatchError()  # the file itself is not the key in force

    def ledger_id(self) -> str:
        """The hex chain hash at position 1 (ledger.identity); empty before the first event."""
        if self._ledger_id:
            return self._ledger_id
        t = self.events_table
        with self.engine.connect() as conn:
            value = conn.execute(select(t.c.chain_hash).where(t.c.position == 1)).scalar()
        self._ledger_id = bytes(value).hex() if isinstance(value, (bytes, memoryview)) else ""
        return self._ledger_id

    def origin(self) -> str:
        """The ledger's C2SP origin: its checkpoints' first line and its system key's name."""
        from ledger.identity import origin

        return origin(self.partnership(), self.ledger_id())

    def _save_streams(self, streams: list[Stream]) -> list[Any]:
        """Application.save, less its runtime-checkable Protocol isinstance tests on each
        object (about 40 us a save, a tenth of a single signed append): ours are always
        the library's own Aggregates, whose pending events collect_events() returns."""
        processing = ProcessingEvent()
        for stream in streams:
            processing.events.extend(stream.collect_events())
            processing.aggregates[stream.id] = stream
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        self.notify(processing.events)  # type: ignore[no-untyped-call]
        return recordings

    def size(self) -> int:
        from ledger.schema import head_table

        with self.engine.connect() as conn:
            # No head row (deleted by hand): verify reports it; here the ledger is empty.
            value = conn.execute(select(head_table.c.position)).scalar()
            return value if type(value) is int else 0

    def rows(self, columns: list[str], start_id: int = 0, page: int = 2000,
             until_recorded: str | None = None) -> Iterator[Any]:
        """Every stored row in notification order, paged, as plain tuples (fast path)."""
        t = self.events_table
        cols = [t.c[name] for name in columns]
        last = start_id
        with self.engine.connect() as conn:
            while True:
                q = select(t.c.id, *cols).where(t.c.id > last).order_by(t.c.id).limit(page)
                if until_recorded is not None:
                    q = q.where(t.c.recorded_at <= until_recorded)
                batch = conn.execute(q).all()
                if not batch:
                    return
                yield from batch
                last = batch[-1][0]
