"""Verify split across worker processes (issue 13): the same report as one process, batch
boundaries included, with a bounded number of batches in flight; the Merkle subtrees the
workers build join to the same tree; an incremental verify reads only the new rows."""

from __future__ import annotations

import pytest

import ledger.sigbatch
from ledger.merkle import CompactRange, leaf_hash
from ledger.merkle_ranges import join, range_hashes
from ledger.verify import verify_ledger
from tests.helpers import Ledger, make_ledger, write_generated
from tests.ledger.tamper import raw, row_at

BATCH = 16  # small batches, so a small ledger crosses many batch boundaries


@pytest.fixture
def generated(home, monkeypatch) -> Ledger:
    monkeypatch.setattr(ledger.sigbatch, "BATCH", BATCH)
    lg = make_ledger(home)
    write_generated(lg, 1, 12)
    assert lg.app.size() > 8 * BATCH
    assert verify_ledger(lg.app, workers=1).ok
    return lg


def both(lg: Ledger) -> tuple[dict, dict]:
    """The report of one process and of two workers, with their pipeline counts."""
    s1: dict[str, int] = {}
    s2: dict[str, int] = {}
    single = verify_ledger(lg.app, workers=1, stats=s1).as_json()
    parallel = verify_ledger(lg.app, workers=2, stats=s2).as_json()
    assert s1["batches"] == s2["batches"] > 8
    return single, parallel


def found(report: dict) -> set[tuple[int, str]]:
    return {(p["position"], p["kind"]) for p in report["problems"]}


# The first row of a batch is linked by the main process, the others in a worker.
FIRST_OF_BATCH, INSIDE_BATCH = 4 * BATCH + 1, 5 * BATCH + 7


@pytest.mark.parametrize("k", [FIRST_OF_BATCH, INSIDE_BATCH])
def test_a_flipped_signature_byte_is_found_at_its_position_by_both(generated, k):
    with raw(generated.home) as db:
        sig = bytearray(row_at(db, k)["signature"])
        sig[10] ^= 1
        db.execute("UPDATE cspr_events SET signature = :s WHERE position = :p",
                   {"s": bytes(sig), "p": k})
    single, parallel = both(generated)
    assert single == parallel
    # The leaf covers the signature, so the link to it breaks too; nothing else does.
    assert found(parallel) == {(k, "signature"), (k, "chain")}


@pytest.mark.parametrize("k", [FIRST_OF_BATCH, INSIDE_BATCH])
def test_a_deleted_row_is_named_at_the_same_first_position_by_both(generated, k):
    with raw(generated.home) as db:
        db.execute("DELETE FROM cspr_events WHERE position = :p", {"p": k})
    single, parallel = both(generated)
    assert single == parallel
    assert min(p["position"] for p in parallel["problems"]) == k
    assert (k, "position") in found(parallel) and (k + 1, "chain") in found(parallel)


def test_a_changed_stream_version_is_found_across_batches_by_both(generated):
    k = INSIDE_BATCH
    with raw(generated.home) as db:
        db.execute("UPDATE cspr_events SET originator_version = originator_version + 5 "
                   "WHERE position = :p", {"p": k})
    single, parallel = both(generated)
    assert single == parallel
    assert min(p["position"] for p in parallel["problems"]) == k
    assert {(k, "version"), (k, "signature"), (k, "chain")} <= found(parallel)


def test_a_registration_the_workers_miss_is_checked_in_the_main_process(generated):
    # The registration's indexed type no longer says so, so no key is sent ahead for
    # it: the worker that gets the actor's first events cannot check them, and the main
    # process must (and must still find a bad one).
    reg = _position_of(generated, "actor-registered", "bu1")
    later = _first_signed_by(generated, "bu1", after=reg)
    with raw(generated.home) as db:
        db.execute("UPDATE cspr_events SET event_type = 'incident-referred' "
                   "WHERE position = :p", {"p": reg})
        sig = bytearray(row_at(db, later)["signature"])
        sig[3] ^= 1
        db.execute("UPDATE cspr_events SET signature = :s WHERE position = :p",
                   {"s": bytes(sig), "p": later})
    stats: dict[str, int] = {}
    report = verify_ledger(generated.app, workers=2, max_in_flight=8, stats=stats)
    assert stats["checked_here"] > 0
    assert found(report.as_json()) == {(reg, "column"), (later, "signature"),
                                       (later, "chain")}
    assert verify_ledger(generated.app, workers=1).as_json() == report.as_json()


@pytest.mark.parametrize("limit", [1, 3])
def test_a_small_max_in_flight_still_verifies_many_batches(generated, limit):
    stats: dict[str, int] = {}
    report = verify_ledger(generated.app, workers=2, max_in_flight=limit, stats=stats)
    assert report.ok and report.events_checked == generated.app.size()
    assert stats["batches"] > 8 and stats["peak_in_flight"] == limit
    single = verify_ledger(generated.app, workers=1)
    assert (report.head_hash, report.root_hash) == (single.head_hash, single.root_hash)


def test_an_incremental_verify_reads_only_the_rows_after_the_mark(generated):
    size = generated.app.size()
    mark = size - 5
    with raw(generated.home) as db:
        at_mark = bytes(row_at(db, mark)["chain_hash"])
    stats: dict[str, int] = {}
    report = verify_ledger(generated.app, since=mark, since_hash=at_mark, stats=stats)
    assert report.ok and stats["rows"] == 5 and report.size == size


@pytest.mark.parametrize("start", [0, 1, 3, 8, 13])
def test_subtrees_built_apart_join_to_the_tree_of_every_leaf(start):
    leaves = [leaf_hash(bytes([i])) for i in range(start + 40)]
    whole = CompactRange()
    whole.extend(leaves)
    left = CompactRange()
    left.extend(leaves[:start])
    for cut in (start + 1, start + 7, start + 40):  # runs of 1, 6 and 33 leaves
        before = left.size
        left = join(left, range_hashes(before, leaves[before:cut]))
        part = CompactRange()
        part.extend(leaves[:cut])
        assert (left.size, left.root()) == (cut, part.root())
    assert left.root() == whole.root()


def _position_of(lg: Ledger, event_type: str, actor: str) -> int:
    import json
    with raw(lg.home) as db:
        rows = db.execute("SELECT position, state FROM cspr_events WHERE event_type = :t",
                          {"t": event_type})
    return next(p for p, s in rows if json.loads(bytes(s))["data"]["actor"] == actor)


def _first_signed_by(lg: Ledger, actor: str, after: int) -> int:
    with raw(lg.home) as db:
        (pos,) = db.execute("SELECT min(position) FROM cspr_events WHERE actor = :a "
                            "AND position > :p", {"a": actor, "p": after})[0]
    return pos
