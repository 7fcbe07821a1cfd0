"""The Merkle proofs of an evidence pack: from the stored subtree hashes
(ledger.merkle_cache) when what they give checks out against what the ledger signed,
else from every leaf of the ledger.

The stored hashes are not trusted. With a checkpoint the ledger already signed, the root
they give must be that checkpoint's. For a new checkpoint, only hashes of the first S
leaves are taken from the store, S being the size of the newest checkpoint the ledger
signed, and a consistency proof from S, built from the same hashes, must verify against
S's signed root; the leaves after S are read from the events. Either way, every event's
inclusion proof must verify with its leaf as computed from the stored event. Whatever
fails, the store is emptied and the proofs are computed from every leaf, as if it had
never existed: a stale or tampered row costs time, never a wrong proof or a signature
over a tree the events do not give. On a database that refuses writes (a replica) the
store is used as it is, neither extended nor emptied: what it lacks is computed from the
events, in memory.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from evidence.tree import Proofs
from ledger import merkle_cache
from ledger.app import LedgerApplication
from ledger.checkpoint import leaf_rows, leaves_at
from ledger.merkle import verify_consistency, verify_inclusion
from ledger.proofs import proof_ranges
from ledger.read_only import refuses_writes


def pack_proofs(app: LedgerApplication, size: int, positions: set[int],
                since: tuple[int, bytes] | None, signed_root: bytes | None) -> Proofs:
    """The proofs of ``positions`` in the tree of ``size`` (and from ``since``, the
    recipient's (size, root)). ``signed_root``: the root of the checkpoint the pack
    reuses (None: a new one will sign the tree)."""
    writable = not refuses_writes(app.engine)
    try:
        proofs = _from_store(app, size, positions, since, signed_root, writable)
    except merkle_cache.StaleCacheError:
        proofs = None
    if proofs is not None:
        return proofs
    if writable:
        merkle_cache.reset(app)
    proofs = Proofs(size, positions, since[0] if since else None)
    for leaf, _ in leaf_rows(app, 0, size):
        proofs.append(leaf)
    proofs.finish()
    return proofs


def _from_store(app: LedgerApplication, size: int, positions: set[int],
                since: tuple[int, bytes] | None, signed_root: bytes | None,
                writable: bool) -> Proofs | None:
    anchor = (size, signed_root) if signed_root is not None else _newest_signed(app, size)
    if anchor is None:
        return None  # nothing signed to check the store against
    trusted, anchor_root = anchor
    if writable:
        merkle_cache.extend(app, trusted)
    link = proof_ranges(trusted, size) if trusted < size else []
    proofs = Proofs(size, positions, since[0] if since else None, also=link)
    proofs.from_hashes(lambda ranges: merkle_cache.subtree_hashes(app, ranges, size,
                                                                  trusted))
    proofs.finish()
    root = proofs.root()
    if trusted == size and root != anchor_root:
        return None
    if trusted < size and not verify_consistency(trusted, size, anchor_root, root,
                                                 [proofs.hashes[r] for r in link]):
        return None
    if since is not None and proofs.roots.get(since[0]) != since[1]:
        return None
    if since is not None and since[0] < size and not verify_consistency(
            since[0], size, since[1], root, proofs.consistency()):
        return None
    leaves = leaves_at(app, sorted(p - 1 for p in positions))
    if len(leaves) != len(positions):
        return None
    for p in positions:
        if not verify_inclusion(leaves[p - 1], p - 1, size, proofs.inclusion(p), root):
            return None
    return proofs


def _newest_signed(app: LedgerApplication, size: int) -> tuple[int, bytes] | None:
    """(size, root) of the newest checkpoint the ledger signed of at most ``size`` events,
    as its ``checkpoint-signed`` event records them (the nightly extends the same)."""
    t = app.events_table
    with app.engine.connect() as conn:
        for (state,) in conn.execute(select(t.c.state).where(
                t.c.event_type == "checkpoint-signed").order_by(t.c.id.desc())):
            try:
                data = json.loads(bytes(state))["data"]
                cp_size, root = int(data["size"]), bytes.fromhex(data["root_hash"])
            except (ValueError, KeyError, TypeError, RecursionError):
                continue
            if 0 < cp_size <= size and len(root) == 32:
                return cp_size, root
    return None
