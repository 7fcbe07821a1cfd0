"""RFC 9162 Merkle Tree Hash (SHA-256) and the proofs built on it.

This module owns the tree arithmetic behind the ledger's signed checkpoints.
A checkpoint signs (tree size, root hash). From that, anyone holding a
checkpoint can be convinced without trusting us that:

* an entry is in the ledger (inclusion proof, RFC 9162 §2.1.3), and
* a later checkpoint only appended to an earlier one, so nothing was edited,
  removed or reordered in between (consistency proof, RFC 9162 §2.1.4).

The hashing and the proof shapes follow RFC 9162 (identical to RFC 6962 for
these parts) exactly, so an inspector can check our checkpoints with any
off-the-shelf CT / transparency-log verifier rather than with our code.

Only ``hashlib`` is used so that the verification half can be lifted into a
standalone inspector tool with no dependencies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

__all__ = [
    "HASH_SIZE",
    "EMPTY_ROOT",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "inclusion_proof",
    "verify_inclusion",
    "consistency_proof",
    "verify_consistency",
    "CompactRange",
]

HASH_SIZE = 32

# Distinct prefixes keep a leaf from ever being reinterpreted as an interior
# node (second-preimage attack on the tree); RFC 9162 §2.1.1.
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

_sha256 = hashlib.sha256

EMPTY_ROOT: bytes = _sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry)."""
    return _sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def _is_hash(value: object) -> bool:
    return isinstance(value, (bytes, bytearray)) and len(value) == HASH_SIZE


def _is_size(value: object) -> bool:
    # bool is an int subclass; True as a tree size is a caller bug, not 1.
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _split(n: int) -> int:
    """Largest power of two strictly below n (n >= 2): RFC 9162's k."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_leaf_hashes(leaf_hashes: Sequence[bytes]) -> None:
    # Passing raw entries instead of leaf hashes would silently yield a
    # different, unverifiable tree; refuse it loudly at the producing side.
    for h in leaf_hashes:
        if not _is_hash(h):
            raise ValueError("leaf_hashes must be 32-byte leaf hashes (use leaf_hash())")


def _mth(leaf_hashes: Sequence[bytes]) -> bytes:
    # Pairing neighbours level by level and promoting an odd last node
    # unchanged builds exactly the RFC's "largest power of two on the left"
    # tree, without the RFC pseudo-code's recursion and slice copies.
    level = list(leaf_hashes)
    if not level:
        return EMPTY_ROOT
    sha, prefix = _sha256, _NODE_PREFIX
    while len(level) > 1:
        odd = level[-1] if len(level) & 1 else None
        level = [sha(prefix + l + r).digest() for l, r in zip(level[0::2], level[1::2])]
        if odd is not None:
            level.append(odd)
    return bytes(level[0])


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over already-hashed leaves; EMPTY_ROOT for no leaves."""
    _check_leaf_hashes(leaf_hashes)
    return _mth(leaf_hashes)


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) of RFC 9162 §2.1.3.1, ordered leaf-to-root."""
    _check_leaf_hashes(leaf_hashes)
    n = len(leaf_hashes)
    if not _is_size(index) or index >= n:
        raise ValueError(f"leaf index {index!r} outside tree of size {n}")
    # Walk down from the root collecting the sibling subtree at each split;
    # the RFC emits them deepest-first, hence the reversal at the end.
    siblings: list[bytes] = []
    lo, hi = 0, n
    while hi - lo > 1:
        k = _split(hi - lo)
        if index - lo < k:
            siblings.append(_mth(leaf_hashes[lo + k : hi]))
            hi = lo + k
        else:
            siblings.append(_mth(leaf_hashes[lo : lo + k]))
            lo += k
    siblings.reverse()
    return siblings


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) of RFC 9162 §2.1.4.1, for 0 < old_size <= n.

    A proof from the empty tree is refused: it would prove nothing, and
    verify_consistency() rejects old_size == 0 anyway.
    """
    _check_leaf_hashes(leaf_hashes)
    n = len(leaf_hashes)
    if not _is_size(old_size) or not 0 < old_size <= n:
        raise ValueError(f"old_size {old_size!r} must be in 1..{n}")
    # Iterative SUBPROOF(m, D[lo:hi], b): `whole` is the RFC's b flag, true
    # while the old tree is still a left-aligned prefix the verifier already
    # knows the root of, so that subtree need not be sent.
    siblings: list[bytes] = []
    lo, hi, m, whole = 0, n, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            siblings.append(_mth(leaf_hashes[lo + k : hi]))
            hi = lo + k
        else:
            siblings.append(_mth(leaf_hashes[lo : lo + k]))
            lo, m, whole = lo + k, m - k, False
    proof = [] if whole else [_mth(leaf_hashes[lo:hi])]
    proof.extend(reversed(siblings))
    return proof


