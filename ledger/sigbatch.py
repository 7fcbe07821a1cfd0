"""The parallel half of verify: hashing and Ed25519 checks of a batch, in a worker, and
the pipeline that keeps a few batches in flight and settles them in ledger order."""

from __future__ import annotations

from collections import deque
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from functools import lru_cache
from multiprocessing import get_context
from typing import Any, Callable

from sqlalchemy.engine import Engine

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.chain import leaf_hash_of, signed_bytes

BATCH = 512  # small enough that both workers stay busy to the end


@lru_cache(maxsize=4096)
def _key(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def hash_and_verify(batch: list[tuple]) -> tuple[list[bytes], list[int], list[int]]:
    """For each (originator_id, version, topic, state, signature, public_key, position,
    head_signature, head_message): the event's leaf hash, in order, the positions whose
    signature does not verify and those whose signed head does not (rows with no known key
    are reported elsewhere and only hashed here; most rows carry no head)."""
    leaves, bad, bad_heads = [], [], []
    for oid, version, topic, state, signature, public_key, position, head, message in batch:
        signed = signed_bytes(oid, version, topic, state)
        leaves.append(leaf_hash_of(signed, signature))
        if public_key is None:
            continue
        try:
            _key(public_key).verify(signature, signed)
        except (InvalidSignature, ValueError):
            bad.append(position)
        if head is not None:
            try:
                _key(public_key).verify(head, message)
            except (InvalidSignature, ValueError):
                bad_heads.append(position)
    return leaves, bad, bad_heads


class Pipeline:
    """Batches of signature work, at most a few in flight, settled in ledger order."""

    v: Any  # the verifier: inspect(row) -> work item, link(...), problem(...)

    def __init__(self, pool: Executor | None, workers: int,
                 progress: Callable[[int], None] | None) -> None:
        self.progress = progress
        self.pool = pool
        self.limit = 2 * workers if self.pool else 0
        self.inflight: deque[tuple[Any, list[tuple[int, bytes]]]] = deque()
        self.items: list[tuple[Any, ...]] = []
        self.links: list[tuple[int, bytes]] = []

    def add(self, row: Any) -> None:
        item, chain_hash = self.v.inspect(row)
        self.items.append(item)
        self.links.append((item[6], chain_hash))
        if len(self.items) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.items:
            work = (self.pool.submit(hash_and_verify, self.items) if self.pool
                    else hash_and_verify(self.items))
            self.inflight.append((work, self.links))
            self.items, self.links = [], []
        while len(self.inflight) > self.limit:
            self.settle()

    def settle(self) -> None:
        work, links = self.inflight.popleft()
        leaves, bad, bad_heads = work.result() if isinstance(work, Future) else work
        for (position, chain_hash), leaf in zip(links, leaves):
            self.v.link(position, leaf, chain_hash)
        for position in bad:
            self.v.problem(position, "signature", "signature does not verify")
        for position in bad_heads:
            self.v.problem(position, "head_signature", "the transaction's signed head does "
                           "not verify: an event before it was removed, added, moved or "
                           "changed")
        if self.progress:
            self.progress(len(links))

    def finish(self) -> None:
        self.flush()
        while self.inflight:
            self.settle()


def worker_pool(workers: int, engine: Engine) -> Executor | None:
    if workers <= 1:
        return None
    # A forked child must not inherit a database connection it could use or close
    # (SQLite and SQLAlchemy both forbid it; issue 8). So the parent closes its pooled
    # connections, and all workers are forked at once, before this verify opens its own;
    # each child also forgets the pool it inherited, as SQLAlchemy documents. Fork, not
    # spawn or forkserver: those re-run the caller's main module in every worker.
    engine.dispose()
    pool = ProcessPoolExecutor(workers, mp_context=get_context("fork"),
                               initializer=_forget, initargs=(engine,))
    pool.submit(int)  # with fork, the first submit forks every worker, here and now
    return pool


def _forget(engine: Engine) -> None:
    engine.dispose(close=False)
