"""Today as a summary (issue 12): counts per clock linking to the filtered case list, the
most urgent clocks, letters and decisions capped with "and K more", and `cspr serve`
bringing the read models up to date before it listens. SQLite and PostgreSQL.

Four made-up cases, each event recorded on the day it occurred (10:30 UTC, frozen); the
page is read on Wed 4 Mar 2026. No England bank holiday falls in Feb or Mar 2026.
- A1, A2, A3: referred, aware Mon 2 Mar 2026, never reported to the partners. §6.1, 1
  working day: due Tue 3 Mar, so breached on Wed 4 Mar. Their threshold decision and
  National Panel clocks (5 WD: Mon 9 Mar) are pending, not at risk (those rules have no
  at-risk point). A1 and A2 have p1's threshold decision of Tue 3 Mar naming scrut as
  co-signer (met, so no clock changes; referrer feedback due 5 WD later, Tue 10 Mar,
  pending); co-signature due 5 WD after Tue 3 Mar: Tue 10 Mar, not overdue.
- D: aware Wed 11 Feb; reported Thu 12 Feb (due 12 Feb: met); threshold decided Thu 12
  Feb (due 5 WD, Wed 18 Feb: met); referrer told Fri 13 Feb (due 5 WD after 12 Feb, Thu
  19 Feb: met); National Panel notified Wed 18 Feb (due Wed 18 Feb: met). The Rapid Review
  meeting runs from the notification while no acknowledgement is recorded (§8.2): at
  risk from 7 WD, Fri 27 Feb (19, 20, 23, 24, 25, 26, 27), due at 10 WD, Wed 4 Mar (2,
  3, 4 Mar): at risk on Wed 4 Mar. The QA meeting and the Panel report (15 WD, Wed 11
  Mar) are pending.
So: 3 "Reported to partners" breached, 1 "Rapid Review meeting" at risk, nothing else.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Iterator

import pytest
from flask.testing import FlaskClient

from jobs.outbox import Message, Outbox
from projections.projector import Projector
from service.calendar_england import england_calendar
from service.home import Home
from tests.cli.test_issue11_clocks import at
from tests.helpers import CHILD_NAME, REFERRAL, Ledger, make_ledger, run_cli
from tests.scenario import data
from web import today as today_page

DAY = "2026-03-04"
BREACHED = ["T-A1", "T-A2", "T-A3"]
AT_RISK = "T-D"
DECISION = {"meets_threshold": True, "rationale": "Made-up rationale: the criteria are met.",
            "decided_by": ["Partner A (LA)", "Partner B (ICB)", "Partner C (Police)"],
            "cosigners": ["scrut"]}


def referral(aware: str, incident: str) -> dict[str, Any]:
    return dict(REFERRAL, aware_on=aware, received_on=aware, incident_on=incident)


def four_cases(lg: Ledger) -> dict[str, int]:
    """The cases of the module docstring; the positions of A1's and A2's decisions."""
    steps: list[tuple[str, str, str, str, dict[str, Any]]] = [
        ("2026-02-11", "bu1", "incident-referred", AT_RISK, referral("2026-02-11", "2026-02-10")),
        ("2026-02-12", "bu1", "reported-to-partners", AT_RISK, {"on": "2026-02-12"}),
        ("2026-02-12", "p1", "threshold-decided", AT_RISK, dict(DECISION, cosigners=None)),
        ("2026-02-13", "bu1", "referrer-informed", AT_RISK,
         data("referrer-informed", on="2026-02-13")),
        ("2026-02-18", "bu1", "national-panel-notified", AT_RISK,
         data("national-panel-notified", on="2026-02-18")),
    ] + [("2026-03-02", "bu1", "incident-referred", ref, referral("2026-03-02", "2026-03-01"))
         for ref in BREACHED]
    for day, actor, kind, ref, fields in steps:
        with at(day, 10):
            lg.record(actor, kind, ref, {k: v for k, v in fields.items() if v is not None},
                      day)
    positions = {}
    with at("2026-03-03", 10):
        for ref in BREACHED[:2]:
            positions[ref] = lg.record("p1", "threshold-decided", ref, DECISION,
                                       "2026-03-03").position
    return positions


@pytest.fixture
def web_ledger(home: Home) -> Iterator[Ledger]:
    """Made on 1 Feb 2026, before the cases."""
    with at("2026-02-01", 9):
        lg = make_ledger(home)
    yield lg
    lg.app.close()


@pytest.fixture
def decisions(web_ledger: Ledger) -> dict[str, int]:
    return four_cases(web_ledger)


@pytest.fixture
def bu(client: FlaskClient, sign_in: Any, decisions: dict[str, int]) -> Iterator[FlaskClient]:
    """bu1 signed in on Wed 4 Mar 2026, the clock frozen there (ticking) for the test."""
    with at(DAY, 10):
        sign_in(client, "bu1")
        yield client


def get(client: FlaskClient, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    text = r.get_data(True)
    assert CHILD_NAME not in text  # never personal data
    return text


def cells(html: str, start: str) -> list[list[str]]:
    """The text of each body row of the first table after ``start``."""
    table = html.split(start, 1)[1].split("</table>", 1)[0].split("<tbody", 1)[1]
    return [[re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(
        r"<td[^>]*>(.*?)</td>", row, re.S)] for row in re.findall(r"<tr.*?</tr>", table, re.S)]


def visible(html: str) -> str:
    return re.sub(r'<span class="govuk-visually-hidden">.*?</span>', "", html)


def test_today_counts_each_clock_breached_and_at_risk(bu: FlaskClient) -> None:
    data = json.loads(get(bu, "/today?format=json"))
    assert data["today"] == DAY
    assert data["clock_counts"] == [
        {"clock": "report_to_partners", "name": "Reported to partners", "breached": 3,
         "at_risk": 0},
        {"clock": "rapid_review_meeting", "name": "Rapid Review meeting", "breached": 0,
         "at_risk": 1}]
    assert data["clocks_total"] == 4 and data["clocks_limit"] == today_page.LIMIT
    # Breached first (each due Tue 3 Mar, by case), then the one at risk (due Wed 4 Mar).
    assert [(c["case"], c["clock"], c["status"], c["due_on"]) for c in data["clocks"]] == [
        (ref, "report_to_partners", "breached", "2026-03-03") for ref in BREACHED] + [
        (AT_RISK, "rapid_review_meeting", "at_risk", "2026-03-04")]
    html = visible(get(bu, "/today"))
    assert cells(html, 'id="clock-counts"') == [["Reported to partners", "3", "0"],
                                                 ["Rapid Review meeting", "0", "1"]]
    for clock, status, n in (("report_to_partners", "breached", 3),
                             ("rapid_review_meeting", "at_risk", 1)):
        assert re.search(rf'href="/cases\?clock={clock}&amp;status={status}">{n}<', html)
    assert 'href="/cases?status=breached">3<' in html and "4 clocks:" in html
    assert "more" not in html.split('id="clocks"', 1)[1].split('id="cosign"', 1)[0]


def test_the_clock_list_and_the_decisions_are_cut_at_the_limit_with_how_many_more(
        bu: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(today_page, "LIMIT", 3)
    data = json.loads(get(bu, "/today?format=json"))
    assert [c["case"] for c in data["clocks"]] == BREACHED and data["clocks_total"] == 4
    html = get(bu, "/today")
    urgent = html.split('id="clocks"', 1)[1].split('id="cosign"', 1)[0]
    assert [r[0] for r in cells(html, 'id="clocks"')] == BREACHED
    assert "and 1 more" in urgent and 'href="/cases?status=at_risk"' in urgent
    # Two decisions wait for scrut; the JSON keeps both, the page shows the first.
    assert [d["case"] for d in data["awaiting_cosignature"]] == BREACHED[:2]
    monkeypatch.setattr(today_page, "LIMIT", 1)
    html = get(bu, "/today")
    waiting = html.split('id="cosign"', 1)[1].split('id="letters"', 1)[0]
    assert [r[0] for r in cells(html, 'id="cosign"')] == ["T-A1"]
    assert "2 waiting, 0 of them overdue" in waiting and "and 1 more" in waiting
    monkeypatch.setattr(today_page, "LIMIT", 4)
    assert "more" not in get(bu, "/today").split('id="clocks"', 1)[1].split(
        'id="cosign"', 1)[0]


def test_a_decision_co_signed_leaves_the_list(bu: FlaskClient, web_ledger: Ledger,
                                              decisions: dict[str, int]) -> None:
    done = run_cli(web_ledger.home, "--as", "scrut", "cosign", str(decisions["T-A1"]))
    assert done.exit_code == 0, done.output
    (waiting,) = json.loads(get(bu, "/today?format=json"))["awaiting_cosignature"]
    assert (waiting["case"], waiting["position"]) == ("T-A2", decisions["T-A2"])
    # 5 working days after Tue 3 Mar 2026: Wed 4, Thu 5, Fri 6, Mon 9, Tue 10 Mar.
    assert waiting["signed_by"] == ["p1"] and waiting["still_to_sign"] == ["scrut"]
    assert (waiting["due_on"], waiting["overdue"]) == ("2026-03-10", False)


def test_letters_are_cut_at_the_limit_with_how_many_more(
        bu: FlaskClient, web_ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    outbox = Outbox(web_ledger.home.outbox, "ledger@example.org")
    for ref in BREACHED:
        outbox.write(Message(f"made-up-{ref}", ("someone@example.org",), "A made-up letter",
                             "Made-up body.", ref), datetime.now(timezone.utc))
    monkeypatch.setattr(today_page, "LIMIT", 2)
    letters = json.loads(get(bu, "/today?format=json"))["letters"]
    assert letters["pending"] == 3 and len(letters["letters"]) == 3  # the JSON keeps all
    section = get(bu, "/today").split('id="letters"', 1)[1].split('id="nightly"', 1)[0]
    assert section.count("<li>") == 2 and "and 1 more" in section
    assert "someone@example.org" not in section


def test_cspr_serve_brings_the_read_models_up_to_date_before_it_listens(
        web_ledger: Ledger, decisions: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import waitress

    from web.context import EXTENSION

    lg = web_ledger
    projector = Projector(lg.app, england_calendar())
    assert projector.position() == 0  # recorded, never projected
    served: dict[str, Any] = {}

    def listen(app: Any, **kw: Any) -> None:
        served.update(app=app, position=projector.position())

    monkeypatch.setattr(waitress, "serve", listen)
    out = run_cli(lg.home, "serve", "--insecure-cookies")
    assert out.exit_code == 0, out.output
    assert served["position"] == lg.app.size()  # before it listened
    assert "bringing the read models up to date" in out.output
    assert f"read models up to date at position {lg.app.size()}" in out.output
    # An event recorded afterwards is projected by the next request that reads.
    with at(DAY, 11):
        lg.record("bu1", "incident-referred", "T-E", referral("2026-03-02", "2026-03-01"),
                  "2026-03-02")
    app = served["app"]
    with app.test_request_context("/today"), at(DAY, 12):
        counts = today_page.today_json()["clock_counts"]
    assert counts[0] == {"clock": "report_to_partners", "name": "Reported to partners",
                         "breached": 4, "at_risk": 0}
    assert projector.position() == lg.app.size()
    app.extensions[EXTENSION].close()


@pytest.mark.parametrize("day", ["2026-02-11", "2026-02-13", "2026-02-17", "2026-02-27",
                                 "2026-03-03", DAY, "2026-03-05", "2026-03-12"])
def test_only_the_clocks_that_can_need_attention_are_read_and_none_is_missed(
        web_ledger: Ledger, decisions: dict[str, int], day: str) -> None:
    """Queries.attention reads a subset of the clocks (projections.read.clock_rows): on
    each day, before, between and after D's stops (met on 12, 13 and 18 Feb: "stopped
    only after the day" before then), it is exactly the rows of `deadlines` breached or at
    risk."""
    from service.queries import Queries

    now = datetime.fromisoformat(f"{day}T12:00:00+00:00")
    q = Queries(web_ledger.app, now, england_calendar())
    every = [r for r in q.deadlines(None, None) if r["status"] in ("breached", "at_risk")]
    assert q.attention() == every