def _proof_list(proof: object) -> list[bytes] | None:
    # A bytes blob is a Sequence too, but of ints, so it fails _is_hash below.
    if not isinstance(proof, Sequence):
        return None
    items = list(proof)
    return [bytes(p) for p in items] if all(_is_hash(p) for p in items) else None


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2. False, never an exception, for any bad input."""
    path = _proof_list(proof)
    if (
        path is None
        or not (_is_hash(leaf_hash) and _is_hash(root))
        or not (_is_size(index) and _is_size(tree_size))
        or index >= tree_size
    ):
        return False
    fn, sn = index, tree_size - 1
    r = bytes(leaf_hash)
    for p in path:
        if sn == 0:
            return False  # more proof than tree: trailing garbage
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2. False, never an exception, for any bad input.

    old_size == 0 is always rejected (as the transparency-dev vectors
    require): every tree extends the empty one, so such a "proof" shows
    nothing and accepting it would only invite callers to skip a real check.
    """
    path = _proof_list(proof)
    if path is None or not (_is_size(old_size) and _is_size(new_size)):
        return False
    if old_size == 0 or old_size > new_size:
        return False
    if not isinstance(old_root, (bytes, bytearray)) or not isinstance(new_root, (bytes, bytearray)):
        return False
    if old_size == new_size:
        # Nothing to recompute: same size must mean the very same root. No
        # length check here: the vectors accept equal non-32-byte roots.
        return not path and old_root == new_root
    if not path or not (_is_hash(old_root) and _is_hash(new_root)):
        return False

    if old_size & (old_size - 1) == 0:
        # Old tree is a complete subtree of the new one, so the prover omits
        # it; the verifier supplies it from the checkpoint it already trusts.
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False  # trailing garbage
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


class CompactRange:
    """Right edge of a growing tree: O(log n) subtree roots, not n leaves.

    Lets a checkpoint be computed by streaming the ledger once, and be
    resumed later from a persisted (size, hashes) pair. ``hashes`` holds the
    roots of the perfect subtrees that make up the tree, largest (leftmost)
    first; there is one per set bit of ``size``.
    """

    __slots__ = ("_size", "_hashes")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        hs = [bytes(h) if _is_hash(h) else h for h in hashes]
        if not _is_size(size) or len(hs) != size.bit_count() or not all(map(_is_hash, hs)):
            raise ValueError("hashes must be one 32-byte subtree root per set bit of size")
        self._size = size
        self._hashes: list[bytes] = hs

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> None:
        if not _is_hash(leaf_hash):
            raise ValueError("append() takes a 32-byte leaf hash (use leaf_hash())")
        h, n = bytes(leaf_hash), self._size
        # Each trailing 1-bit of the old size is a perfect subtree of the same
        # height as the one being carried, so they merge like binary carry.
        while n & 1:
            h = node_hash(self._hashes.pop(), h)
            n >>= 1
        self._hashes.append(h)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        for h in leaf_hashes:
            self.append(h)

    def root(self) -> bytes:
        if not self._hashes:
            return EMPTY_ROOT
        # MTH nests to the right, so fold the smaller subtrees in first.
        r = self._hashes[-1]
        for h in reversed(self._hashes[:-1]):
            r = node_hash(h, r)
        return r

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"
