"""`cspr report annual` through the CLI: the three formats carry the same figures, no
personal data in any of them, and bad input is exit 2 naming the option (issue 11, item 13)."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape

import pytest

from tests.helpers import make_ledger, write_generated
from tests.scenario import VALID_EXAMPLES

YEAR = ("--from", "2025-10-01", "--to", "2026-09-30")


@pytest.fixture
def ledger(home):
    lg = make_ledger(home)
    write_generated(lg, 1, cases=30, extra=2)
    return lg


def _report(lg, fmt: str) -> str:
    out = lg.cli("report", "annual", *YEAR, "--format", fmt)
    assert out.exit_code == 0, out.output
    return out.stdout


def test_csv_and_html_carry_the_json_figures(ledger):
    data = json.loads(_report(ledger, "json"))
    rows = list(csv.DictReader(io.StringIO(_report(ledger, "csv"))))
    html = _report(ledger, "html")
    figures = {(s, k): v for s in ("referrals", "decisions", "reviews", "improvements",
                                   "actions", "learning") for k, v in data[s].items()}
    assert sum(figures.values()) > 20  # the year has something in it
    from_csv = {(r["section"], r["figure"]): int(r["value"]) for r in rows
                if r["section"] in {s for s, _ in figures}}
    assert from_csv == figures
    # The HTML shows each figure beside its id:
    # <code>section.figure</code></th><td class="n">N</td>.
    from_html = {tuple(m[0].split(".")): int(m[1]) for m in re.findall(
        r'<code>([a-z_]+\.[a-z_]+)</code></th><td class="n">(\d+)</td>', html)}
    assert from_html == figures
    reasons = [r["reason"] for r in rows if r["section"] == "not_implemented"]
    assert reasons == [r["reason"] for r in data["not_implemented"]] and reasons
    for reason in reasons:  # §23.1: the reasons are in the printed report too
        assert reason in unescape(html)
    total = data["timeliness"][-1]
    assert {(r["figure"], int(r["value"])) for r in rows if r["section"] == "timeliness"
            } >= {("total.due", total["due"]), ("total.met_on_time", total["met_on_time"])}


def test_html_is_self_contained_and_printable(ledger):
    html = _report(ledger, "html")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@media print" in html and "@page" in html


def test_no_personal_data_in_any_format(ledger):
    ex = VALID_EXAMPLES
    # The made-up child, the P fields and the free text of the generated events.
    secrets = [ex["incident-referred"]["child"]["name"], "Testchild",
               ex["incident-referred"]["child"]["address"], ex["incident-referred"]["summary"],
               ex["agency-information-received"]["nature_of_involvement"],
               ex["agency-information-received"]["completed_by"],
               ex["chronology-entry-added"]["significant_event"],
               ex["family-engagement-recorded"]["notes"],
               ex["rapid-review-held"]["improvements_identified"],
               ex["rapid-review-held"]["chair"],
               ex["review-level-decided"]["rationale"], "made-up progress"]
    for fmt in ("json", "csv", "html"):
        text = unescape(_report(ledger, fmt))
        for secret in secrets:
            assert secret not in text, (fmt, secret)


def test_written_to_a_file(ledger, tmp_path):
    target = tmp_path / "annual.html"
    out = ledger.cli("report", "annual", *YEAR, "--output", str(target))
    assert out.exit_code == 0, out.output
    assert target.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("args, option", [
    (("--from", "2026-02-01", "--to", "2026-01-31"), "from"),  # --from the day after --to
    (("--from", "2026-02-30", "--to", "2026-03-31"), "from"),  # 30 February
    (("--from", "2026-01-01", "--to", "2026-13-01"), "to"),    # month 13
    (("--from", "2026-01-01", "--to", "2026-12-31", "--format", "pdf"), "format"),
])
def test_bad_input_is_exit_2_naming_the_option(home, args, option):
    lg = make_ledger(home)
    out = lg.cli("report", "annual", *args)
    assert out.exit_code == 2, out.output
    assert f"'{option}'" in out.stderr or f"'--{option}'" in out.stderr
    assert "Traceback" not in out.output
    assert out.stdout == ""


def test_an_empty_ledger_gives_zeros(home):
    lg = make_ledger(home)
    out = lg.cli("report", "annual", "--from", "2026-01-01", "--to", "2026-12-31",
                 "--format", "csv")
    assert out.exit_code == 0, out.output
    values = [int(r["value"]) for r in csv.DictReader(io.StringIO(out.stdout))
              if r["value"]]
    assert values and set(values) == {0}
