"""The case pages (web/cases.py) with Flask's test client, on both databases.

A made-up case, each event recorded on the day it occurred (10:30 UTC, frozen):
- Thu 18 Dec 2025: the referral (aware Thu 18 Dec 2025, REFERRAL).
- Fri 19 Dec 2025: reported to partners.
- Mon 22 Dec 2025: p1's threshold decision, naming p2 and scrut as cosigners.
- Tue 23 Dec 2025: scrut co-signs; p2 never does.

Counted by hand on a paper calendar (England bank holidays Thu 25 and Fri 26 Dec 2025):
the threshold decision is due on the 5th working day after aware (day 0) Thu 18 Dec:
Fri 19 (1), Mon 22 (2), Tue 23 (3), Wed 24 (4), [Thu 25, Fri 26 holidays, Sat 27,
Sun 28], Mon 29 Dec 2025 (5). So: 5 working days, 2025-12-25 and 2025-12-26 skipped.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.actors import add_actor
from service.home import Home
from tests.cli.test_issue11_clocks import at
from tests.helpers import CHILD_NAME, REFERRAL, Ledger, make_ledger, run_cli

CASE = "CS-2025-W2"
DECISION = {"meets_threshold": True, "rationale": "Made-up rationale: the criteria are met.",
            "decided_by": ["Partner A (LA)", "Partner B (ICB)", "Partner C (Police)"],
            "cosigners": ["p2", "scrut"]}
HIDDEN = (CHILD_NAME, REFERRAL["child"]["address"], REFERRAL["child"]["dob"],
          REFERRAL["summary"])


@pytest.fixture
def web_ledger(home: Home) -> Iterator[Ledger]:
    """The ledger made before the case (tests/web/conftest.py's, made on 1 Dec 2025)."""
    with at("2025-12-01", 9):
        lg = make_ledger(home)
        add_actor(lg.app, home, "p2", ["partner"])
    try:
        yield lg
    finally:
        lg.app.close()


@pytest.fixture
def case(web_ledger: Ledger) -> int:
    """The case of the module docstring; the decision's ledger position."""
    lg = web_ledger
    with at("2025-12-18", 10):
        lg.record("bu1", "incident-referred", CASE, REFERRAL, "2025-12-18")
    with at("2025-12-19", 10):
        lg.record("bu1", "reported-to-partners", CASE, {"on": "2025-12-19"}, "2025-12-19")
    with at("2025-12-22", 10):
        position = lg.record("p1", "threshold-decided", CASE, DECISION, "2025-12-22").position
    with at("2025-12-23", 10):
        done = run_cli(lg.home, "--as", "scrut", "cosign", str(position))
    assert done.exit_code == 0, done.output
    return position


@pytest.fixture
def bu(client: FlaskClient, sign_in: Any) -> FlaskClient:
    sign_in(client, "bu1")
    return client


def page(client: FlaskClient, path: str, status: int = 200) -> str:
    r = client.get(path)
    assert r.status_code == status, (path, r.status_code)
    text = r.get_data(True)
    for secret in HIDDEN:  # personal data: in no page and no JSON of these pages
        assert secret not in text, path
    return text


def cli_json(lg: Ledger, *args: str) -> Any:
    r = run_cli(lg.home, *args, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def cells(html: str, table_id: str) -> list[list[str]]:
    """The text of each body row of the table labelled ``table_id``."""
    table = re.search(rf'<table[^>]*aria-labelledby="{table_id}".*?</table>', html, re.S)
    assert table, table_id
    body = table.group(0).split("<tbody", 1)[1]
    return [[re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(
        r"<td[^>]*>(.*?)</td>", row, re.S)] for row in re.findall(r"<tr.*?</tr>", body, re.S)]


def test_the_case_page_shows_the_clock_with_its_working_days_and_holidays_skipped(
        bu: FlaskClient, case: int) -> None:
    html = page(bu, f"/cases/{CASE}")
    [threshold] = [r for r in cells(html, "clocks") if r[0] == "Threshold decision"]
    # Start, working days, holidays skipped, due, status, paragraph: counted by hand.
    assert threshold[1:6] == ["2025-12-18", "5", "2025-12-25, 2025-12-26", "2025-12-29",
                              "met on 2025-12-22"]
    data = json.loads(page(bu, f"/cases/{CASE}?format=json"))
    [days] = [d for d in data["clock_days"] if d["clock"] == "threshold_decision"]
    assert days == {"clock": "threshold_decision", "action": None, "working_days": 5,
                    "holidays_skipped": ["2025-12-25", "2025-12-26"]}


def test_the_timeline_lists_each_event_in_the_order_it_occurred_with_its_signer(
        bu: FlaskClient, case: int) -> None:
    rows = cells(page(bu, f"/cases/{CASE}"), "timeline")
    assert [(r[1], r[3]) for r in rows] == [
        ("incident-referred", "bu1"), ("reported-to-partners", "bu1"),
        ("threshold-decided", "p1"), ("decision-cosigned", "scrut")]
    assert [r[0][:10] for r in rows] == ["2025-12-18", "2025-12-19", "2025-12-22",
                                         "2025-12-23"]


def test_the_decision_shows_its_signers_their_roles_and_the_pending_cosigner(
        bu: FlaskClient, case: int) -> None:
    html = page(bu, f"/cases/{CASE}")
    trail = html.split('id="decisions"', 1)[1].split('id="actions"', 1)[0]
    assert f"#{case} threshold-decided: met" in trail
    assert re.search(r"p1\s+as partner \(key", trail)
    assert re.search(r"scrut as scrutineer \(key [^)]+\) at 2025-12-23", trail)
    assert "Verified" in trail
    pending = re.search(r"Pending co-signers</dt><dd[^>]*>([^<]*)<", trail)
    assert pending and pending.group(1) == "p2"
    [waiting] = cells(html, "awaiting")
    assert waiting[1:3] == ["p1, scrut", "p2"]


def test_as_it_stood_on_a_day_leaves_out_what_occurred_later(
        bu: FlaskClient, web_ledger: Ledger, case: int) -> None:
    html = page(bu, f"/cases/{CASE}?occurred_by-day=19&occurred_by-month=12"
                    "&occurred_by-year=2025")
    assert "As it stood on 2025-12-19" in html
    assert [r[1] for r in cells(html, "timeline")] == ["incident-referred",
                                                       "reported-to-partners"]
    assert "threshold-decided" not in html and "scrut" not in html.split("<main", 1)[1]
    [threshold] = [r for r in cells(html, "clocks") if r[0] == "Threshold decision"]
    assert threshold[4:6] == ["2025-12-29", "pending"]
    # The same day given as one ISO value (scripts) gives the same case as the CLI has it.
    data = json.loads(page(bu, f"/cases/{CASE}?occurred_by=2025-12-19&format=json"))
    cli = cli_json(web_ledger, "case", "show", CASE, "--occurred-by", "2025-12-19")
    assert {k: data[k] for k in cli} == cli


def test_a_day_that_is_not_a_date_is_an_error_on_the_date_field(
        bu: FlaskClient, case: int) -> None:
    html = page(bu, f"/cases/{CASE}?occurred_by-day=31&occurred_by-month=2"
                    "&occurred_by-year=2025", 400)
    assert "govuk-error-summary" in html and 'href="#occurred_by-day"' in html
    assert "not a date" in html


def test_the_json_has_the_cli_keys_and_values_with_four_added(
        bu: FlaskClient, web_ledger: Ledger, case: int) -> None:
    data = json.loads(page(bu, f"/cases/{CASE}?format=json"))
    cli = cli_json(web_ledger, "case", "show", CASE)
    assert {k: data[k] for k in cli} == cli
    assert set(data) - set(cli) == {"timeline", "clock_days", "trail", "trail_problem",
                                    "actions"}
    assert data["trail"] == cli_json(web_ledger, "case", "history", CASE)
    assert data["actions"] == cli_json(web_ledger, "actions", "--case", CASE)
    assert json.loads(page(bu, "/cases?format=json")) == cli_json(web_ledger, "case",
                                                                   "list")


def test_the_list_links_each_case_and_filters_by_stage_and_breach(
        bu: FlaskClient, web_ledger: Ledger, case: int) -> None:
    with at("2026-01-05", 10):
        other = dict(REFERRAL, received_on="2026-01-05", aware_on="2026-01-05",
                     incident_on="2026-01-04")
        web_ledger.record("bu1", "incident-referred", "CS-2026-W2/B", other, "2026-01-05")
    html = page(bu, "/cases")
    assert f'href="/cases/{CASE}"' in html and 'href="/cases/CS-2026-W2/B"' in html
    only = json.loads(page(bu, "/cases?stage=threshold_decided&format=json"))
    assert [r["case"] for r in only] == [CASE]
    # Both are breached today (no Panel notification; no report to partners for B).
    breached = json.loads(page(bu, "/cases?breached=yes&format=json"))
    assert sorted(r["case"] for r in breached) == [CASE, "CS-2026-W2/B"]
    # A case reference holding "/" has its own page, not another case's.
    assert "Case CS-2026-W2/B" in page(bu, "/cases/CS-2026-W2/B")


def test_the_diff_between_two_instants_of_recording(
        bu: FlaskClient, web_ledger: Ledger, case: int) -> None:
    html = page(bu, f"/case-diff/{CASE}?from=2025-12-19&to=2025-12-23")
    assert [(r[3], r[4]) for r in cells(html, "added")] == [
        ("threshold-decided", "p1"), ("decision-cosigned", "scrut")]
    assert [r[1:] for r in cells(html, "decisions-made")] == [
        ["threshold-decided", "met", "p1"]]
    data = json.loads(page(bu, f"/case-diff/{CASE}?from=2025-12-19&to=2025-12-23"
                               "&format=json"))
    assert data == cli_json(web_ledger, "case", "diff", CASE, "--from", "2025-12-19",
                            "--to", "2025-12-23")
    bad = page(bu, f"/case-diff/{CASE}?from=yesterday&to=2025-12-23", 400)
    summary = bad.split('class="govuk-error-summary', 1)[1].split("</ul>", 1)[0]
    # The field is named; what was typed is given back in its box, never in the message.
    assert 'href="#diff-from"' in summary and "yesterday" not in summary


def test_the_record_pages_success_banner_is_shown_on_the_case_page(
        bu: FlaskClient, case: int) -> None:
    with bu.session_transaction() as s:
        s["_flashes"] = [("success", "Recorded something on the case.")]
    assert "Recorded something on the case." in page(bu, f"/cases/{CASE}")


@pytest.mark.parametrize("who", ["bu1", "p1", "scrut", "ldc", "rev", "admin"])
def test_each_role_that_records_or_oversees_reads_the_case_pages(
        client: FlaskClient, sign_in: Any, case: int, who: str) -> None:
    sign_in(client, who)
    for path in ("/cases", f"/cases/{CASE}", f"/case-diff/{CASE}"):
        page(client, path)


def test_an_agency_is_refused_and_nobody_signed_out_reaches_them(
        client: FlaskClient, web_app: Flask, sign_in: Any, case: int) -> None:
    for path in ("/cases", f"/cases/{CASE}", f"/case-diff/{CASE}?from=2025-12-19&to=x"):
        r = web_app.test_client().get(path)
        assert r.status_code == 302 and "/sign-in" in r.headers["Location"]
    sign_in(client, "ag1")
    for path in ("/cases", f"/cases/{CASE}", f"/case-diff/{CASE}"):
        page(client, path, 403)
        assert client.get(path + "?format=json").status_code == 403


def test_an_unknown_case_is_not_found(bu: FlaskClient, case: int) -> None:
    page(bu, "/cases/CS-NOT-THERE", 404)
    page(bu, "/case-diff/CS-NOT-THERE?from=2025-12-19&to=2025-12-23", 404)


# --- the filters Today links to (clock and status today) ----------------------------------


@pytest.fixture
def four(web_ledger: Ledger) -> None:
    """tests/web/test_today.py's four cases, read on Wed 4 Mar 2026: A1, A2 and A3 with
    "Reported to partners" breached, D with "Rapid Review meeting" at risk (counted there)."""
    from tests.web.test_today import four_cases

    four_cases(web_ledger)


def listed(client: FlaskClient, query: str) -> list[str]:
    return [r["case"] for r in json.loads(page(client, f"/cases?{query}&format=json"))]


def test_the_list_filters_by_a_clock_and_its_status_today(
        client: FlaskClient, sign_in: Any, four: None) -> None:
    a = ["T-A1", "T-A2", "T-A3"]
    with at("2026-03-04", 10):
        sign_in(client, "bu1")
        assert listed(client, "clock=report_to_partners&status=breached") == a
        assert listed(client, "clock=rapid_review_meeting&status=at_risk") == ["T-D"]
        assert listed(client, "clock=report_to_partners&status=at_risk") == []
        assert listed(client, "status=breached") == a
        assert listed(client, "status=at_risk") == ["T-D"]
        # A clock alone: the cases that have it, whatever its status (D's was met).
        assert listed(client, "clock=report_to_partners") == a + ["T-D"]
        assert listed(client, "clock=rapid_review_meeting") == ["T-D"]
        assert listed(client, "clock=rapid_review_meeting&stage=referred") == []
        html = page(client, "/cases?clock=report_to_partners&status=breached")
        assert "3 of 4 cases with a Reported to partners clock breached today" in html
        assert '<option value="report_to_partners" selected>' in html
        assert '<option value="breached" selected>' in html


def test_an_unknown_clock_or_status_filters_nothing_and_is_not_shown(
        client: FlaskClient, sign_in: Any, four: None) -> None:
    every = ["T-A1", "T-A2", "T-A3", "T-D"]
    with at("2026-03-04", 10):
        sign_in(client, "bu1")
        assert listed(client, "clock=made-up-clock&status=sideways") == every
        assert listed(client, "clock=made-up-clock&status=at_risk") == ["T-D"]
        assert listed(client, "clock=rapid_review_meeting&status=sideways") == ["T-D"]
        html = page(client, "/cases?clock=made-up-clock&status=sideways")
        assert "made-up-clock" not in html and "sideways" not in html
        assert "4 of 4 cases</caption>" in html and " selected>" not in html.replace(
            '<option value="" selected>', "")
