"""Issue 11, items 5 and 6, through the CLI.

5. A looked-after child's death is referred "whether or not abuse or neglect is known or
   suspected" (§7.4): `abuse_or_neglect: neither` is accepted for it (and only for it),
   starts the §7.4 notification clock, and cannot by itself meet the §7.1 criteria.
6. §8.4: agency information whose involvement began more than three years before the
   incident is accepted and flagged in `case show` and its JSON.
"""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time

from tests.helpers import REFERRAL, make_ledger

NOW = "2026-07-03 09:00:00"
# Thu 18 Dec 2025, as in PROCEDURE.md's example.
LAC_DEATH = {**REFERRAL, "received_on": "2025-12-18", "aware_on": "2025-12-18",
             "incident_on": "2025-12-17", "harm": "death", "looked_after": True,
             "abuse_or_neglect": "neither"}


@pytest.fixture
def lg(home):
    with freeze_time(NOW, tick=True):
        return make_ledger(home)


def _record(lg, actor: str, type_name: str, case: str, data: dict, occurred: str):
    with freeze_time(NOW, tick=True):
        return lg.cli("--as", actor, "record", type_name, "--case", case, "--data",
                      json.dumps(data), "--occurred-at", occurred)


def _json(lg, *args: str):
    with freeze_time(NOW, tick=True):
        result = lg.cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- 5. a looked-after child's death with neither abuse nor neglect -------------------------


def test_the_schema_offers_neither(lg):
    with freeze_time(NOW, tick=True):
        schema = json.loads(lg.cli("schema", "incident-referred").stdout)
    assert schema["properties"]["abuse_or_neglect"]["enum"] == ["known", "suspected", "neither"]


def test_a_looked_after_death_without_abuse_or_neglect_is_recorded_and_starts_7_4(lg):
    result = _record(lg, "bu1", "incident-referred", "LAC-1", LAC_DEATH, "2025-12-18")
    assert result.exit_code == 0, result.output
    clocks = {c["clock"]: c for c in _json(lg, "deadlines", "--case", "LAC-1")}
    # Hand count, 5 WD from Thu 18 Dec 2025 (day 0): Fri 19 (1), Mon 22 (2), Tue 23 (3),
    # Wed 24 (4); Thu 25 and Fri 26 are Christmas and Boxing Day, Sat 27 and Sun 28 the
    # weekend; Mon 29 Dec 2025 (5).
    lad = clocks["looked_after_death_notification"]
    assert (lad["starts_on"], lad["due_on"], lad["status"]) == (
        "2025-12-18", "2025-12-29", "breached")
    # §3.1, §7.1: with neither abuse nor neglect there is no duty to notify the National
    # Panel: the clock says so from the referral on (and the nightly breaches nothing).
    assert clocks["national_panel_notification"]["status"] == "not_required"
    notified = _record(lg, "bu1", "looked-after-death-notified", "LAC-1",
                       {"on": "2025-12-22", "recipients": ["dfe", "ofsted"]}, "2025-12-22")
    assert notified.exit_code == 0, notified.output
    clocks = {c["clock"]: c for c in _json(lg, "deadlines", "--case", "LAC-1")}
    assert (clocks["looked_after_death_notification"]["status"],
            clocks["looked_after_death_notification"]["met_on"]) == ("met", "2025-12-22")


def test_the_death_alone_does_not_meet_the_criteria(lg):
    assert _record(lg, "bu1", "incident-referred", "LAC-2", LAC_DEATH,
                   "2025-12-18").exit_code == 0
    size = lg.reopen().app.size()
    met = {"meets_threshold": True, "rationale": "Made-up: the child was looked after.",
           "decided_by": ["Partner A"]}
    refused = _record(lg, "p1", "threshold-decided", "LAC-2", met, "2025-12-22")
    assert refused.exit_code == 1, refused.output
    assert "§7.1" in refused.stderr and "Traceback" not in refused.output
    assert lg.reopen().app.size() == size
    # The partners still decide, and record why (§7.6-7.9): not met, with learning.
    not_met = {**met, "meets_threshold": False, "learning_potential": True}
    assert _record(lg, "p1", "threshold-decided", "LAC-2", not_met,
                   "2025-12-22").exit_code == 0
    notified = _record(lg, "bu1", "national-panel-notified", "LAC-2", {"on": "2025-12-23"},
                       "2025-12-23")
    assert notified.exit_code == 1 and "§7.2" in notified.stderr


@pytest.mark.parametrize("changes", [
    {"looked_after": False},                            # not looked after
    {"looked_after": None},                             # left out: reads as false
    {"harm": "serious_harm"},                           # harmed, not died
])
def test_neither_is_refused_when_7_4_does_not_apply(lg, changes):
    data = {**LAC_DEATH, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    size = lg.reopen().app.size()
    result = _record(lg, "bu1", "incident-referred", "LAC-3", data, "2025-12-18")
    assert result.exit_code == 1, result.output
    assert "§7.4" in result.stderr and "Traceback" not in result.output
    assert lg.reopen().app.size() == size


# --- 6. §8.4 three-year look-back ------------------------------------------------------------


def _agency(name: str, began: str) -> dict:
    return {"agency": name, "completed_by": "Officer X, made-up", "involvement_from": began,
            "nature_of_involvement": "made-up involvement"}


@pytest.mark.parametrize(("incident_on", "expected"), [
    # An ordinary date: three years before Tue 16 Dec 2025 is 16 Dec 2022.
    ("2025-12-16", {"2022-12-15": True, "2022-12-16": False, "2022-12-17": False}),
    # A leap day: 2021 has no 29 February, so three years before 29 Feb 2024 is clamped to
    # the end of that month, 28 Feb 2021 (PROCEDURE.md: calendar months clamp).
    ("2024-02-29", {"2021-02-27": True, "2021-02-28": False, "2021-03-01": False}),
])
def test_agency_information_older_than_three_years_is_flagged(lg, incident_on, expected):
    referral = {**REFERRAL, "incident_on": incident_on, "aware_on": "2026-03-02",
                "received_on": "2026-03-02"}
    assert _record(lg, "bu1", "incident-referred", "LB-1", referral,
                   "2026-03-02").exit_code == 0
    for i, began in enumerate(expected):
        # Recorded, never refused (EVENTS.md: "flagged (not refused)").
        result = _record(lg, "ag1", "agency-information-received", "LB-1",
                         _agency(f"Agency {i}", began), "2026-03-03")
        assert result.exit_code == 0, result.output
    shown = _json(lg, "case", "show", "LB-1")["agency_information"]
    assert {row["involvement_from"]: row["beyond_look_back"] for row in shown} == expected
    assert {row["paragraph"] for row in shown} == {"§8.4"}
    with freeze_time(NOW, tick=True):
        text = lg.cli("case", "show", "LB-1").stdout
    flagged = [line for line in text.splitlines() if "older than 3 years" in line]
    assert len(flagged) == 1 and "Agency 0" in flagged[0]
