"""Prove the ledger intact: every signature, every role, every link, every copy.

Walks the events in commit order and reports each problem with its chain position and
kind, rather than stopping at the first: an inspector needs to know *which* events are in
doubt. Each row is linked against the *stored* hash of the row before it, so one altered
row is reported once instead of poisoning the rest of the chain; a separately recomputed
chain and Merkle tree answer checkpoints ("has the ledger only grown since?").

Signatures are checked in worker processes in batches (Ed25519 verification dominates the
cost, and a process per core is what scales it); the order-dependent work (chain, key
registry, roles) stays in this process.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any, Callable

from sqlalchemy import select

from domain.catalogue import EVENT_TYPES
from ledger.app import LedgerApplication
from ledger.chain import GENESIS, link
from ledger.checkpoint import checkpoint_problems
from ledger.report import Problem, Report
from ledger.merkle import CompactRange
from ledger.schema import head_table
from ledger.sigbatch import hash_and_verify

COLUMNS = ["originator_id", "originator_version", "topic", "state", "position",
           "chain_hash", "signature", "sealed", "recorded_at", "case_ref", "actor",
           "key_id", "event_type"]
BATCH = 512  # small enough that both workers stay busy to the end
_TOPIC_CLASS = {name: et.class_name for name, et in EVENT_TYPES.items()}


@dataclass
class KeyEntry:
    actor: str
    public_key: bytes
    roles: frozenset[str]
    active: bool = True


class Verifier:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.keys: dict[str, KeyEntry] = {}
        self.chain: list[bytes] = [GENESIS]  # recomputed chain hash after each position
        self.tree = CompactRange()
        self.roots: dict[int, bytes] = {0: self.tree.root()}
        self.stored_previous = GENESIS
        self.claimed: list[tuple[int, dict[str, Any]]] = []

    def problem(self, position: int, kind: str, detail: str) -> None:
        self.report.problems.append(Problem(position, kind, detail))

    def inspect(self, n: int, row: Any) -> tuple[Any, ...]:
        """Order-dependent checks of one row (position, payload, key, role); returns the
        work a worker can do out of order: its signed bytes, leaf and signature check."""
        (oid, version, topic, state, position, chain_hash, signature, sealed, recorded_at,
         case_ref, actor, key_id, event_type) = row[1:]
        state, signature = bytes(state), bytes(signature)
        if position != n:
            self.problem(n, "position", f"row {row[0]} claims position {position}, "
                                        f"expected {n} (an event is missing, extra or moved)")
        public_key = None
        try:
            payload = json.loads(state)
            self.payload(n, payload, topic, sealed,
                         (recorded_at, case_ref, actor, key_id, event_type))
            entry = self.keys.get(payload["key_id"])
            public_key = entry.public_key if entry is not None else None
        except (ValueError, KeyError, TypeError) as e:
            self.problem(n, "malformed", f"payload does not decode ({type(e).__name__})")
        return (str(oid), version, topic, state, signature, public_key, n)

    def link(self, n: int, leaf: bytes, chain_hash: bytes) -> None:
        """In-order linking once a row's leaf is known."""
        if chain_hash != link(self.stored_previous, leaf):
            self.problem(n, "chain", "hash link to the previous event does not match")
        self.stored_previous = chain_hash
        self.chain.append(link(self.chain[-1], leaf))
        self.tree.append(leaf)

    def payload(self, n: int, p: dict[str, Any], topic: str, sealed: bytes | None,
                columns: tuple[Any, ...]) -> None:
        kind = p["type"]
        if kind not in _TOPIC_CLASS or not topic.endswith(":" + _TOPIC_CLASS[kind]):
            self.problem(n, "type", f"stored type '{kind}' and topic '{topic}' disagree")
        if columns != (p["recorded_at"], p["case"], p["actor"], p["key_id"], kind):
            self.problem(n, "column", "indexed columns differ from the signed payload")
        personal = p.get("personal")
        if personal and sealed is not None:
            if hashlib.sha256(bytes(sealed)).hexdigest() != personal["sha256"]:
                self.problem(n, "personal_data", "sealed personal data does not match "
                                                 "the signed commitment")
        self.authority(n, p)

    def authority(self, n: int, p: dict[str, Any]) -> None:
        kind, data, kid = p["type"], p["data"], p["key_id"]
        if kind == "actor-registered" and not self.keys and data["actor"] == "admin" \
                and data["key_id"] == kid:
            # Genesis: admin registers itself; every later key descends from this one.
            self.keys[kid] = KeyEntry("admin", bytes.fromhex(data["public_key"]),
                                      frozenset(data["roles"]))
        entry = self.keys.get(kid)
        if entry is None:
            self.problem(n, "unknown_key", f"signed by key {kid}, never registered")
            return
        if entry.actor != p["actor"]:
            self.problem(n, "key_actor", f"key {kid} belongs to another actor")
        if not entry.active:
            self.problem(n, "revoked_key", f"key {kid} was rotated or revoked before this")
        allowed = EVENT_TYPES[kind].roles if kind in EVENT_TYPES else frozenset()
        if not allowed & entry.roles:
            self.problem(n, "role", f"'{p['actor']}' may not record '{kind}'")
        if kind == "actor-registered" and data["key_id"] not in self.keys:
            self.keys[data["key_id"]] = KeyEntry(
                data["actor"], bytes.fromhex(data["public_key"]), frozenset(data["roles"]))
        elif kind in ("actor-key-rotated", "actor-revoked"):
            roles = frozenset()
            for e in self.keys.values():
                if e.actor == data["actor"] and e.active:
                    e.active, roles = False, e.roles
            if kind == "actor-key-rotated":
                self.keys[data["key_id"]] = KeyEntry(
                    data["actor"], bytes.fromhex(data["public_key"]), roles)
        elif kind == "checkpoint-signed":
            self.claimed.append((n, data))
            frontier = data.get("frontier")
            if frontier is not None and CompactRange(
                    data["size"], [bytes.fromhex(h) for h in frontier]).root().hex() \
                    != data["root_hash"]:
                self.problem(n, "checkpoint", "the checkpoint's frontier does not give its "
                                              "root")


