"""The tamper matrix: each change made with raw SQL on the real database is found, and
found at the right position."""

from __future__ import annotations

import json
import sqlite3

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

from ledger.chain import leaf_hash_of, link, signed_bytes
from ledger.verify import verify_ledger
from service.evidence import create_checkpoint
from tests.helpers import REFERRAL, Ledger, make_ledger
from tests.ledger.tamper import raw, row_at

THRESHOLD = {"meets_threshold": True, "rationale": "made-up rationale", "decided_by": ["A"]}


@pytest.fixture
def ledger(home) -> Ledger:
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "T-1", REFERRAL, "2025-12-18")
    lg.record("bu1", "reported-to-partners", "T-1", {"on": "2025-12-19"}, "2025-12-19")
    lg.record("p1", "threshold-decided", "T-1", THRESHOLD, "2025-12-22")
    lg.record("bu1", "national-panel-notified", "T-1", {"on": "2025-12-23"}, "2025-12-23")
    lg.record("bu1", "referrer-informed", "T-1", {"on": "2025-12-23"}, "2025-12-23")
    assert verify_ledger(lg.app).ok
    return lg


def positions(report, kinds=None) -> set[int]:
    return {p.position for p in report.problems if kinds is None or p.kind in kinds}


def find(ledger: Ledger, event_type: str) -> int:
    with raw(ledger.home) as db:
        (pos,) = db.execute("SELECT position FROM cspr_events WHERE event_type = :t",
                            {"t": event_type})[0]
    return pos


def test_changed_payload_byte_is_found_at_its_position(ledger):
    k = find(ledger, "threshold-decided")
    with raw(ledger.home) as db:
        state = bytes(row_at(db, k)["state"])
        i = state.index(b"made-up rationale")
        forged = state[:i] + b"M" + state[i + 1:]
        db.execute("UPDATE cspr_events SET state = :s WHERE position = :p",
                   {"s": forged, "p": k})
    report = verify_ledger(ledger.app)
    assert not report.ok
    assert positions(report, {"signature"}) == {k}
    assert positions(report, {"chain"}) == {k}
    # the parallel and the single-process verifier find exactly the same
    single = verify_ledger(ledger.app, workers=1)
    assert single.as_json() == report.as_json()


def test_changed_type_is_found(ledger):
    k = find(ledger, "reported-to-partners")
    with raw(ledger.home) as db:
        db.execute("UPDATE cspr_events SET topic = 'domain.events:ReferrerInformed', "
                   "event_type = 'referrer-informed' WHERE position = :p", {"p": k})
    report = verify_ledger(ledger.app)
    assert k in positions(report, {"signature"})
    assert k in positions(report, {"type"})


def test_deleted_middle_event_is_found_where_the_gap_is(ledger):
    k = find(ledger, "threshold-decided")
    with raw(ledger.home) as db:
        db.execute("DELETE FROM cspr_events WHERE position = :p", {"p": k})
    report = verify_ledger(ledger.app)
    assert positions(report, {"position"}) == {k}  # the gap, where it is
    assert positions(report, {"chain"}) == {k + 1}  # the next event links to nothing
    # One gap is one finding: events recorded afterwards add none, so the nightly's
    # alarm is acknowledged once, not once for every later event.
    ledger.record("bu1", "incident-referred", "T-2", REFERRAL, "2025-12-18")
    later = verify_ledger(ledger.app)
    assert later.as_json()["problems"] == report.as_json()["problems"]


def test_deleted_last_event_is_found_against_a_checkpoint(ledger):
    cp = create_checkpoint(ledger.app, ledger.home)
    n = cp["size"]
    with raw(ledger.home) as db:
        last = db.execute("SELECT max(position) FROM cspr_events")[0][0]
        prev = row_at(db, last - 1)
        db.execute("DELETE FROM cspr_events WHERE position >= :p", {"p": n})
        # A careful attacker also rewinds the head so the ledger looks whole on its own.
        prior = row_at(db, n - 1)
        db.execute("UPDATE cspr_head SET position = :p, chain_hash = :h",
                   {"p": n - 1, "h": prior["chain_hash"]})
    assert prev is not None
    assert verify_ledger(ledger.app).ok  # alone, a clean truncation is undetectable ...
    report = verify_ledger(ledger.app, checkpoint=cp)  # ... but not against a checkpoint
    assert not report.ok
    assert positions(report, {"truncated"}) == {n}


def test_deleted_last_event_is_found_by_the_head_when_not_rewound(ledger):
    with raw(ledger.home) as db:
        last = db.execute("SELECT max(position) FROM cspr_events")[0][0]
        db.execute("DELETE FROM cspr_events WHERE position = :p", {"p": last})
    report = verify_ledger(ledger.app)
    assert last in positions(report, {"head"})


