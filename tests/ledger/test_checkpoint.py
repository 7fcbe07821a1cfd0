"""Checkpoints extend the Merkle tree incrementally and agree with a full recomputation;
incremental verification checks only what came after a position."""

from __future__ import annotations

from ledger.checkpoint import read_leaves
from ledger.merkle import root_from_leaf_hashes, verify_consistency, consistency_proof
from ledger.verify import verify_ledger
from service.evidence import create_checkpoint
from tests.helpers import REFERRAL, make_ledger
from tests.ledger.tamper import raw


def test_incremental_checkpoints_match_a_full_tree_and_are_consistent(home):
    lg = make_ledger(home)
    first = create_checkpoint(lg.app, home)
    lg.record("bu1", "incident-referred", "CP-1", REFERRAL, "2025-12-18")
    lg.record("bu1", "reported-to-partners", "CP-1", {"on": "2025-12-19"}, "2025-12-19")
    second = create_checkpoint(lg.app, home)
    leaves, _ = read_leaves(lg.app)
    assert second["size"] == first["size"] + 3  # the first checkpoint's own event + 2
    assert second["root_hash"] == root_from_leaf_hashes(leaves[:second["size"]]).hex()
    proof = consistency_proof(leaves[:second["size"]], first["size"])
    assert verify_consistency(first["size"], second["size"], bytes.fromhex(first["root_hash"]),
                              bytes.fromhex(second["root_hash"]), proof)
    for cp in (first, second):
        assert verify_ledger(lg.app, checkpoint=cp).ok


def test_incremental_verify_checks_only_what_is_new(home):
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "CP-2", REFERRAL, "2025-12-18")
    mark = lg.app.size()
    lg.record("bu1", "reported-to-partners", "CP-2", {"on": "2025-12-19"}, "2025-12-19")
    report = verify_ledger(lg.app, since=mark)
    assert report.ok and report.events_checked == 1
    with raw(home) as db:  # damage an event after the mark: found
        db.execute("UPDATE cspr_events SET signature = :s WHERE position = :p",
                   {"s": bytes(64), "p": mark + 1})
    bad = verify_ledger(lg.app, since=mark)
    assert not bad.ok and {p.position for p in bad.problems} == {mark + 1}
