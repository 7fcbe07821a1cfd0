"""The parallel half of verify: everything about a batch of rows that needs no row
outside it, done in a worker process.

For each row: its own checks (ledger.verify_rows), its leaf hash, the link of its stored
chain hash to the stored hash of the row before it in the batch (the main process links
only the first row to the batch before), its Ed25519 signature and signed head, and the
batch's Merkle subtrees (ledger.merkle_ranges). A signature is checked with the key sent
for its key id (the registry's, or one that rows sent before register); the main process
accepts the answer only where that is the key its registry holds at that row, and checks
the rest itself (a rewritten registry), so the worker needs no registry and the findings
are the same.
"""

from __future__ import annotations

from concurrent.futures import Executor, ProcessPoolExecutor
from functools import lru_cache
from multiprocessing import get_context
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Engine

from ledger.chain import leaf_hash_of, link, signed_bytes
from ledger.heads import head_message
from ledger.merkle_ranges import range_hashes
from ledger.verify_rows import examine, stored

BATCH = 512  # small enough that both workers stay busy to the end


class Job(NamedTuple):
    rows: list[tuple[Any, ...]]  # (id, *verify_rows.COLUMNS) as stored
    n: int  # the position the row before the batch was checked as
    ledger_id: str  # as known before the batch (set by the row at position 1)
    leaves_before: int  # where the batch's leaves start in the Merkle tree
    keys: dict[str, bytes]  # key id -> public key, as the registry had them


class Checked(NamedTuple):
    facts: list[tuple[Any, ...]]  # verify_rows.Facts, as plain tuples
    # row index -> (findings before the stream checks, findings after, the steps after
    # the key registry's check): only rows that have any.
    notes: dict[int, tuple[Any, Any, Any]]
    leaves: bytes  # the leaf hashes, 32 bytes each, as one object to send
    first_hash: bytes  # the stored chain hash of the first row and the last
    last_hash: bytes
    bad_links: list[int]  # rows after the first whose stored link does not match
    hashes: list[bytes] | None  # every stored chain hash, only if a link is bad
    keys_used: dict[str, bytes]  # key id -> the public key the signatures were tried with
    bad_signatures: set[int]
    bad_heads: set[int]
    subtrees: list[tuple[int, bytes]]


@lru_cache(maxsize=4096)
def _key(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def signature_ok(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        _key(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def signed_parts(s: Any, n: int, ledger_id: str) -> tuple[bytes, bytes | None]:
    """What the row's signature and its signed head (if any) sign."""
    signed = signed_bytes(str(s.oid), -1 if s.version is None else s.version, s.topic,
                          b"" if s.state is None else s.state)
    message = None if s.head is None else head_message(ledger_id, n, s.chain_hash,
                                                       s.previous or 0)
    return signed, message


def check_batch(job: Job) -> Checked:
    n, ledger_id = job.n, job.ledger_id
    keys = Keys(job.keys)
    facts, notes, leaves, hashes = [], {}, [], []
    bad_links, bad, bad_heads = [], set(), set()
    common: dict[Any, Any] = {}  # one object per repeated value, so it is sent once
    previous_hash = None
    for i, row in enumerate(job.rows):
        s = stored(row)
        f, early, late, tail = examine(row, s, n + 1)
        n = f.n
        if n == 1:
            ledger_id = s.chain_hash.hex()
        auth, recorded_at = f.auth, f.recorded_at
        if auth is not None and auth[3] is None and type(auth[1]) is type(auth[2]) is str:
            # An event's type, key and actor repeat from row to row; one tuple each.
            auth = common.setdefault(auth, auth)
        if type(recorded_at) is str:
            recorded_at = common.setdefault(recorded_at, recorded_at)
        # Plain tuples: a named tuple costs a class lookup per row to unpickle.
        facts.append((n, f.oid, f.version, f.head, f.previous, recorded_at, auth))
        if early or late or tail:
            notes[i] = (early, late, tail)
        signed, message = signed_parts(s, n, ledger_id)
        leaf = leaf_hash_of(signed, s.signature)
        leaves.append(leaf)
        hashes.append(s.chain_hash)
        if previous_hash is not None and s.chain_hash != link(previous_hash, leaf):
            bad_links.append(i)
        previous_hash = s.chain_hash
        if auth is None:
            continue  # the registry is never consulted for this row
        public_key = keys.candidate(auth)
        if public_key is not None:
            if not signature_ok(public_key, s.signature, signed):
                bad.add(i)
            if message is not None and not signature_ok(public_key, s.head, message):
                bad_heads.add(i)
    return Checked(facts, notes, b"".join(leaves), hashes[0], hashes[-1], bad_links,
                   hashes if bad_links else None, keys.used, bad, bad_heads,
                   range_hashes(job.leaves_before, leaves))


class Keys:
    """The key each row's signature is tried with: the one sent for its key id (the
    registry's, or one registered in rows not yet settled), the same for the whole
    batch, and recorded so the main process can tell whether it was the right one."""

    def __init__(self, sent: dict[str, bytes]) -> None:
        self.sent = sent
        self.used: dict[str, bytes] = {}

    def candidate(self, auth: tuple[Any, Any, Any, Any]) -> bytes | None:
        kid = auth[1]
        if type(kid) is not str or kid not in self.sent:
            return None  # the registry lookup fails there, or finds no key
        public_key = self.used[kid] = self.sent[kid]
        return public_key


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
