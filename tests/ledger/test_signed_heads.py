"""Signed heads (issue 9): an insider with write access to the database and no key removes,
reorders or replays events and recomputes every unkeyed link; verify finds it with no
checkpoint, no receipt and no private key. Only whole final transactions can vanish
unseen by the ledger alone, and a receipt held elsewhere finds that."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, strategies as st

from ledger.canonical import canonical_json
from ledger.errors import UnsignedHeadError
from ledger.heads import head_message
from ledger.signing import verify_signature
from ledger.verify import verify_ledger
from service.actors import load_actor_signer
from service.recording import import_lines
from service.writer import Writer, make_intent
from tests.helpers import REFERRAL, Ledger
from tests.ledger.tamper import raw, rechain, row_at, rows_from
from tests.ledger.test_tamper import ledger  # noqa: F401  (the same small ledger)


def kinds(report) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for p in report.problems:
        out.setdefault(p.kind, set()).add(p.position)
    return out


def heads(ledger: Ledger) -> dict[int, bytes | None]:
    with raw(ledger.home) as db:
        return {r["position"]: r["head_signature"] for r in rows_from(db, 1)}


def import_three(ledger: Ledger) -> list:
    lines = [json.dumps({"type": "reported-to-partners", "case": f"T-{i}",
                         "data": {"on": "2025-12-19"}, "as": "bu1"}) for i in (7, 8, 9)]
    for i in (7, 8, 9):
        ledger.record("bu1", "incident-referred", f"T-{i}", REFERRAL, "2025-12-18")
    return import_lines(ledger.app, ledger.home, [l + "\n" for l in lines], "bu1")


def test_each_write_transaction_signs_its_head_with_the_writers_key(ledger):
    receipts = import_three(ledger)
    signed = {p for p, h in heads(ledger).items() if h is not None}
    # Every single-event write is its own transaction; the import is one of three events.
    assert receipts[-1].position in signed
    assert not {r.position for r in receipts[:-1]} & signed
    size = ledger.app.size()
    assert set(range(1, size + 1)) - signed == {1, 2, *(r.position for r in receipts[:-1])}
    with raw(ledger.home) as db:
        last = row_at(db, size)
        first = row_at(db, 1)
    bu1 = load_actor_signer(ledger.home, "bu1")
    message = head_message(bytes(first["chain_hash"]).hex(), size, bytes(last["chain_hash"]),
                           last["head_previous"])
    assert last["head_previous"] == receipts[-1].position - 3  # the import: 3 events
    assert verify_signature(bu1.public_key_raw, bytes(last["head_signature"]), message)
    assert verify_ledger(ledger.app).ok


def test_a_deleted_event_is_found_with_the_chain_recomputed(ledger):
    k = 10
    with raw(ledger.home) as db:
        rest = rows_from(db, k)
        rechain(db, k, rest[1:])
    found = kinds(verify_ledger(ledger.app))
    assert min(found["head_signature"]) == k  # the first signed head after the deletion
    assert found["head_signature"] == set(range(k, ledger.app.size() + 1)) & {
        p for p, h in heads(ledger).items() if h is not None}


def test_two_events_swapped_are_found_with_the_chain_recomputed(ledger):
    k = ledger.app.size() - 2
    with raw(ledger.home) as db:
        a, b, c = rows_from(db, k)
        rechain(db, k, [b, a, c])
    found = kinds(verify_ledger(ledger.app))
    assert found["head_signature"] == {k, k + 1, k + 2}


def test_a_replayed_event_is_found(ledger):
    size = ledger.app.size()
    with raw(ledger.home) as db:
        # The unique (stream, version) index would refuse the copy: the insider drops it.
        db.execute("DROP INDEX cspr_events_aggregate_idx")
        rows = rows_from(db, size - 1)
        rechain(db, size - 1, [*rows, rows[0]])
    found = kinds(verify_ledger(ledger.app))
    assert found["version"] == {size + 1}
    assert found["head_signature"] == {size + 1}


def test_the_end_of_a_transaction_cut_off_is_found(ledger):
    receipts = import_three(ledger)
    end = receipts[-1].position
    with raw(ledger.home) as db:
        rechain(db, end - 1, rows_from(db, end - 1)[:1])  # the import's last event gone
    found = kinds(verify_ledger(ledger.app))
    assert found == {"head_signature": {end - 1}}


def test_an_altered_head_signature_is_found_where_it_is(ledger):
    k = 9
    with raw(ledger.home) as db:
        sig = bytearray(row_at(db, k)["head_signature"])
        sig[5] ^= 1
        db.execute("UPDATE cspr_events SET head_signature = :s WHERE position = :p",
                   {"s": bytes(sig), "p": k})
    assert kinds(verify_ledger(ledger.app)) == {"head_signature": {k}}
    assert kinds(verify_ledger(ledger.app, workers=1)) == {"head_signature": {k}}


def test_whole_final_transactions_cut_off_need_a_receipt(ledger):
    kept = ledger.record("bu1", "referrer-informed", "T-1", {"on": "2025-12-24"},
                         "2025-12-24")
    assert kept.head is not None and kept.head.position == kept.position
    size = ledger.app.size()
    with raw(ledger.home) as db:
        rechain(db, size - 1, rows_from(db, size - 1)[:1])
    # The ledger alone cannot tell: what is left ends in a valid signed head.
    assert verify_ledger(ledger.app).ok
    found = kinds(verify_ledger(ledger.app, receipts=[kept.head.as_json()]))
    assert found == {"truncated": {size}}


def test_a_receipt_finds_a_rewritten_history(ledger):
    kept = ledger.record("bu1", "referrer-informed", "T-1", {"on": "2025-12-24"},
                         "2025-12-24").head
    assert verify_ledger(ledger.app, receipts=[kept.as_json()]).ok
    with raw(ledger.home) as db:
        rows = rows_from(db, 10)
        rechain(db, 10, rows[1:] + rows[:1])
    found = kinds(verify_ledger(ledger.app, receipts=[kept.as_json()]))
    assert kept.position in found["receipt"]


@pytest.mark.parametrize("field,value", [("head_signature", "00" * 64),
                                         ("ledger", "ab" * 32), ("position", "7"),
                                         ("actor", "p1")])
def test_a_forged_or_foreign_receipt_is_a_finding(ledger, field, value):
    kept = ledger.record("bu1", "referrer-informed", "T-1", {"on": "2025-12-24"},
                         "2025-12-24").head.as_json()
    assert verify_ledger(ledger.app, receipts=[kept]).ok
    found = kinds(verify_ledger(ledger.app, receipts=[{**kept, field: value}]))
    assert found == {"receipt": {0}}


def launder(ledger: Ledger, k: int) -> None:
    """Delete the event at ``k``, recompute the chain and clear every later head signature:
    what an insider would do hoping the next honest write signs a head over it."""
    with raw(ledger.home) as db:
        rest = rows_from(db, k)
        rechain(db, k, [{**r, "head_signature": None} for r in rest[1:]])


def test_no_honest_write_signs_a_head_over_a_tampered_chain(ledger):
    launder(ledger, 9)  # the last actor's registration: the last event of its stream
    size = ledger.app.size()
    assert kinds(verify_ledger(ledger.app))["head_signature"] == {size}
    result = ledger.cli("--as", "bu1", "record", "referrer-informed", "--case", "T-1",
                        "--data", '{"on": "2025-12-24"}')
    assert result.exit_code == 1 and "not signed by its writer" in result.stderr
    assert ledger.app.size() == size  # nothing appended
    # An admin who has looked takes responsibility: the acknowledgement goes through, and
    # the finding stays reported, as acknowledged.
    ack = ledger.cli("--as", "admin", "record", "integrity-alarm-acknowledged", "--data",
                     json.dumps({"position": size, "kind": "head_signature",
                                 "action_taken": "made-up: reported to the DPO"}))
    assert ack.exit_code == 0, ack.output
    assert ledger.cli("--as", "bu1", "record", "referrer-informed", "--case", "T-1",
                      "--data", '{"on": "2025-12-24"}').exit_code == 0
    report = verify_ledger(ledger.app)
    assert [(p.position, p.kind, p.acknowledged_at is not None) for p in report.problems] \
        == [(size, "head_signature", True)]


def test_a_ledger_from_before_signed_heads_is_written_again_once_acknowledged(ledger):
    """Rows written before the column existed carry no head; only the end is judged, and
    the first write after is an admin's acknowledgement of that."""
    with raw(ledger.home) as db:
        db.execute("UPDATE cspr_events SET head_signature = NULL")
    size = ledger.app.size()
    assert kinds(verify_ledger(ledger.app)) == {"head_signature": {size}}
    bu1 = load_actor_signer(ledger.home, "bu1")
    intent = make_intent("referrer-informed", "T-1", {"on": "2025-12-24"}, "2025-12-24",
                         "bu1", datetime.now(timezone.utc))
    other = ledger.reopen()  # another process: it did not write the head itself
    with pytest.raises(UnsignedHeadError):
        Writer(other.app).append([intent], {"bu1": bu1})
    ack = make_intent("integrity-alarm-acknowledged", None, {
        "position": size, "kind": "head_signature", "action_taken": "made-up: upgraded"},
        None, "admin", datetime.now(timezone.utc))
    Writer(other.app).append([ack], {"admin": load_actor_signer(ledger.home, "admin")})
    Writer(other.app).append([intent], {"bu1": bu1})
    assert [p.acknowledged_at is not None for p in verify_ledger(other.app).problems] \
        == [True]


