"""Issue 11, items 2 and 4, in the clock engine and the rule sets.

Dates counted by hand on the England calendar; 2025-26 holidays that matter: Thu 25 and
Fri 26 Dec 2025, Thu 1 Jan 2026.
"""

from __future__ import annotations

from datetime import date

import pytest

from domain import rulesets as R
from domain.rulesets import RULE_SETS, WT2018_LOCAL, WT2023, DateRef, Fallback
from tests.domain.test_clocks import clocks, fact, referral

D = date
NOTIFIED = fact("national-panel-notified", D(2025, 12, 22), on=D(2025, 12, 22),
                reference="NP-TEST-1")
ACKNOWLEDGED = fact("notification-acknowledged", D(2025, 12, 23), recorded=D(2026, 1, 9),
                    on=D(2025, 12, 23))
BASE = [referral(D(2025, 12, 18)), NOTIFIED]
ASSUMED = "acknowledgement not recorded"


def test_rapid_review_to_panel_runs_from_the_notification_until_acknowledged() -> None:
    # 15 WD from Mon 22 Dec 2025: Tue 23 (1), Wed 24 (2), [25, 26 Dec, weekend], Mon 29 (3),
    # Tue 30 (4), Wed 31 (5), [Thu 1 Jan], Fri 2 (6), Mon 5 (7) .. Fri 9 (11),
    # Mon 12 (12), Tue 13 (13), Wed 14 (14), Thu 15 Jan 2026 (15).
    panel = clocks(BASE, D(2026, 1, 16))[("rapid_review_to_panel", None)]
    assert (panel.starts_on, panel.due_on, panel.status, panel.start_assumed) == (
        D(2025, 12, 22), D(2026, 1, 15), "breached", ASSUMED)


def test_the_acknowledgement_replaces_the_assumed_start() -> None:
    # 15 WD from Tue 23 Dec 2025: Wed 24 (1), Mon 29 (2), 30 (3), 31 (4), Fri 2 Jan (5),
    # Mon 5 (6) .. Fri 9 (10), Mon 12 (11) .. Thu 15 (14), Fri 16 Jan 2026 (15).
    panel = clocks(BASE + [ACKNOWLEDGED], D(2026, 1, 16))[("rapid_review_to_panel", None)]
    assert (panel.starts_on, panel.due_on, panel.status, panel.start_assumed) == (
        D(2025, 12, 23), D(2026, 1, 16), "pending", None)
    # The original due date is the true start's: the assumption leaves no trace.
    assert panel.original_due_on == D(2026, 1, 16)


def test_an_acknowledgement_after_as_of_is_not_yet_known() -> None:
    panel = clocks(BASE + [ACKNOWLEDGED], D(2025, 12, 22))[("rapid_review_to_panel", None)]
    assert (panel.starts_on, panel.start_assumed) == (D(2025, 12, 22), ASSUMED)


def test_no_notification_no_clock() -> None:
    assert ("rapid_review_to_panel", None) not in clocks(BASE[:1], D(2026, 1, 16))


def test_rapid_review_meeting_has_the_same_fallback_in_both_rule_sets() -> None:
    # §8.2: 10 WD from Mon 22 Dec 2025: Tue 23 (1), Wed 24 (2), Mon 29 (3), Tue 30 (4),
    # Wed 31 (5), Fri 2 Jan (6), Mon 5 (7), Tue 6 (8), Wed 7 (9), Thu 8 Jan 2026 (10);
    # at risk from 7 WD, Mon 5 Jan.
    for rule_set in (WT2018_LOCAL, WT2023):
        meeting = clocks(BASE, D(2026, 1, 5), rule_set)[("rapid_review_meeting", None)]
        assert (meeting.due_on, meeting.at_risk_on, meeting.status, meeting.start_assumed) == (
            D(2026, 1, 8), D(2026, 1, 5), "at_risk", ASSUMED)


def test_wt2023_panel_clock_counts_from_the_notification_and_assumes_nothing() -> None:
    panel = clocks(BASE, D(2026, 1, 16), WT2023)[("rapid_review_to_panel", None)]
    assert (panel.starts_on, panel.due_on, panel.start_assumed) == (
        D(2025, 12, 22), D(2026, 1, 15), None)


def test_every_fallback_is_declared_data_with_its_reason() -> None:
    with_fallback = {(rs.name, r.id) for rs in RULE_SETS.values() for r in rs.clocks
                     if r.start_fallback is not None}
    assert with_fallback == {("wt2018-local", "rapid_review_meeting"),
                             ("wt2018-local", "rapid_review_to_panel"),
                             ("wt2018-local", "publication"),
                             ("wt2023", "rapid_review_meeting"), ("wt2023", "publication")}
    for rs in RULE_SETS.values():
        for rule in rs.clocks:
            if rule.start_fallback is None:
                continue
            if rule.id == "publication":  # §8.9, §19.1: the decision to initiate
                assert rule.start == DateRef("review-level-decided", None,
                                             when=(R.Condition("level", "eq", "lcspr"),))
                assert rule.start_fallback == Fallback(
                    DateRef("review-commissioned", "decided_on"),
                    "§8.9 decision to initiate an LCSPR not recorded")
            else:
                assert rule.start == DateRef("notification-acknowledged", "on")
                assert rule.start_fallback == Fallback(
                    DateRef("national-panel-notified", "on"), ASSUMED)


def test_a_fallback_cannot_be_judged_by_applies_when() -> None:
    with pytest.raises(ValueError):
        R.ClockRule("x", "§0", DateRef("a"), "wd", 1, stop=(DateRef("b"),),
                    applies_when=((R.Condition("f", "eq", True),),),
                    start_fallback=Fallback(DateRef("c"), "c instead"))


def test_only_the_head_of_service_rung_moves_with_an_extension() -> None:
    # §13.4: "three months beyond the specified deadline" vs "six months beyond the
    # original deadline".
    for rs in RULE_SETS.values():
        assert rs.clock("action_head_of_service").moved_by == (
            DateRef("action-extended", "new_deadline"),)
        assert rs.clock("action_chief_officer").moved_by == ()


def test_a_breach_of_the_assumed_start_is_superseded_by_a_later_true_start() -> None:
    # Assumed: due Thu 15 Jan 2026, breach alert recorded Fri 16 Jan. The acknowledgement,
    # recorded later, dates the start Tue 23 Dec: due Fri 16 Jan (counted above), so on
    # Fri 16 Jan the clock is still running and the alert is contradicted, not erased.
    alert = fact("deadline-breached", D(2026, 1, 16), clock="rapid_review_to_panel",
                 due_on=D(2026, 1, 15), rule_set="wt2018-local", calendar="c")
    before = clocks(BASE + [alert], D(2026, 1, 16))[("rapid_review_to_panel", None)]
    assert (before.status, before.breach_superseded) == ("breached", False)
    late_ack = fact("notification-acknowledged", D(2025, 12, 23), recorded=D(2026, 1, 19),
                    on=D(2025, 12, 23))
    after = clocks(BASE + [alert, late_ack], D(2026, 1, 16))[("rapid_review_to_panel", None)]
    assert (after.status, after.breach_superseded) == ("pending", True)
