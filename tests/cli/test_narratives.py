"""One story per path of the procedure, told through the command line as a business unit
would, checked the way a scrutineer would read it."""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time

from cli.record import RECORDABLE
from ledger.verify import verify_ledger
from tests.helpers import make_ledger
from tests.scenario import LEARNING_PATH, REFERRAL_STEPS, THRESHOLD_MET_PATH, data, play

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with freeze_time("2027-01-15 12:00:00", tick=True):
        yield


@pytest.fixture
def ledger(home):
    lg = make_ledger(home)
    lg.app.engine  # opened inside the frozen clock
    return lg


def clocks(lg, case, as_of="2027-01-15"):
    out = lg.cli("deadlines", "--case", case, "--as-of", as_of, "--json")
    assert out.exit_code == 0, out.output
    return {(c["clock"], c.get("action")): c for c in json.loads(out.stdout)}


def test_threshold_met_to_publication_and_actions_done(ledger):
    play(ledger, "N-1", THRESHOLD_MET_PATH)
    c = clocks(ledger, "N-1")
    for clock in ("report_to_partners", "threshold_decision", "national_panel_notification",
                  "referrer_feedback", "rapid_review_meeting", "rapid_review_meeting_qa",
                  "rapid_review_to_panel", "publication", "prepublication_copy"):
        assert c[(clock, None)]["status"] == "met", (clock, c[(clock, None)])
    assert c[("publication", None)]["met_on"] == "2026-07-01"
    # the ladder of R1 counts from the extended deadline, and R1 was completed in time
    assert c[("action_head_of_service", "R1")]["due_on"] == "2027-01-30"
    assert c[("action_head_of_service", "R1")]["status"] == "met"
    show = json.loads(ledger.cli("case", "show", "N-1", "--json").stdout)
    assert show["stage"] == "published"
    assert [d["decision"] for d in show["decisions"]][:3] == [
        "threshold-decided", "rapid-review-held", "review-level-decided"]
    acts = {a["action"]: a for a in json.loads(
        ledger.cli("actions", "--case", "N-1", "--json").stdout)}
    assert acts["R1"]["status"] == "completed"
    assert acts["R1"]["original_deadline"] == "2026-09-30"
    assert acts["R1"]["deadline"] == "2026-10-30"
    assert acts["R2"]["status"] == "not_implemented"
    assert acts["R2"]["escalations"] == [{"level": "partners", "on": "2026-09-10"}]
    assert verify_ledger(ledger.app).ok


def test_threshold_not_met_goes_to_a_learning_route(ledger):
    play(ledger, "N-2", LEARNING_PATH[:-1])
    c = clocks(ledger, "N-2")
    assert c[("national_panel_notification", None)]["status"] == "not_required"
    assert c[("threshold_decision", None)]["status"] == "met"
    refused = ledger.cli("--as", "bu1", "record", "national-panel-notified", "--case", "N-2",
                         "--data", '{"on": "2026-01-02"}', "--occurred-at", "2026-01-02")
    assert refused.exit_code == 1 and "§7.2" in refused.stderr
    play(ledger, "N-2", LEARNING_PATH[-1:])
    show = json.loads(ledger.cli("case", "show", "N-2", "--json").stdout)
    assert show["stage"] == "closed"
    assert any(d["decision"] == "learning-route-decided" for d in show["decisions"])


def test_a_looked_after_childs_death(ledger):
    referral = data("incident-referred", harm="death", looked_after=True,
                    aware_on="2025-12-18", received_on="2025-12-18", incident_on="2025-12-17")
    ledger.record("bu1", "incident-referred", "N-3", referral, "2025-12-18")
    before = clocks(ledger, "N-3", as_of="2025-12-22")
    lac = before[("looked_after_death_notification", None)]
    assert lac["due_on"] == "2025-12-29" and lac["status"] == "pending"
    ledger.record("bu1", "looked-after-death-notified", "N-3",
                  data("looked-after-death-notified", on="2025-12-23"), "2025-12-23")
    after = clocks(ledger, "N-3")
    assert after[("looked_after_death_notification", None)]["status"] == "met"
    assert after[("report_to_partners", None)]["status"] == "breached"


