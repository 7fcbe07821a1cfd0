"""Many RFC 9162 proofs from one pass over the leaves: what an evidence pack needs.

An inclusion proof (RFC 9162 §2.1.3) and a consistency proof (§2.1.4) are lists of
subtree hashes. Every subtree of the tree of size n is either perfect (2^h leaves from a
multiple of 2^h) or on its right edge (ending at n). So the proofs of a thousand events
and one consistency proof name, together, a set of ranges; streaming the n leaves once
through a compact range (``ledger.merkle.CompactRange``'s binary carry) produces the hash
of every perfect subtree at the moment its last leaf arrives, and the right-edge ones are
folded from what is left at the end. Cost: one pass, O(n) hashes and set look-ups, O(k
log n) memory for k proofs, never the O(k n) of one ``ledger.merkle.inclusion_proof`` per
event. ``ledger.proofs.proof_ranges`` names the ranges of a consistency proof.
"""

from __future__ import annotations

from typing import Callable, Iterable

from ledger.merkle import EMPTY_ROOT, CompactRange, node_hash
from ledger.proofs import frontier_ranges, proof_ranges

Range = tuple[int, int]  # [lo, hi): leaves lo+1..hi, i.e. positions lo+1..hi


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The sibling subtrees of PATH(index, D[size]), leaf to root (as
    ``ledger.merkle.inclusion_proof`` orders their hashes)."""
    if not 0 <= index < size:
        raise ValueError("leaf index outside the tree")
    out: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        if index - lo < k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
    out.reverse()
    return out


class Proofs:
    """Feed it the leaf hashes of positions 1..size in order (``append``), then read the
    proofs. ``root_at(m)`` is the root of the first m leaves, kept for ``roots`` given."""

    def __init__(self, size: int, positions: Iterable[int], since: int | None = None,
                 also: Iterable[Range] = ()):
        self.size = size
        self.positions = sorted(set(positions))
        self.paths = {p: inclusion_ranges(p - 1, size) for p in self.positions}
        self.since = since
        self.consistency_ranges = proof_ranges(since, size) if since else []
        self.wanted = {r for path in self.paths.values() for r in path}
        self.wanted.update(self.consistency_ranges)
        self.wanted.update(also)
        self.hashes: dict[Range, bytes] = {}
        self.stack: list[tuple[int, int, bytes]] = []
        self.n = 0
        self.roots: dict[int, bytes] = {}

    def append(self, leaf: bytes) -> None:
        i = self.n
        lo, hi, h = i, i + 1, leaf
        wanted, hashes, stack = self.wanted, self.hashes, self.stack
        if (lo, hi) in wanted:
            hashes[(lo, hi)] = h
        carry = i
        while carry & 1:
            plo, _, ph = stack.pop()
            lo, h = plo, node_hash(ph, h)
            if (lo, hi) in wanted:
                hashes[(lo, hi)] = h
            carry >>= 1
        stack.append((lo, hi, h))
        self.n = i + 1
        if self.n == self.since:
            self.roots[self.n] = self._fold(0)

    def from_hashes(self, lookup: Callable[[set[Range]], dict[Range, bytes]]) -> None:
        """Instead of ``append``-ing every leaf: ``lookup`` gives the hash of each perfect
        subtree wanted and of the compact range at ``size`` (and at ``since``), from
        which ``finish`` folds the right-edge ones."""
        frontier = frontier_ranges(self.size)
        earlier = frontier_ranges(self.since) if self.since else []
        perfect = {r for r in self.wanted if _is_perfect(r)}
        got = lookup(perfect | set(frontier) | set(earlier))
        self.hashes.update((r, got[r]) for r in perfect)
        self.stack = [(lo, hi, got[(lo, hi)]) for lo, hi in frontier]
        self.n = self.size
        if earlier:
            parts = [got[r] for r in earlier]
            root = parts[-1]
            for h in reversed(parts[:-1]):
                root = node_hash(h, root)
            self.roots[self.since] = root

    def _fold(self, lo: int) -> bytes:
        parts = [h for plo, _, h in self.stack if plo >= lo]
        if not parts:
            return EMPTY_ROOT
        r = parts[-1]
        for h in reversed(parts[:-1]):
            r = node_hash(h, r)
        return r

    def finish(self) -> None:
        """After the last leaf: the right-edge subtrees, from the compact range left."""
        if self.n != self.size:
            raise ValueError("fewer leaves than the tree's size")
        for lo, hi in self.wanted - self.hashes.keys():
            if hi != self.size:
                raise ValueError("a wanted range is neither perfect nor on the right edge")
            self.hashes[(lo, hi)] = self._fold(lo)

    def root(self) -> bytes:
        return self._fold(0)

    def tree(self) -> CompactRange:
        return CompactRange(self.n, [h for _, _, h in self.stack])

    def inclusion(self, position: int) -> list[bytes]:
        return [self.hashes[r] for r in self.paths[position]]

    def consistency(self) -> list[bytes]:
        return [self.hashes[r] for r in self.consistency_ranges]


def _is_perfect(r: Range) -> bool:
    width = r[1] - r[0]
    return width > 0 and not width & (width - 1) and r[0] % width == 0
