"""What an outsider's verifier found stopping `cspr verify` or fooling it (issue 9): each
is now a located finding on the real database, never a crash."""

from __future__ import annotations

import json
import sqlite3

from ledger.canonical import canonical_json
from ledger.verify import verify_ledger
from service.actors import load_actor_signer
from service.home import Home
from tests.helpers import Ledger, run_cli
from tests.ledger.tamper import raw, row_at
from tests.ledger.test_tamper import ledger  # noqa: F401  (the same small ledger)
from tests.ledger.test_tamper_checks import found, resign, where


def kinds_at(report, position: int) -> set[str]:
    return {p.kind for p in report.problems if p.position == position}


def test_a_state_nested_a_thousand_deep_is_malformed_not_a_crash(ledger):
    k = where(ledger, "referrer-informed")
    resign(ledger, k, b'{"a":' * 1000 + b"1" + b"}" * 1000, "bu1")
    report = verify_ledger(ledger.app)
    assert "malformed" in kinds_at(report, k)
    result = ledger.cli("verify", "--json")
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_nan_is_not_canonical_and_utf16_is_malformed(ledger):
    k = where(ledger, "referrer-informed")
    with raw(ledger.home) as db:
        state = bytes(row_at(db, k)["state"])
    resign(ledger, k, state[:-1] + b',"z":NaN}', "bu1")
    assert "canonical" in kinds_at(verify_ledger(ledger.app), k)
    resign(ledger, k, state.decode().encode("utf-16"), "bu1")
    assert "malformed" in kinds_at(verify_ledger(ledger.app), k)


def test_text_that_is_not_utf8_is_a_finding_on_sqlite(ledger):
    if ledger.home.db_url is not None:
        return  # PostgreSQL refuses such text itself
    k = where(ledger, "referrer-informed")
    with raw(ledger.home) as db:
        db.execute("UPDATE cspr_events SET actor = CAST(X'ff62' AS TEXT) WHERE position = :p",
                   {"p": k})
    assert kinds_at(verify_ledger(ledger.app), k) == {"column"}
    result = ledger.cli("verify", "--json")
    assert result.exit_code == 1 and "column" in result.output


def test_a_missing_head_row_is_a_finding(ledger):
    with raw(ledger.home) as db:
        db.execute("DELETE FROM cspr_head")
    result = ledger.cli("verify", "--json")
    assert result.exit_code == 1
    assert {p["kind"] for p in json.loads(result.stdout)["problems"]} == {"head"}


def test_a_copy_made_before_signed_heads_verifies_read_only(ledger, tmp_path):
    if ledger.home.db_url is not None:
        return  # the columns are dropped on SQLite only: PostgreSQL is never "a copy"
    with raw(ledger.home) as db:
        db.execute("ALTER TABLE cspr_events DROP COLUMN head_signature")
        db.execute("ALTER TABLE cspr_events DROP COLUMN head_previous")
    copy = tmp_path / "copy"
    copy.mkdir()
    # SQLite's own backup: the copy includes what is still in the write-ahead log.
    with sqlite3.connect(ledger.home.root / "ledger.sqlite") as src, \
            sqlite3.connect(copy / "ledger.sqlite") as dst:
        src.backup(dst)
    result = run_cli(Home(copy), "verify", "--json")
    problems = json.loads(result.stdout)["problems"]
    assert result.exit_code == 1
    assert [p["kind"] for p in problems] == ["head_signature"]  # only the unsigned end


def test_an_actor_event_without_authority_changes_no_key(ledger: Ledger):
    """bu1 (no admin role) registers ag1's key as an admin's: reported as `role`, and the
    key it registered signs nothing unreported afterwards."""
    k = where(ledger, "actor-registered", "ag1")
    bu1 = load_actor_signer(ledger.home, "bu1")
    ag1 = load_actor_signer(ledger.home, "ag1")
    with raw(ledger.home) as db:
        reg = json.loads(bytes(row_at(db, k)["state"]))
        end = max(r[0] for r in db.execute("SELECT position FROM cspr_events"))
        last = json.loads(bytes(row_at(db, end)["state"]))
    reg.update(actor="bu1", key_id=bu1.key_id)
    reg["data"]["roles"] = ["admin"]
    resign(ledger, k, canonical_json(reg), "bu1")
    last.update(actor="ag1", key_id=ag1.key_id)
    resign(ledger, end, canonical_json(last), "ag1")
    with raw(ledger.home) as db:
        db.execute("UPDATE cspr_events SET actor = :a, key_id = :k WHERE position = :p",
                   {"a": "bu1", "k": bu1.key_id, "p": k})
        db.execute("UPDATE cspr_events SET actor = :a, key_id = :k WHERE position = :p",
                   {"a": "ag1", "k": ag1.key_id, "p": end})
    report = verify_ledger(ledger.app)
    assert found(report, "role") == {k}
    assert end in found(report, "unknown_key")