def test_a_case_closed_with_no_further_action(ledger):
    referral = data("incident-referred", harm="death", aware_on="2025-12-18",
                    received_on="2025-12-18", incident_on="2025-12-17")
    ledger.record("bu1", "incident-referred", "N-4", referral, "2025-12-18")
    ledger.record("p1", "threshold-decided", "N-4",
                  data("threshold-decided", meets_threshold=False, learning_potential=False),
                  "2025-12-22")
    closing = data("case-closed", child_death_review_ref=None)
    refused = ledger.cli("--as", "p1", "record", "case-closed", "--case", "N-4",
                         "--data", json.dumps(closing))
    assert refused.exit_code == 1 and "child_death_review_ref" in refused.stderr
    ok = ledger.cli("--as", "p1", "record", "case-closed", "--case", "N-4", "--data",
                    json.dumps(data("case-closed")), "--occurred-at", "2026-01-05")
    assert ok.exit_code == 0, ok.output
    after = ledger.cli("--as", "bu1", "record", "referrer-informed", "--case", "N-4",
                       "--data", '{"on": "2026-01-06"}', "--occurred-at", "2026-01-06")
    assert after.exit_code == 1 and "closed" in after.stderr
    show = json.loads(ledger.cli("case", "show", "N-4", "--json").stdout)
    assert show["stage"] == "closed"


# Issue 11 item 8: the paths EVENTS.md had no event for (domain/catalogue_paths.py), on a
# case the National Panel takes for a national review while the LCSPR goes on.
FURTHER_PATHS = REFERRAL_STEPS + [
    ("p1", "threshold-decided", {}, "2025-12-22"),
    ("bu1", "national-panel-notified", {"on": "2025-12-22"}, "2025-12-22"),
    ("bu1", "national-panel-information-requested", {"on": "2026-01-16"}, "2026-01-16"),
    ("bu1", "national-panel-information-sent", {"on": "2026-01-19"}, "2026-01-19"),
    ("bu1", "national-panel-decided", {"national_review": True}, "2026-01-20"),
    ("p1", "national-review-scope-discussed", {"on": "2026-01-23"}, "2026-01-23"),
    ("bu1", "family-informed", {"on": "2026-01-26", "decision": "threshold"}, "2026-01-26"),
    ("p1", "review-commissioned", {"decided_on": "2026-01-27"}, "2026-01-27"),
    ("p1", "media-strategy-approved", {"on": "2026-02-02"}, "2026-02-02"),
    ("p1", "reviewer-progress-requested", {"on": "2026-03-02"}, "2026-03-02"),
    ("p1", "reviewer-supervision-recorded", {"on": "2026-03-16"}, "2026-03-16"),
    ("bu1", "coroner-request-received", {"on": "2026-04-01"}, "2026-04-01"),
    ("p1", "coroner-request-answered", {}, "2026-04-20"),
]
LEARNING_SHARED = REFERRAL_STEPS + [
    ("p1", "threshold-decided", {"meets_threshold": False, "learning_potential": True},
     "2025-12-22"),
    ("ldc", "learning-route-decided", {"meeting_on": "2026-01-15"}, "2026-01-15"),
    ("ldc", "learning-outcome-shared", {"on": "2026-01-16"}, "2026-01-16"),
]


def test_every_recordable_event_type_is_accepted_somewhere(ledger):
    play(ledger, "E-1", THRESHOLD_MET_PATH)
    play(ledger, "E-2", LEARNING_PATH)
    ledger.record("bu1", "report-withdrawn", "E-1", data("report-withdrawn", on="2026-12-01"),
                  "2026-12-01")
    ledger.record("bu1", "incident-referred", "E-3",
                  data("incident-referred", harm="death", looked_after=True), "2025-12-18")
    ledger.record("bu1", "looked-after-death-notified", "E-3",
                  data("looked-after-death-notified"), "2025-12-22")
    ledger.record("p1", "threshold-decided", "E-3", data("threshold-decided"), "2025-12-22")
    ledger.record("p1", "review-commissioned", "E-3", data("review-commissioned"), "2026-01-20")
    ledger.record("scrut", "publication-declined", "E-3", data("publication-declined"),
                  "2026-07-01")
    ledger.record("system", "deadline-breached", "E-3", data("deadline-breached"), "2025-12-20")
    play(ledger, "E-4", FURTHER_PATHS)  # issue 11 item 8
    play(ledger, "E-5", LEARNING_SHARED)
    result = ledger.cli("case", "list", "--json")
    recorded = set()
    for case in ("E-1", "E-2", "E-3"):
        history = json.loads(ledger.cli("case", "show", case, "--json").stdout)
        assert history["events"] > 0
    t = ledger.app.events_table
    from sqlalchemy import select

    with ledger.app.engine.connect() as conn:
        recorded = set(conn.execute(select(t.c.event_type)).scalars())
    assert set(RECORDABLE) <= recorded, set(RECORDABLE) - recorded
    assert result.exit_code == 0
    assert verify_ledger(ledger.app).ok
