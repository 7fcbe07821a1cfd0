"""The stored subtree hashes (ledger.merkle_cache) and the pack proofs built on them
(service.pack_proofs): every hash they give is the RFC 9162 hash of those events, and a
tampered or missing row costs a recomputation, never a wrong proof or a checkpoint over
a tree the events do not give."""

from __future__ import annotations

import json

from sqlalchemy import delete, select, update

from ledger import merkle_cache
from ledger.checkpoint import read_leaves
from ledger.merkle import (consistency_proof, root_from_leaf_hashes, verify_consistency,
                           verify_inclusion)
from ledger.schema import merkle_table
from service.evidence import create_checkpoint
from service.pack_checkpoint import reusable_checkpoint
from service.pack_proofs import pack_proofs
from tests.helpers import make_ledger, write_generated


def perfect_ranges(size: int) -> list[tuple[int, int]]:
    out, width = [], 1
    while width <= size:
        out += [(lo, lo + width) for lo in range(0, size - width + 1, width)]
        width *= 2
    return out


def stored(app) -> list[tuple[int, int, bytes]]:
    t = merkle_table.c
    with app.engine.connect() as conn:
        return [(lv, i, bytes(h)) for lv, i, h in conn.execute(
            select(t.level, t.idx, t.hash).order_by(t.level, t.idx))]


def tamper(app, level: int, idx: int) -> None:
    t = merkle_table.c
    with app.engine.begin() as conn:
        n = conn.execute(update(merkle_table).where(t.level == level, t.idx == idx)
                         .values(hash=bytes(32))).rowcount
    assert n == 1


def test_every_perfect_subtree_hash_is_the_events_own(home):
    lg = make_ledger(home)
    write_generated(lg, seed=3, cases=8, extra=100)
    leaves, _ = read_leaves(lg.app)
    size = len(leaves)
    assert size > 256  # a stored node of level 8 exists
    ranges = perfect_ranges(size)
    for upto in (0, 15, 16, 200, size):
        merkle_cache.reset(lg.app)
        covered = merkle_cache.extend(lg.app, upto)
        assert covered == upto >> 4 << 4
        for trusted in (None, 0, 100, size):
            got = merkle_cache.subtree_hashes(lg.app, ranges, size, trusted)
            wrong = [r for r in ranges if got[r] != root_from_leaf_hashes(leaves[r[0]:r[1]])]
            assert not wrong, (upto, trusted, wrong[:3])
    levels = {lv for lv, _, _ in stored(lg.app)}
    assert levels == {4, 8}


def test_extending_in_steps_stores_what_one_pass_stores(home):
    lg = make_ledger(home)
    write_generated(lg, seed=4, cases=5, extra=20)
    size = lg.app.size()
    merkle_cache.extend(lg.app, size)
    whole = stored(lg.app)
    merkle_cache.reset(lg.app)
    for upto in (1, 17, 40, 255, 256, 300, size):
        merkle_cache.extend(lg.app, upto)
    assert stored(lg.app) == whole
    # A row removed by hand leaves a gap: the next extension starts again from nothing.
    t = merkle_table.c
    with lg.app.engine.begin() as conn:
        conn.execute(delete(merkle_table).where(t.level == 4, t.idx == 3))
    write_generated(lg, seed=11, cases=1, extra=5)
    assert merkle_cache.refresh(lg.app, lg.app.size()) == lg.app.size() >> 4 << 4
    assert stored(lg.app)[:len(whole)] == whole


def _check(app, proofs, positions, size, root) -> None:
    leaves, _ = read_leaves(app)
    assert proofs.root() == root == root_from_leaf_hashes(leaves[:size])
    for p in positions:
        assert verify_inclusion(leaves[p - 1], p - 1, size, proofs.inclusion(p), root)


def test_a_tampered_stored_hash_costs_a_recomputation_not_a_wrong_proof(home):
    lg = make_ledger(home)
    write_generated(lg, seed=5, cases=6, extra=60)
    cp = create_checkpoint(lg.app, lg.home)  # stores the subtree hashes as it signs
    size, root = cp["size"], bytes.fromhex(cp["root_hash"])
    assert merkle_cache.covered(lg.app) == size >> 4 << 4
    positions = {1, 2, 37, 150, size}
    for level, idx in ((4, 2), (8, 0), (4, (size >> 4) - 1)):
        tamper(lg.app, level, idx)
        proofs = pack_proofs(lg.app, size, positions, None, root)
        _check(lg.app, proofs, positions, size, root)
        assert merkle_cache.covered(lg.app) == 0  # emptied, not trusted again
        merkle_cache.extend(lg.app, size)


def test_a_new_checkpoint_never_signs_a_tree_from_tampered_stored_hashes(home, tmp_path):
    lg = make_ledger(home)
    write_generated(lg, seed=6, cases=6, extra=60)
    create_checkpoint(lg.app, lg.home)
    old = reusable_checkpoint(lg.app, 1, 0)
    write_generated(lg, seed=7, cases=2, extra=10)  # after the last checkpoint
    tamper(lg.app, 8, 0)  # inside the signed prefix: no longer its root
    size = lg.app.size()
    proofs = pack_proofs(lg.app, size, {size}, None, None)
    leaves, _ = read_leaves(lg.app)
    new_root = root_from_leaf_hashes(leaves)
    _check(lg.app, proofs, {size}, size, new_root)
    # The export signs the events' tree, consistent with the checkpoint signed before.
    assert merkle_cache.extend(lg.app, size) == size >> 4 << 4
    tamper(lg.app, 4, 1)
    out = lg.cli("evidence", "export", "--case", "G-7-00001", "--output",
                 str(tmp_path / "pack"), "--json")
    assert out.exit_code == 0, out.output
    note = json.loads((tmp_path / "pack" / "pack.json").read_text())["checkpoint"]
    assert note == {"size": size, "root_hash": new_root.hex()}
    assert lg.cli("verify").exit_code == 0
    assert lg.cli("evidence", "verify", str(tmp_path / "pack")).exit_code == 0
    assert verify_consistency(old["size"], size, bytes.fromhex(old["root_hash"]), new_root,
                              consistency_proof(leaves, old["size"]))


def test_stored_hashes_after_the_last_checkpoint_are_not_used_for_a_new_one(home):
    lg = make_ledger(home)
    write_generated(lg, seed=8, cases=4, extra=20)
    create_checkpoint(lg.app, lg.home)
    signed = lg.app.size()
    write_generated(lg, seed=9, cases=3, extra=20)
    size = lg.app.size()
    merkle_cache.extend(lg.app, size)  # blocks after the checkpoint, nobody signed them
    last = (size >> 4) - 1
    assert last << 4 >= signed
    tamper(lg.app, 4, last)
    proofs = pack_proofs(lg.app, size, {size - 20, size}, None, None)
    _check(lg.app, proofs, {size - 20, size}, size, proofs.root())
    assert merkle_cache.covered(lg.app) == size >> 4 << 4  # used only up to the checkpoint


def test_a_store_racing_another_writer_keeps_the_first_rows(home):
    lg = make_ledger(home)
    write_generated(lg, seed=10, cases=2, extra=10)
    merkle_cache.extend(lg.app, lg.app.size())
    before = stored(lg.app)
    assert before and not merkle_cache._store(lg.app, [
        {"level": lv, "idx": i, "hash": bytes(32)} for lv, i, _ in before[:1]])
    assert stored(lg.app) == before
