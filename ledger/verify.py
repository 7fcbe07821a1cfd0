"""Prove the ledger intact: every signature, every role, every link, every copy.

Walks the events in commit order and reports each problem with its chain position and
kind, rather than stopping at the first: an inspector needs to know *which* events are in
doubt. Each row is linked against the *stored* hash of the row before it, so one altered
row is reported once instead of poisoning the rest of the chain; a separately recomputed
chain and Merkle tree answer checkpoints ("has the ledger only grown since?").

Everything is read in one snapshot (ledger.snapshot): the head and the rows of the same
instant, so writers appending meanwhile never look like tampering.

Signatures are checked in worker processes in batches (Ed25519 verification dominates the
cost, and a process per core is what scales it); the order-dependent work (chain, key
registry, roles) stays in this process. Memory does not grow with the ledger: rows stream
in pages, a few batches are in flight at a time, and recomputed chain hashes are kept
only at the sizes some checkpoint claims.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Callable, Mapping, Sequence

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection

from domain.catalogue import EVENT_TYPES
from ledger.app import LedgerApplication
from ledger.by_type import ACK_TYPE, acknowledgements, claimed_sizes
from ledger.canonical_check import decode, is_canonical
from ledger.chain import GENESIS, link
from ledger.heads import head_message
from ledger.identity import origin
from ledger.checkpoint import checkpoint_problems
from ledger.keys_registry import KeyEntry, KeyRegistry
from ledger.merkle import CompactRange
from ledger.receipts import receipt_position, receipt_problems
from ledger.report import Problem, Report
from ledger.rowtypes import blob, raw, raw_rows, stored_columns, stream_id, typed
from ledger.schema import head_table
from ledger.sigbatch import Pipeline, worker_pool
from ledger.snapshot import snapshot

COLUMNS = ["originator_id", "originator_version", "topic", "state", "position",
           "chain_hash", "signature", "sealed", "head_signature", "head_previous",
           "recorded_at", "case_ref", "actor", "key_id", "event_type"]
_TOPIC_CLASS = {name: et.class_name for name, et in EVENT_TYPES.items()}

__all__ = ["verify_ledger", "KeyEntry", "ACK_TYPE"]


class Verifier(KeyRegistry):
    def __init__(self, report: Report, keep: set[int]) -> None:
        super().__init__()
        self.report = report
        self.keep = keep  # sizes whose recomputed chain hash and root are needed
        self.n = 0  # the position the last row was checked as
        self.last = GENESIS  # recomputed chain hash after position n
        self.tree = CompactRange()
        self.hashes: dict[int, bytes] = {0: GENESIS}  # stored chain hash at a kept size
        self.roots: dict[int, bytes] = {0: self.tree.root()}
        self.stored_previous = GENESIS
        self.claimed: list[tuple[int, int, str, str]] = []  # (at, size, head, root)
        self.versions: dict[str, int] = {}  # stream -> its last version seen
        self.partnership: str | None = None  # named by ledger-initialised
        self.ledger_id = ""  # the stored chain hash at position 1 (ledger.identity)
        self.last_signed = True  # whether the last row read carries a signed head
        self.last_head = 0  # the position of the last row read that carries one
        self.run_at: Any = None  # recorded_at of the last row read
        self.run_start = 0  # where the run of rows recorded at that instant began

    def problem(self, position: int, kind: str, detail: str) -> None:
        self.report.problems.append(Problem(position, kind, detail))

    def inspect(self, row: Any) -> tuple[tuple[Any, ...], bytes]:
        """Order-dependent checks of one row (types, position, stream version, payload,
        key, role); returns the work a worker can do out of order (its signed bytes,
        leaf and signature check) and the row's stored chain hash."""
        n = self.n + 1
        (oid, version, topic, state, position, chain_hash, signature, sealed, head,
         previous, *columns) = row[1:]
        if not (type(state) is bytes and type(signature) is bytes and type(topic) is str
                and type(chain_hash) is bytes and type(position) is int
                and type(version) is int and (sealed is None or type(sealed) is bytes)
                and (head is None or type(head) is bytes)
                and (previous is None or type(previous) is int)
                and (oid := stream_id(oid)) is not None):
            # Rare: the slow path that names every column holding another type.
            values, bad = typed(COLUMNS, row[1:])
            for name in bad:
                self.problem(n, "column", f"column {name} holds another type than it "
                                          "stores")
            (oid, version, topic, state, position, chain_hash, signature, sealed, head,
             previous, *columns) = values.values()
            if "state" in bad:
                state = None
        if position is not None and position != n:
            self.problem(n, "position", f"row {row[0]} claims position {position}, "
                                        f"expected {n} (an event is missing, extra or moved)")
            if position > n:
                n = position  # one gap is one finding, not one per later event
        self.n = n
        if n == 1:
            self.ledger_id = chain_hash.hex()
        self.last_signed = head is not None
        if head is not None:
            self.heads(n, previous)
        if oid is not None and version is not None:
            last = self.versions.get(oid, 0)
            if version != last + 1:
                self.problem(n, "version", f"stream version {version} follows {last} (an "
                                           "event of the stream is missing, repeated or "
                                           "moved)")
            self.versions[oid] = version
        public_key = None
        recorded_at = None
        if state is not None:
            try:
                payload = decode(state)
                recorded_at = payload.get("recorded_at") if isinstance(payload, dict) \
                    else None
                if not is_canonical(state, payload):
                    self.problem(n, "canonical", "state is not the canonical JSON of its "
                                                 "own value")
                self.payload(n, payload, topic, sealed, tuple(columns))
                entry = self.keys.get(payload["key_id"])
                public_key = entry.public_key if entry is not None else None
            except (ValueError, KeyError, TypeError, AttributeError, ArithmeticError,
                    RecursionError) as e:
                self.problem(n, "malformed", f"payload does not decode ({type(e).__name__})")
        self.span(n, recorded_at, (previous or 0) if head is not None else None)
        message = None if head is None else head_message(self.ledger_id, n, chain_hash,
                                                          previous or 0)
        return (str(oid), -1 if version is None else version, topic,
                b"" if state is None else state, signature, public_key, n, head,
                message), chain_hash

    def heads(self, n: int, previous: int | None) -> None:
        """A signed head names where the transaction before ended: that row must carry
        the signed head before this one (its head cleared, or moved, is found there)."""
        if previous is None or previous > self.last_head:
            self.problem(n if previous is None or previous >= n else previous,
                         "head_signature", "a transaction's end carries no signed head, "
                         "though the next transaction's head names it")
        elif previous < self.last_head:
            self.problem(n, "head_signature", "a signed head names an earlier end than the "
                                              "signed head before it")
        self.last_head = n

    def span(self, n: int, recorded_at: Any, previous: int | None) -> None:
        """One write transaction records all its events at one instant: a signed head
        whose transaction (``previous``, n] holds events recorded at different times
        spans several transactions, so the heads between them were removed, and the
        signer of this one vouched for the change."""
        if recorded_at is None or recorded_at != self.run_at:
            self.run_at, self.run_start = recorded_at, n
        if previous is not None and self.run_start > previous + 1:
            self.problem(self.run_start, "transaction", "events recorded at different "
                         f"times end in one signed head (from position {previous + 1}): "
                         "the heads between them were removed")

    def link(self, n: int, leaf: bytes, chain_hash: bytes) -> None:
        """In-order linking once a row's leaf is known."""
        if chain_hash != link(self.stored_previous, leaf):
            self.problem(n, "chain", "hash link to the previous event does not match")
        self.stored_previous = chain_hash
        self.last = link(self.last, leaf)
        self.tree.append(leaf)
        if n in self.keep:
            # The stored hash, which is what a checkpoint signs: after a finding an admin
            # acknowledged, the recomputed chain differs from it for good, and the
            # checkpoints signed since must still check. Content is proved by the root.
            self.hashes[n], self.roots[n] = chain_hash, self.tree.root()

    def payload(self, n: int, p: dict[str, Any], topic: str, sealed: bytes | None,
                columns: tuple[Any, ...]) -> None:
        kind = p["type"]
        if kind not in _TOPIC_CLASS or not topic.endswith(":" + _TOPIC_CLASS[kind]):
            self.problem(n, "type", f"stored type '{kind}' and topic '{topic}' disagree")
        if columns != (p["recorded_at"], p["case"], p["actor"], p["key_id"], kind):
            self.problem(n, "column", "indexed columns differ from the signed payload")
        personal = p.get("personal")
        if personal and sealed is not None:
            if hashlib.sha256(sealed).hexdigest() != personal["sha256"]:
                self.problem(n, "personal_data", "sealed personal data does not match "
                                                 "the signed commitment")
        self.authority(n, p)
        if kind == "ledger-initialised" and self.partnership is None:
            self.partnership = str(p["data"]["partnership"])
        if kind == "checkpoint-signed":
            data = p["data"]
            self.claimed.append((n, int(data["size"]), str(data["head_hash"]),
                                 str(data["root_hash"])))
            frontier = data.get("frontier")
            if frontier is not None and CompactRange(
                    data["size"], [bytes.fromhex(h) for h in frontier]).root().hex() \
                    != data["root_hash"]:
                self.problem(n, "checkpoint", "the checkpoint's frontier does not give its "
                                              "root")


