"""The one-pass proofs of evidence.tree agree with ledger.merkle's one-proof-at-a-time
functions (themselves checked against the RFC 9162 vectors), for every shape of tree."""

from __future__ import annotations

import hashlib
import random

import pytest

from evidence import verify_pack
from evidence.tree import Proofs
from ledger.merkle import consistency_proof, inclusion_proof, root_from_leaf_hashes


@pytest.mark.parametrize("size", [*range(1, 34), 64, 100, 257, 1000])
def test_one_pass_gives_every_proof_of_the_tree(size):
    rng = random.Random(size)
    leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(size)]
    positions = rng.sample(range(1, size + 1), min(size, 9))
    since = rng.randint(1, size)
    proofs = Proofs(size, positions, since)
    for leaf in leaves:
        proofs.append(leaf)
    proofs.finish()
    root = root_from_leaf_hashes(leaves)
    assert proofs.root() == root == proofs.tree().root()
    assert proofs.roots[since] == root_from_leaf_hashes(leaves[:since])
    for p in positions:
        assert proofs.inclusion(p) == inclusion_proof(leaves, p - 1)
        # and the pack's standalone verifier accepts exactly that path
        assert verify_pack.root_from_inclusion(leaves[p - 1], p - 1, size,
                                               proofs.inclusion(p)) == root
    assert proofs.consistency() == consistency_proof(leaves, since)
    assert verify_pack.consistent(since, size, proofs.roots[since], root,
                                  proofs.consistency())
    if size > 1:
        assert not verify_pack.consistent(since, size, proofs.roots[since], root,
                                          proofs.consistency() + [root])


def test_fewer_leaves_than_the_size_is_refused():
    proofs = Proofs(4, [1])
    proofs.append(bytes(32))
    with pytest.raises(ValueError):
        proofs.finish()


@pytest.mark.parametrize("size", [*range(1, 40), 100, 257, 1000])
def test_proofs_from_subtree_hashes_are_the_proofs_from_every_leaf(size):
    """What service.pack_proofs does with the stored subtree hashes: only perfect
    subtrees are asked for, and the proofs are those of the one-pass walk."""
    rng = random.Random(size + 1)
    leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(size)]
    positions = rng.sample(range(1, size + 1), min(size, 9))
    since = rng.randint(1, size)
    extra = [(0, size)] if size > 1 else []
    walked = Proofs(size, positions, since, also=extra)
    for leaf in leaves:
        walked.append(leaf)
    walked.finish()
    asked: list[tuple[int, int]] = []

    def lookup(ranges):
        asked.extend(ranges)
        return {(lo, hi): root_from_leaf_hashes(leaves[lo:hi]) for lo, hi in ranges}

    looked = Proofs(size, positions, since, also=extra)
    looked.from_hashes(lookup)
    looked.finish()
    assert all((hi - lo) & (hi - lo - 1) == 0 and lo % (hi - lo) == 0 for lo, hi in asked)
    assert looked.root() == walked.root() == root_from_leaf_hashes(leaves)
    assert looked.roots[since] == walked.roots[since]
    assert looked.consistency() == walked.consistency()
    assert looked.tree().hashes == walked.tree().hashes
    for p in positions:
        assert looked.inclusion(p) == walked.inclusion(p)
    if extra:
        assert looked.hashes[(0, size)] == walked.hashes[(0, size)]
