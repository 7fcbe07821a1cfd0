"""The tamper matrix, issue 9 part: what a signature alone does not prove. Key ids not
derived from their key, validly signed but non-canonical states, columns of another type,
checkpoints by a retired key or of another ledger, and streams with a version missing.
Each is made with raw SQL (re-signing with the real key file where the attacker is an
insider holding it) and found as a located finding, never a traceback."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from ledger.canonical import canonical_json
from ledger.chain import leaf_hash_of, link, signed_bytes
from ledger.checkpoint import FORMAT, _body, sign_checkpoint
from ledger.rowtypes import stream_id
from ledger.signing import load_signer
from ledger.verify import verify_ledger
from service import actors
from service.actors import load_actor_signer
from service.evidence import create_checkpoint
from tests.helpers import REFERRAL, Ledger
from tests.ledger.tamper import raw, row_at
from tests.ledger.test_tamper import ledger  # noqa: F401  (the same small ledger)


def found(report, kind: str) -> set[int]:
    return {p.position for p in report.problems if p.kind == kind}


def where(ledger: Ledger, event_type: str, actor: str | None = None) -> int:
    with raw(ledger.home) as db:
        rows = db.execute("SELECT position, state FROM cspr_events WHERE event_type = :t",
                          {"t": event_type})
    return next(p for p, s in rows
                if actor is None or json.loads(bytes(s))["data"]["actor"] == actor)


def resign(ledger: Ledger, position: int, state: bytes, signer_name: str) -> None:
    """Replace a row's state and sign it again with the signer's real key file: what an
    insider holding that key (but not the ledger's code) can do."""
    signer = load_actor_signer(ledger.home, signer_name)  # sealed: its passphrase too
    with raw(ledger.home) as db:
        row = row_at(db, position)
        signed = signed_bytes(stream_id(row["originator_id"]), row["originator_version"],
                              row["topic"], state)
        db.execute("UPDATE cspr_events SET state = :s, signature = :sig WHERE position = :p",
                   {"s": state, "sig": signer.sign(signed), "p": position})


def no_traceback(ledger: Ledger, kind: str) -> None:
    result = ledger.cli("verify", "--json")
    assert result.exit_code == 1, result.output
    assert kind in {p["kind"] for p in json.loads(result.stdout)["problems"]}


def test_a_key_id_not_derived_from_its_key_is_found(ledger):
    k = where(ledger, "actor-registered", "bu1")
    with raw(ledger.home) as db:
        payload = json.loads(bytes(row_at(db, k)["state"]))
    payload["data"]["key_id"] = "0" * 32
    resign(ledger, k, canonical_json(payload), "admin")
    report = verify_ledger(ledger.app)
    assert found(report, "key_id") == {k}
    assert k not in found(report, "signature")  # validly signed: only this check sees it
    no_traceback(ledger, "key_id")


def test_a_validly_signed_non_canonical_state_is_found(ledger):
    k = where(ledger, "referrer-informed")
    with raw(ledger.home) as db:
        payload = json.loads(bytes(row_at(db, k)["state"]))
    loose = json.dumps(payload, sort_keys=True, ensure_ascii=True, indent=1).encode()
    resign(ledger, k, loose, "bu1")
    report = verify_ledger(ledger.app)
    assert found(report, "canonical") == {k}
    assert not found(report, "signature")
    assert verify_ledger(ledger.app, workers=1).as_json() == report.as_json()
    no_traceback(ledger, "canonical")


@pytest.mark.parametrize("state", [b'{"a":1.5}', '{"a":"\\ud800"}'.encode(),
                                   b'{"b":1,"a":2}', b'{"a":"\\u00e9"}', b'{"a":1,"a":1}'])
def test_states_with_no_single_encoding_or_another_one_are_not_canonical(state):
    from ledger.canonical_check import canonical

    assert not canonical(state)
    assert canonical(canonical_json({"a": "é", "b": [1, None, True]}))


# (column, SQLite value, PostgreSQL column type change): each a column of another type.
RETYPED = [
    ("position", "'x'", "TEXT USING position::text || 'x'"),
    ("signature", "123456789012345", "BIGINT USING 123456789012345"),
    ("state", "CAST(state AS TEXT)", "TEXT USING encode(state, 'escape')"),
    ("sealed", "123456789012345", "BIGINT USING 123456789012345"),
    ("chain_hash", "7", "INTEGER USING 7"),
    ("originator_version", "'two'", "TEXT USING originator_version::text"),
]


@pytest.mark.parametrize("column,sqlite_value,pg_type", RETYPED)
def test_a_column_of_another_type_is_a_finding_not_a_traceback(ledger, column,
                                                               sqlite_value, pg_type):
    k = where(ledger, "threshold-decided")
    with raw(ledger.home) as db:
        if ledger.home.db_url is None:  # dynamic typing: one value of another type
            db.execute(f"UPDATE cspr_events SET {column} = {sqlite_value} "
                       "WHERE position = :p", {"p": k})
        else:  # static typing: the whole column retyped, as a database owner can
            db.execute(f"ALTER TABLE cspr_events ALTER COLUMN {column} TYPE {pg_type}")
    report = verify_ledger(ledger.app)
    assert k in found(report, "column")
    no_traceback(ledger, "column")


def test_a_head_of_another_type_is_a_finding(ledger):
    with raw(ledger.home) as db:
        if ledger.home.db_url is None:
            db.execute("UPDATE cspr_head SET chain_hash = 99999999999")
        else:
            db.execute("ALTER TABLE cspr_head ALTER COLUMN chain_hash TYPE BIGINT USING 9")
    report = verify_ledger(ledger.app)
    assert found(report, "column") == {ledger.app.size()}
    assert not found(report, "head")


def _checkpoint_now(ledger: Ledger, signer) -> dict[str, Any]:
    report = verify_ledger(ledger.app)
    return sign_checkpoint(report.size, bytes.fromhex(report.head_hash),
                           bytes.fromhex(report.root_hash), signer,
                           datetime.now(timezone.utc), ledger.app.partnership())


def test_a_checkpoint_by_a_retired_system_key_is_found(ledger):
    before = create_checkpoint(ledger.app, ledger.home)
    old = load_signer(ledger.home.keys, "system")
    actors.rotate_actor(ledger.app, ledger.home, "system")
    rotated_at = ledger.app.size()
    ledger.record("bu1", "incident-referred", "T-2", REFERRAL, "2025-12-18")
    assert verify_ledger(ledger.app, checkpoint=before).ok  # signed while in force
    late = _checkpoint_now(ledger, old)  # the retired key vouching for later history
    report = verify_ledger(ledger.app, checkpoint=late)
    assert found(report, "checkpoint") == {rotated_at}
    assert verify_ledger(ledger.app, checkpoint=_checkpoint_now(
        ledger, load_signer(ledger.home.keys, "system"))).ok


@pytest.mark.parametrize("field,value", [("partnership", "Elsewhere Partnership"),
                                         ("format", "cspr-checkpoint/v0"),
                                         ("actor", "admin")])
def test_a_checkpoint_of_another_ledger_or_format_is_found(ledger, field, value):
    system = load_signer(ledger.home.keys, "system")
    cp = create_checkpoint(ledger.app, ledger.home)
    assert cp["format"] == FORMAT and verify_ledger(ledger.app, checkpoint=cp).ok
    cp[field] = value
    cp["signature"] = system.sign(_body(cp)).hex()  # validly signed, wrong ledger
    report = verify_ledger(ledger.app, checkpoint=cp)
    assert found(report, "checkpoint") == {0}
    assert len(report.problems) == 1


def test_a_stream_missing_a_version_is_found_even_with_the_chain_recomputed(ledger):
    """The insider's deletion: remove an event, renumber positions, recompute every
    (unkeyed) link and the head. Signatures and chain all check; continuity does not."""
    k = where(ledger, "threshold-decided")
    with raw(ledger.home) as db:
        db.execute("DELETE FROM cspr_events WHERE position = :p", {"p": k})
        chain = bytes(row_at(db, k - 1)["chain_hash"])
        last = db.execute("SELECT max(position) FROM cspr_events")[0][0]
        for position in range(k + 1, last + 1):
            row = row_at(db, position)
            leaf = leaf_hash_of(signed_bytes(stream_id(row["originator_id"]),
                                             row["originator_version"], row["topic"],
                                             bytes(row["state"])), bytes(row["signature"]))
            chain = link(chain, leaf)
            db.execute("UPDATE cspr_events SET position = :n, chain_hash = :c "
                       "WHERE id = :i", {"n": position - 1, "c": chain, "i": row["id"]})
        db.execute("UPDATE cspr_head SET position = :p, chain_hash = :c",
                   {"p": last - 1, "c": chain})
    report = verify_ledger(ledger.app)
    assert [(p.position, p.kind) for p in report.problems if p.kind != "head_signature"] \
        == [(k, "version")]
    # And every signed head after it (tests/ledger/test_signed_heads.py) no longer checks.
    assert min(found(report, "head_signature")) >= k
    assert max(found(report, "head_signature")) == last - 1
    mark = k - 1
    assert found(verify_ledger(ledger.app, since=mark, since_hash=None), "version") == {k}