def verify_ledger(app: LedgerApplication, checkpoint: dict[str, Any] | None = None,
                  workers: int | None = None,
                  progress: Callable[[int], None] | None = None,
                  since: int = 0, since_hash: bytes | None = None,
                  receipts: Sequence[Mapping[str, Any]] = ()) -> Report:
    """Verify the whole ledger, or only the events after position ``since`` (the nightly
    job verifies what was appended since it last verified; ``since_hash`` is the chain
    hash it saw at ``since``, checked again so a rewrite of that row is found).
    ``receipts``: heads handed to recorders (ledger.receipts), each proved still held."""
    report = Report()
    workers = workers if workers is not None else (os.cpu_count() or 1)
    pool = worker_pool(workers, app.engine)  # before any connection of this verify is open
    try:
        with snapshot(app.engine) as conn:
            sizes = {_checkpoint_size(checkpoint), *map(receipt_position, receipts)}
            v = _scan(conn, app.events_table, report, sizes - {None}, since, since_hash,
                      Pipeline(pool, workers, progress))
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    report.head_hash = v.last.hex()
    report.root_hash = v.tree.root().hex()
    report.size, report.stored_head = v.n, v.stored_previous
    report.ledger_id = v.ledger_id
    report.origin = origin(v.partnership or "", v.ledger_id) if v.ledger_id else ""
    for position, size, head_hash, root_hash in v.claimed:
        if size < since:
            continue  # verified when it was new
        if v.hashes.get(size, b"").hex() != head_hash or (
                not since and v.roots.get(size, b"").hex() != root_hash):
            v.problem(position, "checkpoint", "a signed checkpoint in the ledger no longer "
                                              "matches the history before it")
    if checkpoint is not None:
        report.problems.extend(checkpoint_problems(checkpoint, v.hashes, v.roots, v.keys,
                                                   v.n, v.partnership, origin=report.origin))
    for receipt in receipts:
        report.problems.extend(receipt_problems(receipt, v.hashes, v.keys, v.n, v.ledger_id))
    report.apply_acknowledgements()
    return report


