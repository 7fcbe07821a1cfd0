"""``cspr import`` streams: every line is checked before anything is written, the write
is all or none across its batches, and a bad line anywhere leaves nothing behind
(issue 8, findings 4 and 7). Speed and memory are measured in bench/, not here."""

from __future__ import annotations

import json

import pytest

from service import recording
from tests.generator import generate
from tests.ledger.test_import_kill import counts
from tests.helpers import REFERRAL, make_ledger
from tests.scenario import data


def lines(cases: int = 60, extra: int = 30) -> list[str]:
    out = []
    for ref, steps in generate(5, cases, extra):
        out += [json.dumps({"type": t, "case": ref, "data": payload, "occurred_at": occ,
                            "as": actor}) for actor, t, payload, occ in steps]
    return out


BAD_LAST = {
    "json": ('{"type": "incident-referred", "case": ', 2, "line"),
    "field": (json.dumps({"type": "agency-information-received", "case": "G-5-00000",
                          "data": {"agency": 3}, "as": "ag1"}), 2, "agency"),
    "as-object": (json.dumps({"type": "agency-information-received", "case": "G-5-00000",
                              "data": {}, "as": {"name": "ag1"}}), 2, "as"),
    "as-list": (json.dumps({"type": "agency-information-received", "case": "G-5-00000",
                            "data": {}, "as": ["ag1"]}), 2, "as"),
    "rule": (json.dumps({"type": "incident-referred", "case": "G-5-00000",
                         "data": REFERRAL, "occurred_at": "2025-12-18", "as": "bu1"}), 1,
             "§4.2"),
    "unknown-case": (json.dumps({"type": "threshold-decided", "case": "NEVER-REFERRED",
                         "data": {"meets_threshold": True, "rationale": "Made-up rationale for a test.",
                                  "decided_by": ["LA"]},
                         "occurred_at": "2026-01-05", "as": "p1"}), 2, "NEVER-REFERRED"),
    "unknown-actor": (json.dumps({"type": "agency-information-received",
                                  "case": "G-5-00000",
                                  "data": data("agency-information-received"),
                                  "as": "nobody"}), 2, "nobody"),
}


@pytest.mark.parametrize("kind", sorted(BAD_LAST))
def test_a_bad_last_line_refuses_the_whole_import_and_leaves_nothing(home, tmp_path, kind):
    lg = make_ledger(home)
    good = lines()
    assert len(good) > 2 * recording.BATCH  # the write spans several batches
    bad, code, named = BAD_LAST[kind]
    path = tmp_path / "import.jsonl"
    path.write_text("\n".join([*good, bad]) + "\n")
    before = counts(home)
    result = lg.cli("import", str(path))
    assert result.exit_code == code, result.output
    assert f"line {len(good) + 1}:" in result.stderr and named in result.stderr
    assert "Traceback" not in result.output
    assert counts(home) == before


def test_an_import_spanning_batches_is_all_there_in_order_from_a_file_or_stdin(home,
                                                                             tmp_path):
    lg = make_ledger(home)
    good = lines()
    path = tmp_path / "import.jsonl"
    path.write_text("\n".join(good[:1500]) + "\n\n")  # a blank line is skipped
    before = lg.app.size()
    result = lg.cli("import", str(path), "--json")
    assert result.exit_code == 0, result.output
    receipts = json.loads(result.stdout)
    assert [r["position"] for r in receipts] == list(range(before + 1, before + 1501))
    result = lg.cli("import", "-", "--json", input="\n".join(good[1500:]) + "\n")
    assert result.exit_code == 0, result.output
    assert lg.reopen().app.size() == before + len(good)
    assert lg.cli("verify").exit_code == 0
    events, keys, orphans = counts(home)
    assert orphans == 0 and keys == len({json.loads(x)["case"] for x in good})