def test_one_key_cannot_sign_a_head_over_other_transactions(ledger):
    """The insider holds one actor's key (the last writer's) and the database: delete the
    last event of a stream, recompute the chain, clear the later heads and sign one new
    head over the rest, naming the last untouched head as the previous end. Every head
    now verifies; but one transaction records all its events at one instant, and this
    "transaction" spans several."""
    k = 9  # the last actor's registration
    with raw(ledger.home) as db:
        rest = rows_from(db, k)
        rechain(db, k, [{**r, "head_signature": None, "head_previous": None}
                        for r in rest[1:]])
        end = row_at(db, k + len(rest) - 2)
        first = row_at(db, 1)
        assert end["actor"] == "bu1"
        bu1 = load_actor_signer(ledger.home, "bu1")
        message = head_message(bytes(first["chain_hash"]).hex(), end["position"],
                               bytes(end["chain_hash"]), k - 1)
        db.execute("UPDATE cspr_events SET head_signature = :s, head_previous = :p "
                   "WHERE position = :n", {"s": bu1.sign(message), "p": k - 1,
                                           "n": end["position"]})
    found = kinds(verify_ledger(ledger.app))
    assert found == {"transaction": {ledger.app.size()}}


@given(ledger_id=st.text("0123456789abcdef", max_size=64) | st.text(max_size=8),
       position=st.integers(0, 2 ** 63), previous=st.integers(-2, 2 ** 63),
       chain_hash=st.binary(max_size=40))
def test_the_head_message_is_canonical_json(ledger_id, position, previous, chain_hash):
    """The writer's fast path gives exactly docs/evidence-format.md §8's bytes."""
    assert head_message(ledger_id, position, chain_hash, previous) == (
        b"cspr-ledger/head/v1\n" + canonical_json(
            {"chain_hash": chain_hash.hex(), "ledger": ledger_id, "position": position,
             "previous": previous}))