def _scan(conn: Connection, t: Table, report: Report, sizes: set[int], since: int,
          since_hash: bytes | None, pipe: Pipeline) -> Verifier:
    """Every read of one verify, inside one snapshot."""
    # On SQLite the snapshot is taken by the first read: this one.
    head = conn.execute(select(raw(head_table.c.position),
                               raw(head_table.c.chain_hash))).first()
    keep = {s for s in claimed_sizes(conn, t) if s >= since}
    keep |= sizes  # the outside evidence's (checkpoint, receipts)
    v = pipe.v = Verifier(report, keep)
    start_id = _seed(conn, t, v, since, since_hash) if since else 0
    for row in raw_rows(conn, t, COLUMNS, start_id):
        pipe.add(row)
        report.events_checked += 1
    pipe.finish()
    _check_head(v, head)
    report.acknowledgements = acknowledgements(conn, t)
    return v


def _seed(conn: Connection, t: Table, v: Verifier, since: int,
          since_hash: bytes | None) -> int:
    """Start after position ``since``: trust what an earlier run verified up to there,
    replaying only the key registry (actor events) and the last stored link. Returns the
    notification id to read on from."""
    quiet = KeyRegistry()
    for position, state in conn.execute(
            select(t.c.position, t.c.state)
            .where(t.c.position <= since,
                   t.c.event_type.in_(["actor-registered", "actor-key-rotated",
                                       "actor-revoked", "ledger-initialised"]))
            .order_by(t.c.position)):
        try:
            p = json.loads(blob(state))
            quiet.authority(position, p)
            if p["type"] == "ledger-initialised" and v.partnership is None:
                v.partnership = str(p["data"]["partnership"])
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            continue  # verified (or found malformed) when it was new
    v.keys = quiet.keys
    first = conn.execute(select(raw(t.c.chain_hash)).where(t.c.position == 1)).scalar()
    if "head_signature" in stored_columns(conn, t):
        v.last_head = int(conn.execute(select(func.max(t.c.position)).where(
            t.c.position <= since, t.c.head_signature.is_not(None))).scalar() or 0)
    v.ledger_id = first.hex() if isinstance(first, bytes) else ""
    row = conn.execute(select(t.c.id, t.c.chain_hash, t.c.recorded_at)
                       .where(t.c.position == since)).first()
    v.n = since
    if row is None:
        v.problem(since, "position", f"no event at position {since}, which an earlier run "
                                     "verified: events were removed")
        return int(conn.execute(select(func.max(t.c.id))
                                .where(t.c.position < since)).scalar() or 0)
    start_id, stored = int(row[0]), row[1] if isinstance(row[1], bytes) else b""
    # The mark may fall inside a transaction: its run of one instant goes on unjudged.
    v.run_at, v.run_start = row[2], 0
    # Each stream's version at the mark, so continuity is checked across it.
    for oid, version in conn.execute(select(raw(t.c.originator_id),
                                            func.max(t.c.originator_version))
                                     .where(t.c.id <= start_id)
                                     .group_by(t.c.originator_id)):
        if stream_id(oid) is not None and isinstance(version, int):
            v.versions[str(stream_id(oid))] = version
    v.stored_previous = v.last = v.hashes[since] = stored
    if since_hash is not None and stored != since_hash:
        v.problem(since, "chain", "the event at the last verified position was changed "
                                  "after it was verified")
    # Cheap (an index count) and catches a row removed or slipped in before the mark.
    before = conn.execute(select(func.count()).select_from(t)
                          .where(t.c.id <= start_id)).scalar_one()
    if before != since:
        v.problem(since, "position", f"{before} events at or before position {since}, "
                                     "which an earlier run verified: events were removed "
                                     "or added outside the ledger")
    return start_id


def _checkpoint_size(checkpoint: dict[str, Any] | None) -> int | None:
    try:
        return int(checkpoint["size"]) if checkpoint else None
    except (KeyError, TypeError, ValueError):
        return None


def _check_head(v: Verifier, head: Any) -> None:
    n = v.n
    if n > 0 and not v.last_signed:
        v.problem(n, "head_signature", "the last event carries no signed head: the end of "
                                       "its write transaction was removed")
    if head is not None and (type(head[0]) is not int or type(head[1]) is not bytes):
        v.problem(n, "column", "the head row holds another type than it stores")
    elif head is None or head[0] != n or head[1] != v.stored_previous:
        v.problem(n + 1 if head is None or head[0] > n else n, "head",
                  f"the ledger's head says {head[0] if head else 'nothing'} events, "
                  f"{n} found: events were removed or added outside the ledger")
