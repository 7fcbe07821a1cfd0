"""Clock states of small cases, against hand-computed dates on the real England calendar.

Bank holidays that matter here: Thu 25 & Fri 26 Dec 2025, Thu 1 Jan 2026,
Fri 3 & Mon 6 Apr 2026 (Easter), Mon 25 Aug 2025 (August bank holiday).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.clocks import ClockState, Fact, compute_clocks
from domain.rulesets import WT2018_LOCAL, WT2023, RuleSet
from service.calendar_england import england_calendar

CAL = england_calendar()
D = date


def fact(
    type_: str,
    occurred: date,
    recorded: date | None = None,
    action: str | None = None,
    **data: Any,
) -> Fact:
    data = {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}
    if action is not None:
        data["action"] = action
    return Fact(type_, data, occurred, recorded or occurred, action)


def referral(aware: date, **extra: Any) -> Fact:
    fields = dict(
        referring_agency="police", received_on=aware, aware_on=aware, incident_on=aware,
        harm="serious_harm", location="in_area", abuse_or_neglect="suspected",
        looked_after=False,
    )
    fields.update(extra)
    return fact("incident-referred", aware, **fields)


def breach(clock: str, due: date, occurred: date, action: str | None = None) -> Fact:
    return fact("deadline-breached", occurred, action=action, clock=clock, due_on=due,
                rule_set="wt2018-local", calendar=CAL.name)


def clocks(
    facts: list[Fact], as_of: date, rule_set: RuleSet = WT2018_LOCAL
) -> dict[tuple[str, str | None], ClockState]:
    states = compute_clocks(facts, rule_set, CAL, as_of)
    return {(s.clock, s.action): s for s in states}


def one(facts: list[Fact], clock: str, as_of: date, rule_set: RuleSet = WT2018_LOCAL,
        action: str | None = None) -> ClockState:
    return clocks(facts, as_of, rule_set)[(clock, action)]


AWARE = D(2025, 12, 18)  # Thu; 1 WD -> Fri 19 Dec; 5 WD -> Mon 29 Dec 2025
MET_THRESHOLD = dict(meets_threshold=True, rationale="r", decided_by=["SSP"])


# ------------------------------------------------------------------ referral clocks


def test_clock_referral_starts_three_clocks_and_nothing_else() -> None:
    got = clocks([referral(AWARE)], AWARE)
    assert set(got) == {
        ("report_to_partners", None),
        ("threshold_decision", None),
        ("national_panel_notification", None),
    }
    rtp = got[("report_to_partners", None)]
    assert (rtp.starts_on, rtp.due_on, rtp.status) == (AWARE, D(2025, 12, 19), "pending")
    assert got[("threshold_decision", None)].due_on == D(2025, 12, 29)  # Mon
    assert got[("national_panel_notification", None)].due_on == D(2025, 12, 29)
    assert rtp.rule_set == "wt2018-local"
    assert rtp.calendar == CAL.name
    assert rtp.paragraph == "§6.1"


def test_clock_not_yet_started_is_absent_before_the_referral_occurred() -> None:
    assert compute_clocks([referral(AWARE)], WT2018_LOCAL, CAL, D(2025, 12, 17)) == []


@pytest.mark.parametrize(
    ("reported_on", "as_of", "status", "met_on"),
    [
        (D(2025, 12, 19), D(2025, 12, 19), "met", D(2025, 12, 19)),  # Fri, on the due day
        (D(2025, 12, 22), D(2025, 12, 22), "met_late", D(2025, 12, 22)),  # Mon, 1 day late
        (None, D(2025, 12, 19), "pending", None),  # end of the due day: not yet breached
        (None, D(2025, 12, 20), "breached", None),  # Sat: the due day has passed
    ],
)
def test_clock_report_to_partners(reported_on, as_of, status, met_on) -> None:
    facts = [referral(AWARE)]
    if reported_on:
        facts.append(fact("reported-to-partners", reported_on, on=reported_on))
    state = one(facts, "report_to_partners", as_of)
    assert (state.status, state.met_on, state.recorded_late) == (status, met_on, False)


def test_clock_stop_after_as_of_is_ignored_in_a_replay() -> None:
    facts = [referral(AWARE), fact("reported-to-partners", D(2025, 12, 22), on=D(2025, 12, 22))]
    assert one(facts, "report_to_partners", D(2025, 12, 20)).status == "breached"
    assert one(facts, "report_to_partners", D(2025, 12, 22)).status == "met_late"


def test_clock_notification_recorded_late_supersedes_the_breach() -> None:
    # Notified Wed 24 Dec (day 4), recorded Wed 31 Dec; the nightly run of Tue 30 Dec had
    # already flagged the breach of the Mon 29 Dec deadline.
    breach_fact = breach("national_panel_notification", D(2025, 12, 29), D(2025, 12, 30))
    known_on_30 = [
        referral(AWARE),
        fact("threshold-decided", D(2025, 12, 22), **MET_THRESHOLD),
        breach_fact,
    ]
    before = one(known_on_30, "national_panel_notification", D(2025, 12, 30))
    assert (before.status, before.breach_superseded) == ("breached", False)

    notified = fact("national-panel-notified", D(2025, 12, 24), recorded=D(2025, 12, 31),
                    on=D(2025, 12, 24))
    after = one(known_on_30 + [notified], "national_panel_notification", D(2025, 12, 31))
    assert after.status == "met"
    assert after.met_on == D(2025, 12, 24)
    assert after.recorded_late is True
    assert after.breach_superseded is True


def test_clock_on_time_stop_recorded_on_due_day_is_not_late() -> None:
    notified = fact("national-panel-notified", D(2025, 12, 24), recorded=D(2025, 12, 29),
                    on=D(2025, 12, 24))
    facts = [referral(AWARE), fact("threshold-decided", D(2025, 12, 22), **MET_THRESHOLD),
             notified]
    state = one(facts, "national_panel_notification", D(2025, 12, 29))
    assert (state.status, state.recorded_late, state.breach_superseded) == ("met", False, False)


def test_clock_threshold_not_met_makes_notification_not_required() -> None:
    # Decided "not met" on Fri 2 Jan 2026, after the Mon 29 Dec due date: the notification
    # duty never arose, the lateness shows on threshold_decision instead.
    facts = [
        referral(AWARE),
        breach("national_panel_notification", D(2025, 12, 29), D(2025, 12, 30)),
        fact("threshold-decided", D(2026, 1, 2), meets_threshold=False,
             learning_potential=True, rationale="r", decided_by=["SSP"]),
    ]
    before = clocks(facts, D(2025, 12, 31))
    assert before[("national_panel_notification", None)].status == "breached"
    assert ("referrer_feedback", None) not in before

    got = clocks(facts, D(2026, 1, 5))
    npn = got[("national_panel_notification", None)]
    assert (npn.status, npn.breach_superseded, npn.met_on) == ("not_required", True, None)
    td = got[("threshold_decision", None)]
    assert (td.status, td.met_on) == ("met_late", D(2026, 1, 2))
    # §6.3: 5 WD from the decision, Fri 2 Jan -> Fri 9 Jan 2026.
    rf = got[("referrer_feedback", None)]
    assert (rf.starts_on, rf.due_on, rf.status) == (D(2026, 1, 2), D(2026, 1, 9), "pending")


def test_clock_referrer_feedback_across_christmas() -> None:
    # Decided Mon 22 Dec: 23, 24, 29, 30, 31 Dec -> due Wed 31 Dec 2025.
    facts = [referral(AWARE), fact("threshold-decided", D(2025, 12, 22), **MET_THRESHOLD)]
    assert one(facts, "referrer_feedback", D(2025, 12, 31)).due_on == D(2025, 12, 31)
    assert one(facts, "referrer_feedback", D(2025, 12, 31)).status == "pending"
    assert one(facts, "referrer_feedback", D(2026, 1, 1)).status == "breached"
    informed = facts + [fact("referrer-informed", D(2025, 12, 30), on=D(2025, 12, 30))]
    assert one(informed, "referrer_feedback", D(2026, 1, 5)).status == "met"


# ------------------------------------------------------------------ Rapid Review

NOTIFIED = D(2025, 12, 24)  # Wed
ACKNOWLEDGED = D(2025, 12, 30)  # Tue
RAPID = [
    referral(AWARE),
    fact("threshold-decided", D(2025, 12, 22), **MET_THRESHOLD),
    fact("national-panel-notified", NOTIFIED, on=NOTIFIED),
    fact("notification-acknowledged", ACKNOWLEDGED, on=ACKNOWLEDGED),
]


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        (D(2026, 1, 8), "pending"),  # Thu, day 6
        (D(2026, 1, 9), "at_risk"),  # Fri, day 7
        (D(2026, 1, 14), "at_risk"),  # Wed, day 10 = due
        (D(2026, 1, 15), "breached"),
    ],
)
def test_clock_rapid_review_meeting_at_risk_window(as_of: date, status: str) -> None:
    # From Tue 30 Dec: 31 Dec, 2, 5, 6, 7, 8, 9 (day 7, Fri), 12, 13, 14 Jan (day 10, Wed).
    state = one(RAPID, "rapid_review_meeting", as_of)
    assert state.starts_on == ACKNOWLEDGED
    assert state.at_risk_on == D(2026, 1, 9)
    assert state.due_on == D(2026, 1, 14)
    assert state.status == status


def test_clock_rapid_review_held_stops_both_meeting_clocks() -> None:
    held = fact("rapid-review-held", D(2026, 1, 12), on=D(2026, 1, 12), chair="c",
                present=["a"], immediate_action_needed=False, recommendation="lcspr",
                rationale="r")
    got = clocks(RAPID + [held], D(2026, 1, 12))
    assert got[("rapid_review_meeting", None)].status == "met"
    qa = got[("rapid_review_meeting_qa", None)]
    # App. 5 QA: 15 WD from Wed 24 Dec -> Mon 19 Jan 2026 (29, 30, 31 Dec, 2 Jan, ...).
    assert (qa.starts_on, qa.due_on, qa.status) == (NOTIFIED, D(2026, 1, 19), "met")


def test_clock_rapid_review_to_panel_counts_from_acknowledgement_in_wt2018() -> None:
    # 15 WD from Tue 30 Dec -> Wed 21 Jan 2026.
    state = one(RAPID, "rapid_review_to_panel", D(2026, 1, 19))
    assert (state.starts_on, state.due_on, state.status) == (ACKNOWLEDGED, D(2026, 1, 21),
                                                             "pending")


def test_clock_rapid_review_to_panel_counts_from_notification_in_wt2023() -> None:
    state = one(RAPID, "rapid_review_to_panel", D(2026, 1, 19), WT2023)
    assert (state.starts_on, state.due_on, state.status) == (NOTIFIED, D(2026, 1, 19),
                                                             "pending")
    assert state.rule_set == "wt2023"


def test_clock_rapid_review_to_panel_needs_the_minutes() -> None:
    no_minutes = fact("rapid-review-sent-to-panel", D(2026, 1, 16), on=D(2026, 1, 16),
                      includes_minutes=False)
    with_minutes = fact("rapid-review-sent-to-panel", D(2026, 1, 20), on=D(2026, 1, 20),
                        includes_minutes=True)
    assert one(RAPID + [no_minutes], "rapid_review_to_panel", D(2026, 1, 19)).status == "pending"
    assert one(RAPID + [no_minutes], "rapid_review_to_panel", D(2026, 1, 22)).status == "breached"
    facts = RAPID + [no_minutes, with_minutes]
    wt18 = one(facts, "rapid_review_to_panel", D(2026, 1, 22))
    assert (wt18.status, wt18.met_on) == ("met", D(2026, 1, 20))  # due Wed 21 Jan
    wt23 = one(facts, "rapid_review_to_panel", D(2026, 1, 22), WT2023)
    assert (wt23.status, wt23.met_on) == ("met_late", D(2026, 1, 20))  # due Mon 19 Jan


def test_clock_rapid_review_clocks_absent_until_their_start_events() -> None:
    got = clocks(RAPID[:2], D(2026, 1, 5))
    for clock in ("rapid_review_meeting", "rapid_review_meeting_qa", "rapid_review_to_panel"):
        assert (clock, None) not in got


# ------------------------------------------------------------------ looked-after deaths

LAC_AWARE = D(2025, 8, 22)  # Fri; Mon 25 Aug holiday; 26, 27, 28, 29 Aug, 1 Sep -> Mon 1 Sep


@pytest.mark.parametrize(
    ("extra", "wt2018_applies", "wt2023_applies"),
    [
        (dict(harm="death", looked_after=True), True, True),
        (dict(harm="death", care_leaver_age=24), False, True),  # up to and including 24
        (dict(harm="death", care_leaver_age=19), False, True),
        (dict(harm="death", care_leaver_age=25), False, False),
        (dict(harm="serious_harm", looked_after=True), False, False),
        (dict(harm="serious_harm", care_leaver_age=20), False, False),
        (dict(harm="death"), False, False),
    ],
)
def test_clock_looked_after_death_applicability(extra, wt2018_applies, wt2023_applies) -> None:
    facts = [referral(LAC_AWARE, **extra)]
    key = ("looked_after_death_notification", None)
    assert (key in clocks(facts, LAC_AWARE, WT2018_LOCAL)) is wt2018_applies
    got = clocks(facts, LAC_AWARE, WT2023)
    assert (key in got) is wt2023_applies
    if wt2023_applies:
        assert got[key].due_on == D(2025, 9, 1)


def test_clock_looked_after_death_notified_in_time() -> None:
    facts = [referral(LAC_AWARE, harm="death", looked_after=True),
             fact("looked-after-death-notified", D(2025, 8, 29), on=D(2025, 8, 29),
                  recipients=["dfe", "ofsted"])]
    state = one(facts, "looked_after_death_notification", D(2025, 9, 2))
    assert (state.due_on, state.status, state.paragraph) == (D(2025, 9, 1), "met", "§7.4")


# ------------------------------------------------------------------ publication

COMMISSIONED = fact("review-commissioned", D(2025, 8, 31), decided_on=D(2025, 8, 31),
                    methodology="traditional", reviewer="x", reviewer_independent=True)


@pytest.mark.parametrize(
    ("stop", "as_of", "status"),
    [
        (None, D(2026, 2, 28), "pending"),  # Sat 28 Feb: the clamped due date
        (None, D(2026, 3, 1), "breached"),
        (fact("report-published", D(2026, 2, 27), on=D(2026, 2, 27), mode="full", url="u"),
         D(2026, 3, 2), "met"),
        (fact("publication-declined", D(2026, 3, 2), on=D(2026, 3, 2), justification="j"),
         D(2026, 3, 2), "met_late"),
    ],
)
def test_clock_publication_six_months_clamped(stop, as_of, status) -> None:
    # Decided Sun 31 Aug 2025 + 6 months -> 28 Feb 2026 (no 31 Feb).
    facts = [COMMISSIONED] + ([stop] if stop else [])
    state = one(facts, "publication", as_of)
    assert (state.starts_on, state.due_on, state.status) == (D(2025, 8, 31), D(2026, 2, 28),
                                                             status)


PLAN_1 = fact("publication-planned", D(2026, 3, 2), planned_on=D(2026, 4, 15), mode="full")
PLAN_2 = fact("publication-planned", D(2026, 3, 20), planned_on=D(2026, 4, 30), mode="full")


def test_clock_prepublication_copy_counts_backwards_over_easter() -> None:
    # Planned Wed 15 Apr 2026 is day 0; counting back: 14, 13, 10, 9, 8, 7 Apr are days
    # -1..-6, then Easter Monday 6 Apr, the weekend 4-5 Apr and Good Friday 3 Apr are
    # skipped, so day -7 is Thu 2 Apr (issue 11: always a working day, never the holiday).
    state = one([PLAN_1], "prepublication_copy", D(2026, 4, 2))
    assert (state.starts_on, state.due_on, state.status) == (D(2026, 4, 15), D(2026, 4, 2),
                                                             "pending")
    assert one([PLAN_1], "prepublication_copy", D(2026, 4, 3)).status == "breached"


def test_clock_prepublication_copy_replaced_plan() -> None:
    # Planned Thu 30 Apr (day 0): 29, 28, 27, 24, 23, 22 Apr, then day -7 is Tue 21 Apr.
    state = one([PLAN_1, PLAN_2], "prepublication_copy", D(2026, 4, 7))
    assert state.starts_on == D(2026, 4, 30)
    assert state.due_on == D(2026, 4, 21)
    assert state.original_due_on == D(2026, 4, 2)  # the first plan's due date
    assert state.status == "pending"
    on_time = fact("report-sent-before-publication", D(2026, 4, 21), on=D(2026, 4, 21),
                   recipients=["national_panel", "secretary_of_state", "ofsted"])
    late = fact("report-sent-before-publication", D(2026, 4, 22), on=D(2026, 4, 22),
                recipients=["national_panel", "secretary_of_state", "ofsted"])
    assert one([PLAN_1, PLAN_2, on_time], "prepublication_copy", D(2026, 4, 22)).status == "met"
    assert one([PLAN_1, PLAN_2, late], "prepublication_copy", D(2026, 4, 22)).status == "met_late"


def test_clock_prepublication_copy_older_plan_recorded_late_does_not_replace() -> None:
    older = fact("publication-planned", D(2026, 3, 1), recorded=D(2026, 3, 25),
                 planned_on=D(2026, 4, 15), mode="full")
    state = one([PLAN_2, older], "prepublication_copy", D(2026, 4, 7))
    assert (state.due_on, state.original_due_on) == (D(2026, 4, 21), D(2026, 4, 2))


PUBLISHED = fact("report-published", D(2025, 3, 10), on=D(2025, 3, 10), mode="full", url="u")


@pytest.mark.parametrize(
    ("withdrawn_on", "as_of", "status", "met_on"),
    [
        (None, D(2026, 3, 9), "pending", None),
        (None, D(2026, 3, 10), "met", D(2026, 3, 10)),  # the anniversary reached
        (D(2026, 3, 9), D(2026, 3, 9), "breached", None),  # a day short of a year
        (D(2026, 3, 10), D(2026, 3, 10), "met", D(2026, 3, 10)),  # exactly a year: allowed
        (D(2026, 3, 9), D(2027, 1, 1), "breached", None),  # the breach never heals
    ],
)
def test_clock_publication_availability(withdrawn_on, as_of, status, met_on) -> None:
    facts = [PUBLISHED]
    if withdrawn_on:
        facts.append(fact("report-withdrawn", withdrawn_on, on=withdrawn_on, reason="r"))
    state = one(facts, "publication_availability", as_of)
    assert (state.due_on, state.status, state.met_on) == (D(2026, 3, 10), status, met_on)


def test_clock_publication_availability_from_29_february() -> None:
    leap = fact("report-published", D(2024, 2, 29), on=D(2024, 2, 29), mode="full", url="u")
    assert one([leap], "publication_availability", D(2024, 3, 1)).due_on == D(2025, 2, 28)


# ------------------------------------------------------------------ action ladders

AGREED = fact("action-agreed", D(2025, 11, 10), action="A1", agency="health", owner="o",
              description="d", deadline=D(2026, 1, 31))
EXTENDED = fact("action-extended", D(2026, 1, 20), action="A1", new_deadline=D(2026, 2, 28),
                requested_by_chief_officer="co", rationale="r")


def test_clock_action_ladder_month_end() -> None:
    # Deadline Sat 31 Jan 2026: +3 months -> 30 Apr 2026, +6 months -> 31 Jul 2026.
    got = clocks([AGREED], D(2026, 4, 30))
    hos = got[("action_head_of_service", "A1")]
    co = got[("action_chief_officer", "A1")]
    assert (hos.starts_on, hos.due_on, hos.original_due_on, hos.status) == (
        D(2026, 1, 31), D(2026, 4, 30), D(2026, 4, 30), "pending")
    assert (co.due_on, co.status) == (D(2026, 7, 31), "pending")
    assert hos.paragraph == "§13.4, §21.2"
    after = clocks([AGREED], D(2026, 5, 1))
    assert after[("action_head_of_service", "A1")].status == "breached"  # escalation due
    assert after[("action_chief_officer", "A1")].status == "pending"


def test_clock_action_extension_moves_the_head_of_service_rung_only() -> None:
    # Head of Service: deadline in force Sat 28 Feb 2026 + 3 months = 28 May (the 28th, not
    # the month end). Chief Officer (§13.4: "six months beyond the original deadline"):
    # Sat 31 Jan 2026 + 6 months = Fri 31 Jul 2026, whatever the extension.
    got = clocks([AGREED, EXTENDED], D(2026, 5, 1))
    hos = got[("action_head_of_service", "A1")]
    co = got[("action_chief_officer", "A1")]
    assert (hos.starts_on, hos.due_on, hos.original_due_on, hos.status) == (
        D(2026, 2, 28), D(2026, 5, 28), D(2026, 4, 30), "pending")
    assert (co.starts_on, co.due_on, co.original_due_on) == (
        D(2026, 1, 31), D(2026, 7, 31), D(2026, 7, 31))


def test_clock_action_completed_between_original_and_extended_rung() -> None:
    done = fact("action-completed", D(2026, 5, 15), action="A1", on=D(2026, 5, 15),
                evidence="e")
    assert one([AGREED, done], "action_head_of_service", D(2026, 5, 15),
               action="A1").status == "met_late"
    assert one([AGREED, EXTENDED, done], "action_head_of_service", D(2026, 5, 15),
               action="A1").status == "met"


@pytest.mark.parametrize(
    ("closed_on", "hos_status", "co_status"),
    [
        (D(2026, 3, 10), "not_required", "not_required"),  # before both rungs
        (D(2026, 6, 1), "breached", "not_required"),  # after 30 Apr: the HoS breach stands
    ],
)
def test_clock_action_not_implemented(closed_on, hos_status, co_status) -> None:
    closed = fact("action-not-implemented", closed_on, action="A1", reason="r")
    got = clocks([AGREED, closed], D(2026, 8, 1))
    assert got[("action_head_of_service", "A1")].status == hos_status
    assert got[("action_chief_officer", "A1")].status == co_status


def test_clock_actions_are_separate_and_breaches_match_their_action() -> None:
    other = fact("action-agreed", D(2025, 11, 10), action="A2", agency="police", owner="o",
                 description="d", deadline=D(2026, 3, 15))
    done_a2 = fact("action-completed", D(2026, 6, 1), action="A2", on=D(2026, 6, 1),
                   evidence="e")
    hos_breach_a1 = breach("action_head_of_service", D(2026, 4, 30), D(2026, 5, 1), "A1")
    states = compute_clocks([AGREED, other, hos_breach_a1, done_a2], WT2018_LOCAL, CAL,
                            D(2026, 6, 1))
    ladder = [(s.clock, s.action) for s in states if s.clock.startswith("action_")]
    assert ladder == [("action_head_of_service", "A1"), ("action_head_of_service", "A2"),
                      ("action_chief_officer", "A1"), ("action_chief_officer", "A2")]
    got = {(s.clock, s.action): s for s in states}
    a1 = got[("action_head_of_service", "A1")]
    assert (a1.status, a1.breach_superseded) == ("breached", False)
    a2 = got[("action_head_of_service", "A2")]  # 15 Mar + 3 months = 15 Jun 2026
    assert (a2.due_on, a2.status, a2.breach_superseded) == (D(2026, 6, 15), "met", False)


def test_clock_escalation_response_moves_nothing() -> None:
    promise = fact("escalation-responded", D(2026, 5, 5), action="A1",
                   level="head_of_service", response="will do")
    state = one([AGREED, promise], "action_chief_officer", D(2026, 8, 1), action="A1")
    assert (state.due_on, state.status) == (D(2026, 7, 31), "breached")


def test_clock_every_state_records_rule_set_and_calendar() -> None:
    facts = RAPID + [AGREED, COMMISSIONED, PLAN_1, PUBLISHED]
    for rule_set in (WT2018_LOCAL, WT2023):
        states = compute_clocks(facts, rule_set, CAL, D(2026, 3, 5))
        assert len(states) == 12  # every clock but looked_after_death_notification
        for s in states:
            assert s.rule_set == rule_set.name
            assert s.calendar == CAL.name
            assert s.paragraph == rule_set.clock(s.clock).paragraph


# ------------------------------------------------------------------ stored dates at the edges


def test_clock_due_after_9999_shows_the_last_date_and_stays_pending() -> None:
    """Issue 8: a stored 9999-12-31 placeholder deadline (accepted before the date window)
    must not raise; the ladder rungs fall after the last representable date."""
    agreed = fact("action-agreed", D(2026, 1, 5), action="Improve info sharing",
                  agency="a", owner="o", description="d", deadline=D(9999, 12, 31))
    as_of = D(2026, 7, 3)
    for clock in ("action_head_of_service", "action_chief_officer"):
        state = one([agreed], clock, as_of, action="Improve info sharing")
        assert (state.due_on, state.status) == (D(9999, 12, 31), "pending")


def test_clock_before_year_1_and_from_1900_compute_without_raising() -> None:
    commissioned = fact("review-commissioned", D(2026, 1, 7), decided_on=D(1, 1, 1),
                        methodology="traditional", reviewer="r", reviewer_independent=True)
    plan = fact("publication-planned", D(2026, 1, 8), planned_on=D(1, 1, 3), mode="full")
    got = clocks([commissioned, plan], D(2026, 7, 3))
    assert got[("publication", None)].due_on == D(1, 7, 1)  # 6 months after 1 Jan 1
    assert got[("prepublication_copy", None)].due_on == D(1, 1, 1)  # capped at year 1
    old = clocks([referral(D(1900, 1, 1))], D(2026, 7, 3))
    # Mon 1 Jan 1900 + 1 WD = Tue 2 Jan 1900 (no holiday that day in the source).
    assert old[("report_to_partners", None)].due_on == D(1900, 1, 2)
    assert old[("report_to_partners", None)].status == "breached"
