"""A run of leaves hashed on its own, then joined to the tree on its left.

Verify's workers each hash a batch of leaves; building the batch's aligned subtrees there
leaves the main process one hash per subtree (about log2 of the batch size) instead of
one compact-range append per event. The subtrees are those of RFC 9162's tree: each
covers 2^k leaves starting at a multiple of 2^k, so joining them to a tree whose size is
where the run starts gives exactly the tree of all the leaves appended one by one.
"""

from __future__ import annotations

from typing import Sequence

from ledger.merkle import CompactRange, node_hash


def range_hashes(start: int, leaves: Sequence[bytes]) -> list[tuple[int, bytes]]:
    """(height, hash) of the aligned perfect subtrees covering leaves start .. start +
    len(leaves) - 1, left to right."""
    stack: list[tuple[int, bytes]] = []
    for index, h in enumerate(leaves, start):
        height = 0
        # A right child whose left sibling lies wholly in the run merges with it; a
        # sibling that began before ``start`` is the tree's to merge, at join time.
        while index & 1 and stack and stack[-1][0] == height:
            h = node_hash(stack.pop()[1], h)
            height += 1
            index >>= 1
        stack.append((height, h))
    return stack


def join(tree: CompactRange, subtrees: Sequence[tuple[int, bytes]]) -> CompactRange:
    """``tree`` with the run whose ``range_hashes`` are ``subtrees`` appended; the run
    must start at ``tree.size``."""
    size, hashes = tree.size, list(tree.hashes)
    for height, h in subtrees:
        carry = size >> height
        # Binary carry, as CompactRange.append does one level up per trailing 1-bit.
        while carry & 1:
            h = node_hash(hashes.pop(), h)
            carry >>= 1
        hashes.append(h)
        size += 1 << height
    return CompactRange(size, hashes)
