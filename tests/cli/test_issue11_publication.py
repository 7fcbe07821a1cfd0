"""Issue 11 item 3, through the CLI: §19.1's six months count from the recorded §8.9
decision to initiate the LCSPR, not from a date typed into the commission; a publication
planned after the due date is flagged (never refused), with the reasons for delay notified
to the National Panel and the Secretary of State, which the annual report shows.

Dates are counted by hand: calendar months with end-of-month clamping (PROCEDURE.md).
"""

from __future__ import annotations

import csv
import io
import json
from html import unescape

from tests.cli.test_issue11_clocks import at, cli_on, lg, refer_and_notify  # noqa: F401
from tests.scenario import data

ASSUMED = "§8.9 decision to initiate an LCSPR not recorded"
DELAY_REASON = "Made-up inquest still to be heard."


def record_on(lg, day: str, actor: str, type_name: str, case: str, occurred: str,
              **fields):
    """Recorded through the CLI on ``day``, having occurred on ``occurred``."""
    with at(day, 10):
        result = lg.cli("--as", actor, "record", type_name, "--case", case, "--data",
                        json.dumps(data(type_name, **fields)), "--occurred-at", occurred)
    assert result.exit_code == 0, result.output
    return result


def publication(lg, day: str, case: str) -> dict:
    rows = json.loads(cli_on(lg, day, "deadlines", "--case", case, "--as-of", day,
                             "--json").stdout)
    return next(r for r in rows if r["clock"] == "publication")


def shown(lg, day: str, case: str) -> tuple[dict, str]:
    as_json = json.loads(cli_on(lg, day, "case", "show", case, "--json").stdout)
    return as_json, cli_on(lg, day, "case", "show", case).stdout


def test_six_months_count_from_the_recorded_decision_not_the_typed_date(lg):
    refer_and_notify(lg, "PUB-1")
    # The commission says it was decided on Tue 20 May 2025; no §8.9 decision recorded yet,
    # so the clock runs from that date, shown as assumed: due Thu 20 Nov 2025.
    record_on(lg, "2025-05-20", "p1", "review-commissioned", "PUB-1", "2025-05-20",
              decided_on="2025-05-20")
    clock = publication(lg, "2025-05-21", "PUB-1")
    assert (clock["starts_on"], clock["due_on"], clock["start_assumed"]) == (
        "2025-05-20", "2025-11-20", ASSUMED)
    # The partners' and Scrutineer's decision of Wed 14 May 2025 is recorded a week late:
    # the clock moves to it, due Fri 14 Nov 2025, no longer assumed.
    record_on(lg, "2025-05-21", "p1", "review-level-decided", "PUB-1", "2025-05-14",
              level="lcspr")
    clock = publication(lg, "2025-05-22", "PUB-1")
    assert (clock["starts_on"], clock["due_on"], clock["start_assumed"]) == (
        "2025-05-14", "2025-11-14", None)


def test_a_decision_for_another_level_does_not_start_the_clock(lg):
    refer_and_notify(lg, "PUB-2")
    record_on(lg, "2025-05-14", "p1", "review-level-decided", "PUB-2", "2025-05-14",
              level="alternative_review")
    rows = json.loads(cli_on(lg, "2025-05-15", "deadlines", "--case", "PUB-2", "--as-of",
                             "2025-05-15", "--json").stdout)
    assert "publication" not in {r["clock"] for r in rows}


def test_a_plan_after_the_due_date_is_flagged_with_the_reasons_for_delay(lg):
    refer_and_notify(lg, "PUB-3")
    # Decided Sun 31 Aug 2025: six months clamp to Sat 28 Feb 2026 (no 31 Feb).
    record_on(lg, "2025-09-01", "p1", "review-level-decided", "PUB-3", "2025-08-31",
              level="lcspr")
    record_on(lg, "2025-09-02", "p1", "review-commissioned", "PUB-3", "2025-09-02",
              decided_on="2025-09-02")
    assert publication(lg, "2025-09-03", "PUB-3")["due_on"] == "2026-02-28"
    view, text = shown(lg, "2025-09-03", "PUB-3")
    assert view["publication_delay"] is None and "publication planned" not in text

    # Planned for Tue 10 Mar 2026, after the due date: accepted (exit 0), and flagged.
    record_on(lg, "2026-01-12", "p1", "publication-planned", "PUB-3", "2026-01-12",
              planned_on="2026-03-10")
    view, text = shown(lg, "2026-01-12", "PUB-3")
    flag = view["publication_delay"]
    assert (flag["planned_on"], flag["due_on"], flag["paragraph"], flag["reasons"]) == (
        "2026-03-10", "2026-02-28", "§19.1", [])
    assert "publication planned for 2026-03-10, after the §19.1 due date 2026-02-28" in text
    assert "no reason for delay notified" in text

    # The partners tell the Panel and the Secretary of State why (§19.1).
    record_on(lg, "2026-01-13", "p1", "publication-delay-notified", "PUB-3", "2026-01-13",
              reason=DELAY_REASON)
    view, text = shown(lg, "2026-01-13", "PUB-3")
    assert view["publication_delay"]["reasons"] == [{
        "on": "2026-01-13", "reason": DELAY_REASON,
        "recipients": ["national_panel", "secretary_of_state"]}]
    assert f"reason for delay notified on 2026-01-13 to national_panel, " \
           f"secretary_of_state: {DELAY_REASON}" in text
    assert "no reason for delay notified" not in text

    # The annual report gives the reason, in every format.
    period = ("report", "annual", "--from", "2025-09-01", "--to", "2026-08-31")
    report = json.loads(cli_on(lg, "2026-01-14", *period, "--format", "json").stdout)
    assert report["publication_delays"] == [{
        "case": "PUB-3", "on": "2026-01-13", "reason": DELAY_REASON,
        "recipients": "national_panel, secretary_of_state"}]
    assert report["reviews"]["publication_delayed"] == 1
    rows = list(csv.DictReader(io.StringIO(
        cli_on(lg, "2026-01-14", *period, "--format", "csv").stdout)))
    assert [(r["case"], r["on"], r["reason"]) for r in rows
            if r["section"] == "publication_delayed"] == [("PUB-3", "2026-01-13", DELAY_REASON)]
    html = unescape(cli_on(lg, "2026-01-14", *period, "--format", "html").stdout)
    assert "Publications delayed, and why" in html and DELAY_REASON in html

    # A later plan on the due date itself is in time: the flag goes.
    record_on(lg, "2026-01-20", "p1", "publication-planned", "PUB-3", "2026-01-20",
              planned_on="2026-02-28")
    view, text = shown(lg, "2026-01-20", "PUB-3")
    assert view["publication_delay"] is None and "publication planned" not in text


def test_the_flag_holds_on_an_assumed_start_and_says_so(lg):
    refer_and_notify(lg, "PUB-4")
    record_on(lg, "2025-05-20", "p1", "review-commissioned", "PUB-4", "2025-05-20",
              decided_on="2025-05-20")
    record_on(lg, "2025-06-02", "p1", "publication-planned", "PUB-4", "2025-06-02",
              planned_on="2025-11-21")  # the day after the assumed due date, 20 Nov 2025
    view, text = shown(lg, "2025-06-02", "PUB-4")
    assert view["publication_delay"]["due_on"] == "2025-11-20"
    assert f"start assumed: {ASSUMED}" in text
