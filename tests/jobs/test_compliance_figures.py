"""The compliance report's figures equal those counted directly from the clock table, on
a generated history."""

from __future__ import annotations

import json
from collections import Counter

from tests.helpers import make_ledger, write_generated


def test_report_figures_equal_a_direct_count_of_the_clock_table(home):
    lg = make_ledger(home)
    write_generated(lg, 5, cases=25, extra=2)
    period = ("2025-10-01", "2026-09-30")
    out = lg.cli("report", "compliance", "--from", period[0], "--to", period[1],
                 "--format", "json")
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    table = json.loads(lg.cli("deadlines", "--as-of", period[1], "--json").stdout)
    expected: dict[str, Counter] = {}
    for row in table:
        if row["due_on"] and period[0] <= row["due_on"] <= period[1]:
            expected.setdefault(row["clock"], Counter())[row["status"]] += 1
    got = {c["clock"]: c for c in report["clocks"] if c["due"] or c["not_required"]}
    assert set(got) == set(expected)
    for clock, counts in expected.items():
        c = got[clock]
        assert c["met_on_time"] == counts["met"], clock
        assert c["met_late"] == counts["met_late"], clock
        assert c["breached"] == counts["breached"], clock
        assert c["pending"] == counts["pending"] + counts["at_risk"], clock
        assert c["not_required"] == counts["not_required"], clock
    assert sum(c["due"] for c in got.values()) > 20  # the history exercised the report


def test_a_period_ending_before_it_starts_is_refused_naming_the_field(home):
    lg = make_ledger(home)
    write_generated(lg, 6, cases=2, extra=0)
    before = lg.app.recorder.max_notification_id()
    out = lg.cli("report", "compliance", "--from", "2026-09-30", "--to", "2025-10-01")
    assert out.exit_code == 2
    assert "'to'" in out.output and "Traceback" not in out.output
    assert "2025-10-01" not in out.output  # what was typed is not echoed
    assert lg.app.recorder.max_notification_id() == before
