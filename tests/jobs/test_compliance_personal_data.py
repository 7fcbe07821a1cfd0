"""The compliance report counts who read, disclosed or erased personal data (issue 10).

The counts by hand on plain rows, their renderings (JSON keys added, none renamed; a CSV
column per count; a line of the HTML page), and end to end: reads and disclosures made
through the command line are counted by ``cspr report compliance`` and by the nightly job's
report, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone

from domain.calendar import london_date
from jobs.compliance import ComplianceReport, compliance
from jobs.render import CSV_COLUMNS, to_csv, to_html, to_json
from service.home import Home
from tests.helpers import REFERRAL, make_ledger

FROM, TO = date(2026, 1, 1), date(2026, 3, 31)


def _report(log: list[dict]) -> ComplianceReport:
    return compliance([], [], FROM, TO, TO, "Made-up Partnership", log)


LOG = [
    {"type": "personal-data-accessed", "on": "2025-12-31"},  # the day before: out
    {"type": "personal-data-accessed", "on": "2026-01-01"},  # first day: in
    {"type": "personal-data-accessed", "on": "2026-02-10"},
    {"type": "personal-data-disclosed", "on": "2026-03-31"},  # last day: in
    {"type": "personal-data-disclosed", "on": "2026-04-01"},  # the day after: out
    {"type": "personal-data-erased", "on": "2026-02-01"},
    {"type": "threshold-decided", "on": "2026-02-01"},  # not a personal-data event
]


def test_counts_the_events_recorded_in_the_period_by_hand() -> None:
    assert _report(LOG).personal_data == {"accessed": 2, "disclosed": 1, "erased": 1}
    assert _report([]).personal_data == {"accessed": 0, "disclosed": 0, "erased": 0}


def test_json_adds_the_counts_and_keeps_every_earlier_key() -> None:
    r = _report(LOG)
    data = json.loads(to_json(r))
    assert data["personal_data"] == {"accessed": 2, "disclosed": 1, "erased": 1}
    assert {"partnership", "period", "as_of", "clocks", "totals", "breaches", "exceptions",
            "actions", "rule_sets", "calendars"} <= set(data)
    assert ComplianceReport.from_json(data) == r
    # A report written before the counts existed still reads back (with zeros).
    older = {k: v for k, v in data.items() if k != "personal_data"}
    assert ComplianceReport.from_json(older).personal_data == {
        "accessed": 0, "disclosed": 0, "erased": 0}


def test_csv_has_a_column_per_count_on_the_report_row() -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(_report(LOG)))))
    assert {"personal_data_accessed", "personal_data_disclosed",
            "personal_data_erased"} <= set(CSV_COLUMNS)
    (report_row,) = [r for r in rows if r["section"] == "report"]
    assert (report_row["personal_data_accessed"], report_row["personal_data_disclosed"],
            report_row["personal_data_erased"]) == ("2", "1", "1")


def test_html_says_how_often_personal_data_was_opened() -> None:
    page = to_html(_report(LOG))
    assert "Personal data was opened 2 time(s), disclosed 1 time(s) and erased for 1 " \
           "case(s)" in page


def test_reads_and_disclosures_through_the_cli_are_counted(home: Home) -> None:
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "C-PD-9", REFERRAL, "2025-12-18")
    for reader in ("p1", "rev"):
        assert lg.cli("--as", reader, "case", "chronology", "C-PD-9", "--include-personal",
                      "--purpose", "Made-up review").exit_code == 0
    assert lg.cli("--as", "bu1", "case", "disclose", "C-PD-9", "--to", "Made-up Office",
                  "--purpose", "Made-up").exit_code == 0
    refused = lg.cli("--as", "ag1", "case", "chronology", "C-PD-9", "--include-personal",
                     "--purpose", "Made-up")
    assert refused.exit_code == 1  # refused: not appended, so not counted

    today = london_date(datetime.now(timezone.utc))
    week = (today - timedelta(days=7)).isoformat()
    result = lg.cli("report", "compliance", "--from", week, "--to", today.isoformat(),
                    "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["personal_data"] == {
        "accessed": 2, "disclosed": 1, "erased": 0}
    # A period that ended before the reads counts none of them.
    earlier = lg.cli("report", "compliance", "--from", "2025-01-01", "--to", "2025-12-31",
                     "--format", "json")
    assert json.loads(earlier.output)["personal_data"]["accessed"] == 0

    nightly = lg.cli("jobs", "nightly", "--json")
    assert nightly.exit_code == 0, nightly.output
    written = json.loads(next(home.reports.glob("compliance-*.json")).read_text())
    assert written["personal_data"]["accessed"] == 2
    assert written["personal_data"]["disclosed"] == 1
