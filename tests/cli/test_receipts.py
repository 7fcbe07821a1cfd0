"""Receipts on the command line: record and import hand the recorder the signed head of
their write; verify --receipt proves the ledger still holds it, even on a copy opened
with no key; a receipt that cannot be written is refused before anything is appended."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import REFERRAL, make_ledger
from tests.ledger.tamper import raw, rechain, rows_from


def referral(tmp_path: Path) -> str:
    path = tmp_path / "referral.json"
    path.write_text(json.dumps(REFERRAL))
    return str(path)


def test_record_hands_out_a_receipt_that_verify_checks(home, tmp_path):
    lg = make_ledger(home)
    receipt = tmp_path / "r.json"
    result = lg.cli("--as", "bu1", "record", "incident-referred", "--case", "R-1",
                    "--data-file", referral(tmp_path), "--receipt", str(receipt), "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    kept = json.loads(receipt.read_text())
    assert printed["receipt"] == kept and kept["position"] == printed["position"]
    assert kept["actor"] == "bu1" and kept["ledger"] == lg.app.ledger_id()
    assert lg.cli("verify", "--receipt", str(receipt)).exit_code == 0

    later = lg.cli("--as", "bu1", "record", "reported-to-partners", "--case", "R-1",
                   "--data", '{"on": "2025-12-19"}')
    assert later.exit_code == 0 and "signed head: position" in later.output
    with raw(lg.home) as db:  # the insider cuts off everything from the receipt's write on
        rechain(db, kept["position"], [])
    assert lg.cli("verify").exit_code == 0  # the ledger alone cannot tell
    result = lg.cli("verify", "--receipt", str(receipt), "--json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert [(p["position"], p["kind"]) for p in problems] == [(kept["position"], "truncated")]


def test_import_hands_out_one_receipt_for_the_whole_file(home, tmp_path):
    lg = make_ledger(home)
    lines = tmp_path / "in.jsonl"
    lines.write_text("".join(json.dumps({"type": "incident-referred", "case": f"R-{i}",
                                         "data": REFERRAL}) + "\n" for i in range(3)))
    receipt = tmp_path / "r.json"
    result = lg.cli("--as", "bu1", "import", str(lines), "--receipt", str(receipt), "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert [("receipt" in r) for r in printed] == [False, False, True]
    assert json.loads(receipt.read_text())["position"] == printed[-1]["position"]
    assert lg.cli("verify", "--receipt", str(receipt)).exit_code == 0


def test_a_receipt_that_cannot_be_written_is_refused_before_anything_is_appended(
        home, tmp_path):
    lg = make_ledger(home)
    size = lg.app.size()
    for target in (tmp_path / "no-such-folder" / "r.json", tmp_path):
        result = lg.cli("--as", "bu1", "record", "incident-referred", "--case", "R-1",
                        "--data-file", referral(tmp_path), "--receipt", str(target))
        assert result.exit_code == 2 and "--receipt" in result.stderr
    assert lg.app.size() == size


def test_a_file_that_is_not_a_receipt_is_bad_input(home, tmp_path):
    lg = make_ledger(home)
    for content in ("not json", "[]", json.dumps({"position": 1}), "{" * 100_000):
        bad = tmp_path / "bad.json"
        bad.write_text(content)
        result = lg.cli("verify", "--receipt", str(bad))
        assert result.exit_code == 2 and "--receipt" in result.stderr
        assert "Traceback" not in result.output


def test_a_reorder_before_a_receipt_is_found_by_the_heads_and_the_receipt(home, tmp_path):
    lg = make_ledger(home)
    receipt = tmp_path / "r.json"
    assert lg.cli("--as", "bu1", "record", "incident-referred", "--case", "R-1",
                  "--data-file", referral(tmp_path), "--receipt",
                  str(receipt)).exit_code == 0
    with raw(lg.home) as db:
        rows = rows_from(db, 5)
        rechain(db, 5, [rows[1], rows[0], *rows[2:]])
    result = lg.cli("verify", "--receipt", str(receipt), "--json")
    kinds = {p["kind"] for p in json.loads(result.stdout)["problems"]}
    assert result.exit_code == 1 and {"head_signature", "receipt"} <= kinds
