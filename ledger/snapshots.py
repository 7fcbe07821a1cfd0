"""Stream snapshots: a signed cache of a long stream's state, never evidence.

A case of thousands of events would otherwise be replayed in full by every ``cspr record``
on it. Every ``INTERVAL`` events, after the append commits, the writer stores the stream's
state (its facts, as read back from the ledger) in ``cspr_stream_snapshots``, a table
outside the signed ones, one row per stream, signed by the actor who appended:

    signature over  "cspr-ledger/snapshot/v1\\n" + {stream, version, chain_hash of the
                    stream's event at that version, key_id, SHA-256 of the state}

A snapshot is used only when all of these hold, else it is ignored and the stream is
replayed from its signed events (so a tampered row can cost time, never change a rule's
answer; ``rejected`` counts such rows):

- its signature verifies under the key of an actor registered in the ledger, not revoked,
  whose key in force it still is (a key retired because it leaked cannot vouch);
- the chain hash it names is the one the events table holds for that stream and version,
  read in the same query as the events after it (so it covers this ledger's history as it
  stands, not another ledger's or a rewritten one);
- its state decodes to the stream kind asked for, at the version it names.

Verify never reads this table; deleting it loses nothing but time. The state holds only
what the events' signed payloads hold in clear (facts rebuilt from stored events, whose
personal fields are sealed elsewhere and never loaded into a stream), so erasure has
nothing to clear here: a case's snapshot carries no personal data (tests/ledger/
test_snapshots.py checks the bytes).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Callable
from uuid import UUID

from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from domain.catalogue import personal_field_names
from domain.streams import STREAM_CLASSES, FactRecord, Stream
from ledger.signing import Signer, verify_signature

INTERVAL = 100  # events between snapshots of one stream
SNAPSHOT_DOMAIN = b"cspr-ledger/snapshot/v1\n"
# Actor streams are never snapshotted: a snapshot's signer is checked against them.
KINDS = frozenset({"case", "review", "action"})

metadata = MetaData()
snapshots_table = Table(
    "cspr_stream_snapshots", metadata,
    Column("stream_id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("chain_hash", LargeBinary(32), nullable=False),
    Column("state", LargeBinary, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
)

# actor name -> (key id, raw public key, revoked) from the ledger's actor stream, or None.
ActorLookup = Callable[[str], "tuple[str, bytes, bool] | None"]


def message(stream: UUID, version: int, chain_hash: bytes, key_id: str,
            state: bytes) -> bytes:
    header = {"stream": str(stream), "version": version, "chain_hash": chain_hash.hex(),
              "key_id": key_id, "state_sha256": hashlib.sha256(state).hexdigest()}
    return SNAPSHOT_DOMAIN + json.dumps(header, sort_keys=True,
                                        separators=(",", ":")).encode()


def due(version: int, last: int) -> bool:
    """Whether a stream at ``version`` whose last snapshot is at ``last`` needs a new one.
    Every INTERVAL events, or a quarter of the stream once longer: encoding costs what the
    stream holds, so amortised over the appends between two snapshots it stays constant,
    and a new process still replays at most a fifth of the stream as events."""
    return version >= INTERVAL and version - last >= max(INTERVAL, last // 4)


def encode(stream: Stream) -> bytes:
    """The stream's state as stored: its facts, public fields only."""
    facts = []
    personal: dict[str, frozenset[str]] = {}
    for f in stream.facts:
        names = personal.get(f.type)
        if names is None:
            names = personal[f.type] = frozenset(personal_field_names(f.type))
        data = f.data
        if names and not names.isdisjoint(data):  # never, for a stream read from storage
            data = {k: v for k, v in data.items() if k not in names}
        facts.append([f.type, data, f.occurred_at, f.recorded_at.isoformat(), f.actor,
                      f.version])
    return json.dumps({"kind": stream.kind, "case": stream.case, "facts": facts},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def decode(cls: type[Stream], stream: UUID, version: int, state: bytes) -> Stream | None:
    """The stream rebuilt from its facts, as replaying its events would build it."""
    try:
        body = json.loads(state)
        facts = body["facts"]
        if body["kind"] != cls.kind or STREAM_CLASSES.get(cls.kind) is not cls \
                or len(facts) != version or not facts:
            return None
        agg = cls.__new__(cls)
        agg._id = stream
        agg._pending_events = []
        agg.case = body["case"]
        agg.facts = []
        agg.tally = {}
        for i, (type_, data, occurred_at, recorded_at, actor, ver) in enumerate(facts, 1):
            if ver != i or not isinstance(data, dict):
                return None
            fact = FactRecord(type_, data, occurred_at, datetime.fromisoformat(recorded_at),
                              actor, ver)
            agg.facts.append(fact)
            agg.tally[type_] = agg.tally.get(type_, 0) + 1
            agg.when(fact)
        agg._created_on = agg.facts[0].recorded_at
        agg._modified_on = agg.facts[-1].recorded_at
        agg._version = version
        return agg
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


class SnapshotStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.rejected = 0  # rows found and not trusted (tampered, stale or foreign)
        dialect = sqlite if engine.dialect.name == "sqlite" else postgresql
        self._insert = dialect.insert
        self._select = select(*(snapshots_table.c[n] for n in (
            "version", "chain_hash", "state", "actor", "key_id", "signature")))

    def create(self) -> None:
        try:
            metadata.create_all(self.engine, checkfirst=True)
        except SQLAlchemyError:
            pass  # another process created it between the check and the create

    def read(self, stream: UUID) -> Any:
        try:
            with self.engine.connect() as conn:
                return conn.execute(self._select.where(
                    snapshots_table.c.stream_id == str(stream))).first()
        except SQLAlchemyError:
            return None  # no table (it could not be created): replay, as without one

    def trusted(self, row: Any, stream: UUID, actors: ActorLookup) -> bool:
        """Whether the row's signature is by a key still in force for a live actor."""
        version, chain_hash, state, actor, key_id, signature = row
        held = actors(actor) if isinstance(actor, str) else None
        ok = (held is not None and held[0] == key_id and not held[2]
              and type(version) is int and verify_signature(
                  held[1], bytes(signature), message(stream, version, bytes(chain_hash),
                                                     key_id, bytes(state))))
        if not ok:
            self.rejected += 1
        return ok

    def put(self, stream: Stream, chain_hash: bytes, signer: Signer) -> None:
        """Store (or move forward) the stream's snapshot; a failure only loses the cache."""
        state = encode(stream)
        values = {"stream_id": str(stream.id), "version": stream.version,
                  "chain_hash": chain_hash, "state": state, "actor": signer.actor,
                  "key_id": signer.key_id, "signature": signer.sign(
                      message(stream.id, stream.version, chain_hash, signer.key_id, state))}
        stmt = self._insert(snapshots_table).values(**values)
        # Unconditionally: a row with a forged, higher version must not outlive the next
        # snapshot (an older one written by a racing writer costs only a longer replay).
        stmt = stmt.on_conflict_do_update(
            index_elements=[snapshots_table.c.stream_id],
            set_={k: stmt.excluded[k] for k in values if k != "stream_id"})
        try:
            with self.engine.begin() as conn:
                conn.execute(stmt)
        except SQLAlchemyError:
            pass  # e.g. the database busy past its timeout: the next snapshot will do
