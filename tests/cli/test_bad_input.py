"""Bad input exits 2 naming the problem, a refused rule or role exits 1, and in every case
the ledger is left exactly as it was."""

from __future__ import annotations

import json

import pytest

from ledger.verify import verify_ledger
from tests.helpers import REFERRAL, make_ledger

THRESHOLD = {"meets_threshold": True, "rationale": "Made-up rationale for a test.", "decided_by": ["A"]}


@pytest.fixture
def ledger(home):
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "B-1", REFERRAL, "2025-12-18")
    return lg


CASES = [
    # (args, expected exit, words the message must contain)
    # The type typed is not repeated (it could be anything); the known ones are listed.
    (["--as", "bu1", "record", "no-such-event", "--case", "B-1", "--data", "{}"], 2,
     ["unknown event type", "incident-referred"]),
    (["--as", "p1", "record", "threshold-decided", "--case", "B-1", "--data",
      json.dumps({"meets_threshold": True, "decided_by": ["A"]})], 2, ["rationale"]),
    (["--as", "bu1", "record", "reported-to-partners", "--case", "B-1", "--data",
      '{"on": "2025-13-45"}'], 2, ["on"]),
    (["--as", "bu1", "record", "reported-to-partners", "--case", "B-1", "--data",
      '{"on": "2025-12-19"'], 2, ["JSON"]),
    (["--as", "nobody", "record", "reported-to-partners", "--case", "B-1", "--data",
      '{"on": "2025-12-19"}'], 2, ["nobody"]),
    (["--as", "bu1", "record", "threshold-decided", "--case", "B-1", "--data",
      json.dumps(THRESHOLD)], 1, ["bu1", "threshold-decided", "partner"]),
    (["--as", "bu1", "record", "reported-to-partners", "--case", "B-1", "--data",
      '{"on": "2025-12-19"}', "--occurred-at", "yesterday-ish"], 2, ["occurred_at"]),
    (["--as", "bu1", "record", "reported-to-partners", "--case", "bad ref!", "--data",
      '{"on": "2025-12-19"}'], 2, ["case"]),
    (["--as", "bu1", "record", "reported-to-partners", "--case", "NO-SUCH", "--data",
      '{"on": "2025-12-19"}'], 2, ["NO-SUCH"]),
    (["--as", "bu1", "record", "national-panel-notified", "--case", "B-1", "--data",
      '{"on": "2025-12-19"}'], 1, ["§7.2"]),
    (["record", "reported-to-partners", "--case", "B-1", "--data", '{"on": "2025-12-19"}'],
     2, ["--as"]),
]


@pytest.mark.parametrize("args,code,words", CASES, ids=[str(i) for i in range(len(CASES))])
def test_refused_and_nothing_appended(ledger, args, code, words):
    size = ledger.app.size()
    result = ledger.cli(*args)
    assert result.exit_code == code, result.output
    for word in words:
        assert word in result.stderr
    assert ledger.reopen().app.size() == size
    assert verify_ledger(ledger.app).ok


def test_import_is_all_or_nothing(ledger, tmp_path):
    lines = [
        {"type": "reported-to-partners", "case": "B-1", "data": {"on": "2025-12-19"},
         "as": "bu1", "occurred_at": "2025-12-19"},
        {"type": "threshold-decided", "case": "B-1", "data": THRESHOLD, "as": "p1",
         "occurred_at": "2025-12-22"},
        {"type": "national-panel-notified", "case": "B-1", "data": {"on": "2025-12-23"},
         "as": "bu1", "occurred_at": "2025-12-23"},
        {"type": "threshold-decided", "case": "B-1", "data": THRESHOLD, "as": "p1"},
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    size = ledger.app.size()
    result = ledger.cli("import", str(path))
    assert result.exit_code == 1
    assert "line 4" in result.stderr and "§7.2" in result.stderr
    assert ledger.reopen().app.size() == size
    path.write_text("\n".join(json.dumps(x) for x in lines[:3]) + "\n")
    result = ledger.cli("import", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert [r["type"] for r in json.loads(result.stdout)] == [
        "reported-to-partners", "threshold-decided", "national-panel-notified"]
    assert ledger.reopen().app.size() == size + 3


def test_import_bad_line_names_line_and_field(ledger, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"type": "reported-to-partners", "case": "B-1",
                                "data": {"on": "2025-12-19"}, "as": "bu1"}) + "\n"
                    + '{"type": "reported-to-partners", "case": "B-1", "data": {"on": 5}}\n')
    size = ledger.app.size()
    result = ledger.cli("--as", "bu1", "import", str(path))
    assert result.exit_code == 2
    assert "line 2" in result.stderr and "'on'" in result.stderr
    assert ledger.reopen().app.size() == size
