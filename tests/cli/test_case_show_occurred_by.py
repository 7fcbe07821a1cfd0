"""``case show --occurred-by DATE``: the case as it stood in the world at the end of DATE,
whatever day its events were recorded (issue 11); ``--as-of`` stays "what the ledger had
recorded by then"."""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time

from tests.helpers import REFERRAL, make_ledger

pytestmark = pytest.mark.usefixtures("frozen")

# Every event below is recorded "today", Wed 18 Mar 2026, long after it occurred.
TODAY = "2026-03-18"


@pytest.fixture
def frozen():
    with freeze_time(f"{TODAY} 12:00:00", tick=True):
        yield


@pytest.fixture
def ledger(home):
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "W-1",
              {**REFERRAL, "received_on": "2026-03-02", "aware_on": "2026-03-02",
               "incident_on": "2026-02-27"}, "2026-03-02")
    lg.record("bu1", "reported-to-partners", "W-1", {"on": "2026-03-03"}, "2026-03-03")
    lg.record("p1", "threshold-decided", "W-1",
              {"meets_threshold": True, "decided_by": ["LA", "ICB", "Police"],
               "rationale": "Made-up: a death, abuse suspected; criteria met."}, "2026-03-06")
    return lg


def show(lg, *options):
    out = lg.cli("case", "show", "W-1", *options, "--json")
    assert out.exit_code == 0, out.output
    view = json.loads(out.stdout)
    return view, {c["clock"]: c for c in view["clocks"]}


def test_an_event_that_occurred_by_the_date_is_shown_one_after_it_is_not(ledger):
    # Thu 5 Mar 2026: the referral (Mon 2 Mar) and the report (Tue 3 Mar) had occurred,
    # the threshold decision (Fri 6 Mar) had not, though all three were recorded today.
    view, clocks = show(ledger, "--occurred-by", "2026-03-05")
    assert view["events"] == 2
    assert [d["decision"] for d in view["decisions"]] == []
    assert clocks["report_to_partners"]["met_on"] == "2026-03-03"
    # Threshold decision, hand count: day 0 Mon 2 Mar; working days Tue 3, Wed 4, Thu 5,
    # Fri 6, (Sat 7, Sun 8 skipped), Mon 9 = the fifth. Still running at the end of 5 Mar.
    assert clocks["threshold_decision"]["due_on"] == "2026-03-09"
    assert clocks["threshold_decision"]["met_on"] is None
    assert clocks["threshold_decision"]["status"] not in ("met", "breached")

    view, clocks = show(ledger, "--occurred-by", "2026-03-06")
    assert view["events"] == 3
    assert [d["decision"] for d in view["decisions"]] == ["threshold-decided"]
    assert clocks["threshold_decision"]["met_on"] == "2026-03-06"


def test_as_of_is_what_the_ledger_had_recorded_not_what_had_occurred(ledger):
    # By the end of Tue 17 Mar nothing about W-1 was recorded: the case is unknown then,
    # though everything in it had occurred; --occurred-by 2026-03-17 shows it all.
    out = ledger.cli("case", "show", "W-1", "--as-of", "2026-03-17")
    assert out.exit_code == 2, out.output
    assert "unknown case" in out.output
    view, _ = show(ledger, "--occurred-by", "2026-03-17")
    assert view["events"] == 3


@pytest.mark.parametrize("day, problem", [
    ("2026-03-01", "before the case existed"),  # the day before the referral
    ("2026-03-19", "in the future"),            # tomorrow
    ("1 March", "not a date"),
])
def test_a_date_outside_the_case_is_bad_input_naming_the_field(ledger, day, problem):
    out = ledger.cli("case", "show", "W-1", "--occurred-by", day)
    assert out.exit_code == 2, out.output
    assert "occurred_by" in out.output and problem in out.output
    assert day not in out.output
    assert "Traceback" not in out.output


def test_the_table_says_which_day_it_shows(ledger):
    out = ledger.cli("case", "show", "W-1", "--occurred-by", "2026-03-05")
    assert out.exit_code == 0, out.output
    assert "(as it stood on 2026-03-05)" in out.output
    assert "threshold-decided" not in out.output