def _pool(workers: int) -> Executor | None:
    if workers <= 1:
        return None
    return ProcessPoolExecutor(workers, mp_context=get_context("fork"))


def _seed(app: LedgerApplication, v: Verifier, since: int) -> None:
    """Start after position ``since``: trust what an earlier run verified up to there,
    replaying only the key registry (actor events) and the last stored link."""
    t = app.events_table
    with app.engine.connect() as conn:
        rows = conn.execute(select(t.c.position, t.c.state)
                            .where(t.c.position <= since,
                                   t.c.event_type.in_(["actor-registered", "actor-key-rotated",
                                                       "actor-revoked"]))
                            .order_by(t.c.position)).all()
        link_row = conn.execute(select(t.c.chain_hash).where(t.c.position == since)).first()
    quiet = Verifier(Report())
    for position, state in rows:
        quiet.authority(position, json.loads(bytes(state)))
    v.keys = quiet.keys
    if link_row is not None:
        v.stored_previous = bytes(link_row[0])
        v.chain = [v.stored_previous]


def verify_ledger(app: LedgerApplication, checkpoint: dict[str, Any] | None = None,
                  workers: int | None = None,
                  progress: Callable[[int], None] | None = None,
                  since: int = 0) -> Report:
    """Verify the whole ledger, or only the events after position ``since`` (the nightly
    job verifies what was appended since its last checkpoint)."""
    report = Report()
    v = Verifier(report)
    if since:
        _seed(app, v, since)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    pool = _pool(workers)
    batches: list[tuple[Any, list[tuple[int, bytes]]]] = []
    items: list[tuple[Any, ...]] = []
    links: list[tuple[int, bytes]] = []

    def flush() -> None:
        nonlocal items, links
        if items:
            work = pool.submit(hash_and_verify, items) if pool else hash_and_verify(items)
            batches.append((work, links))
            items, links = [], []
            if progress:
                progress(BATCH)

    n = since
    cp_size = _checkpoint_size(checkpoint)
    start_id = _id_at(app, since) if since else 0
    try:
        for n, row in enumerate(app.rows(COLUMNS, start_id=start_id), start=since + 1):
            items.append(v.inspect(n, row))
            links.append((n, bytes(row[6])))
            if len(items) >= BATCH:
                flush()
        flush()
        for work, batch_links in batches:
            leaves, bad = work.result() if pool else work
            for (position, chain_hash), leaf in zip(batch_links, leaves):
                v.link(position, leaf, chain_hash)
                if position == cp_size:
                    v.roots[position] = v.tree.root()
            for position in bad:
                v.problem(position, "signature", "signature does not verify")
    finally:
        if pool:
            pool.shutdown()
    report.events_checked = n - since
    report.head_hash = v.chain[-1].hex()
    report.root_hash = v.tree.root().hex()
    _check_head(app, v, n)
    for position, claim in v.claimed if not since else ():
        if claim["size"] < len(v.chain) and v.chain[claim["size"]].hex() != claim["head_hash"]:
            v.problem(position, "checkpoint", "a signed checkpoint in the ledger no longer "
                                              "matches the history before it")
    if checkpoint is not None:
        for p in checkpoint_problems(checkpoint, v.chain, v.roots, v.keys, n):
            report.problems.append(p)
    return report


def _id_at(app: LedgerApplication, position: int) -> int:
    t = app.events_table
    with app.engine.connect() as conn:
        return conn.execute(select(t.c.id).where(t.c.position == position)).scalar() or 0


def _checkpoint_size(checkpoint: dict[str, Any] | None) -> int | None:
    try:
        return int(checkpoint["size"]) if checkpoint else None
    except (KeyError, TypeError, ValueError):
        return None


def _check_head(app: LedgerApplication, v: Verifier, n: int) -> None:
    with app.engine.connect() as conn:
        head = conn.execute(select(head_table.c.position, head_table.c.chain_hash)).first()
    if head is None or head[0] != n or bytes(head[1]) != v.stored_previous:
        v.problem(n + 1 if head is None or head[0] > n else n, "head",
                  f"the ledger's head says {head[0] if head else 'nothing'} events, "
                  f"{n} found: events were removed or added outside the ledger")