def test_swapped_events_are_found_at_both_positions(ledger):
    a, b = find(ledger, "reported-to-partners"), find(ledger, "national-panel-notified")
    cols = ["originator_id", "originator_version", "topic", "state", "signature",
            "recorded_at", "case_ref", "actor", "key_id", "event_type"]
    with raw(ledger.home) as db:
        ra, rb = row_at(db, a), row_at(db, b)
        # Move both out of the way first: (originator_id, version) is unique.
        for tmp, r in ((-1, ra), (-2, rb)):
            db.execute("UPDATE cspr_events SET originator_version = :v WHERE id = :i",
                       {"v": tmp, "i": r["id"]})
        for row, target in ((rb, ra["id"]), (ra, rb["id"])):
            sets = ", ".join(f"{c} = :{c}" for c in cols)
            db.execute(f"UPDATE cspr_events SET {sets} WHERE id = :target",
                       {**{c: row[c] for c in cols}, "target": target})
    report = verify_ledger(ledger.app)
    assert {a, b} <= positions(report, {"chain"})


def test_inserted_forged_event_is_found(ledger):
    attacker = Ed25519PrivateKey.generate()
    with raw(ledger.home) as db:
        last = db.execute("SELECT max(position) FROM cspr_events")[0][0]
        tail = row_at(db, last)
        victim = row_at(db, find(ledger, "referrer-informed"))
        payload = json.loads(bytes(victim["state"]))
        payload["data"]["on"] = "2025-12-22"  # pretend feedback was earlier
        state = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        oid, version, topic = victim["originator_id"], 99, victim["topic"]
        signed = signed_bytes(oid, version, topic, state)
        signature = attacker.sign(signed)
        chain = link(bytes(tail["chain_hash"]), leaf_hash_of(signed, signature))
        db.execute(
            "INSERT INTO cspr_events (originator_id, originator_version, topic, state, "
            "position, chain_hash, signature, recorded_at, case_ref, actor, key_id, "
            "event_type) VALUES (:o, :v, :t, :s, :p, :c, :sig, :r, :case, :a, :k, :e)",
            {"o": oid, "v": version, "t": topic, "s": state, "p": last + 1, "c": chain,
             "sig": signature, "r": payload["recorded_at"], "case": "T-1",
             "a": payload["actor"], "k": payload["key_id"], "e": payload["type"]})
    report = verify_ledger(ledger.app)
    assert last + 1 in positions(report, {"signature"})


def test_replaced_public_key_is_found(ledger):
    attacker = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    with raw(ledger.home) as db:
        rows = db.execute("SELECT position, state FROM cspr_events "
                          "WHERE event_type = 'actor-registered'")
        (k, state), = [(p, s) for p, s in rows if json.loads(bytes(s))["data"]["actor"] == "bu1"]
        payload = json.loads(bytes(state))
        payload["data"]["public_key"] = attacker.hex()
        forged = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        db.execute("UPDATE cspr_events SET state = :s WHERE position = :p",
                   {"s": forged, "p": k})
    report = verify_ledger(ledger.app)
    assert k in positions(report, {"signature"})
    # every event bu1 signed now fails against the substituted key
    with raw(ledger.home) as db:
        bu1 = {p for (p,) in db.execute("SELECT position FROM cspr_events WHERE actor='bu1'")}
    assert bu1 <= positions(report, {"signature"})


def test_cli_verify_exits_1_and_names_the_position(ledger):
    k = find(ledger, "threshold-decided")
    with raw(ledger.home) as db:
        db.execute("UPDATE cspr_events SET signature = :s WHERE position = :p",
                   {"s": bytes(64), "p": k})
    result = ledger.cli("verify", "--json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["ok"] is False
    assert {"position": k, "kind": "signature"} in [
        {"position": p["position"], "kind": p["kind"]} for p in out["problems"]]


def test_one_byte_flipped_in_the_sqlite_file_is_found(tmp_path):
    from service.home import Home

    home = Home(tmp_path / "h")
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "F-1", REFERRAL, "2025-12-18")
    lg.record("p1", "threshold-decided", "F-1", THRESHOLD, "2025-12-22")
    lg.app.engine.dispose()
    path = home.root / "ledger.sqlite"
    with sqlite3.connect(path) as conn:  # fold the WAL back into the file itself
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    i = data.index(b"made-up rationale")
    data[i] ^= 0x01
    path.write_bytes(bytes(data))
    report = verify_ledger(home.open())
    assert not report.ok
    assert "signature" in {p.kind for p in report.problems}
