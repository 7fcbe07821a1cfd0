"""RFC 9162 consistency proofs computed from the stored events, for the witness.

A witness that cosigned the ledger at size m asks, before cosigning size n, for a proof
that the first m events are unchanged (tlog-witness ``add-checkpoint``). The proof is a
list of subtree hashes (RFC 9162 §2.1.4.1). Those lying inside the old tree are exactly the
perfect subtrees of the compact range at m, which the ``checkpoint-signed`` event of size m
stores (its ``frontier``); those after it are read from the events m+1..n in one ordered
pass, each hashed by a compact range of its own, while the same pass extends the tree to
n for the new checkpoint. So the cost grows with what is new since the witness last
cosigned, memory stays O(log n), and nothing before m is read when the ledger
checkpointed at m (else the first m events are streamed once).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

from sqlalchemy import select

from domain.errors import CsprError, InvalidFieldError
from ledger.checkpoint import leaf_rows
from ledger.merkle import CompactRange

if TYPE_CHECKING:
    from ledger.app import LedgerApplication

Range = tuple[int, int]  # [lo, hi): leaves lo+1..hi, i.e. positions lo+1..hi


class ProofSizeError(InvalidFieldError):
    def __init__(self, new: int) -> None:
        super().__init__("proof_from", f"a size from 0 to {new} (the new checkpoint's)",
                         "out of range")


class HistoryChangedError(CsprError):
    def __init__(self) -> None:
        super().__init__("the stored events no longer give the Merkle tree the ledger's "
                         "checkpoints signed: history was changed; run 'cspr verify'")


@dataclass(frozen=True)
class Consistency:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    proof: list[bytes]
    tree: CompactRange  # the tree at new_size, for the checkpoint that signs it
    head: bytes | None  # the stored chain hash at new_size (None: no event was read)


def proof_ranges(old: int, new: int) -> list[Range]:
    """The subtrees whose hashes make PROOF(old, D[new]), in the RFC's order: the same
    walk as ``ledger.merkle.consistency_proof``, naming ranges instead of hashing them."""
    siblings: list[Range] = []
    lo, hi, m, whole = 0, new, old, True
    while m != hi - lo:
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        if m <= k:
            siblings.append((lo + k, hi))
            hi = lo + k
        else:
            siblings.append((lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    ranges = [] if whole else [(lo, hi)]
    ranges.extend(reversed(siblings))
    return ranges


def frontier_ranges(size: int) -> list[Range]:
    """The perfect subtrees of a compact range at ``size``, largest (leftmost) first."""
    out, lo = [], 0
    for bit in reversed(range(size.bit_length())):
        if size >> bit & 1:
            out.append((lo, lo + (1 << bit)))
            lo += 1 << bit
    return out


def stored_tree(app: "LedgerApplication", size: int) -> CompactRange | None:
    """The compact range a ``checkpoint-signed`` of ``size`` stored, if one did and its
    hashes give its root."""
    t = app.events_table
    with app.engine.connect() as conn:
        states = conn.execute(select(t.c.state).where(t.c.event_type == "checkpoint-signed")
                              .order_by(t.c.id.desc())).scalars()
        for state in states:
            try:
                data = json.loads(bytes(state))["data"]
                if int(data["size"]) != size or "frontier" not in data:
                    continue
                tree = CompactRange(size, [bytes.fromhex(h) for h in data["frontier"]])
            except (ValueError, KeyError, TypeError):
                continue
            if tree.root().hex() == data["root_hash"]:
                return tree
    return None


def tree_at(app: "LedgerApplication", size: int) -> CompactRange:
    """The compact range at ``size``: stored by a checkpoint, else streamed."""
    tree = stored_tree(app, size)
    if tree is None:
        tree = CompactRange()
        for leaf, _ in leaf_rows(app, 0, size):
            tree.append(leaf)
        if tree.size != size:
            raise HistoryChangedError()
    return tree


def consistency(app: "LedgerApplication", old: int, new: int,
                signed: Mapping[int, bytes]) -> Consistency:
    """PROOF(old, D[new]) from the stored events (from 0 it is empty: tlog-witness, the
    empty tree is consistent with any), and the tree at ``new`` built on the way.

    ``signed``: the roots the ledger signed at some sizes (its checkpoints). At each of
    them from ``old`` to ``new`` the events must still give that root: the ledger never
    offers, or signs, a tree inconsistent with one it signed before (tlog-checkpoint);
    a history changed since is refused here rather than sent to a witness."""
    if not 0 <= old <= new:
        raise ProofSizeError(new)
    old_tree = tree_at(app, old) if old else CompactRange()
    known = dict(zip(frontier_ranges(old), old_tree.hashes))
    ranges = proof_ranges(old, new) if old else []
    hashes = {r: known[r] for r in ranges if r in known}
    pending = sorted(r for r in ranges if r not in known) + [(new, -1)]  # old..new
    tree = CompactRange(old_tree.size, old_tree.hashes)
    _check(tree, signed)
    part, index, head = CompactRange(), 0, None
    for leaf, head in leaf_rows(app, old, new):
        tree.append(leaf)
        part.append(leaf)
        if tree.size == pending[index][1]:
            hashes[pending[index]] = part.root()
            part, index = CompactRange(), index + 1
        if tree.size in signed:
            _check(tree, signed)
    if tree.size != new:
        raise HistoryChangedError()
    return Consistency(old, new, old_tree.root(), tree.root(), [hashes[r] for r in ranges],
                       tree, head)


def _check(tree: CompactRange, signed: Mapping[int, bytes]) -> None:
    if tree.size in signed and tree.root() != signed[tree.size]:
        raise HistoryChangedError()
