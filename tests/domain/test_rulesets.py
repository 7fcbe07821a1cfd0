"""The rule sets as data: complete, cited, and differing only where PROCEDURE.md says."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidInputError, UnknownRuleSetError
from domain.rulesets import (
    DEFAULT_RULE_SET,
    RULE_SETS,
    WT2018_LOCAL,
    WT2023,
    ClockRule,
    Condition,
    DateRef,
    get_rule_set,
)

PROCEDURE_CLOCKS = {
    "report_to_partners", "threshold_decision", "national_panel_notification",
    "referrer_feedback", "rapid_review_meeting", "rapid_review_meeting_qa",
    "rapid_review_to_panel", "prepublication_copy", "publication",
    "publication_availability", "action_head_of_service", "action_chief_officer",
    "looked_after_death_notification",
}


def test_ruleset_registry() -> None:
    assert DEFAULT_RULE_SET == "wt2018-local"
    assert get_rule_set("wt2018-local") is WT2018_LOCAL
    assert get_rule_set("wt2023") is WT2023
    assert set(RULE_SETS) == {"wt2018-local", "wt2023"}
    with pytest.raises(UnknownRuleSetError) as info:
        get_rule_set("wt2099")
    assert isinstance(info.value, InvalidInputError)


@pytest.mark.parametrize("rule_set", [WT2018_LOCAL, WT2023], ids=lambda r: r.name)
def test_ruleset_covers_the_procedure_table_and_cites_paragraphs(rule_set) -> None:
    assert {rule.id for rule in rule_set.clocks} == PROCEDURE_CLOCKS
    for rule in rule_set.clocks:
        assert rule.paragraph.startswith(("§", "App.", "WT2023"))
    assert rule_set.source


def test_ruleset_effective_dates() -> None:
    assert WT2018_LOCAL.effective_from == date(2020, 3, 1)
    assert WT2023.effective_from == date(2023, 12, 15)


def test_ruleset_wt2023_differs_only_where_procedure_says() -> None:
    changed = {
        a.id for a, b in zip(WT2018_LOCAL.clocks, WT2023.clocks, strict=True) if a != b
    }
    assert changed == {"rapid_review_to_panel", "looked_after_death_notification"}
    assert WT2023.clock("rapid_review_to_panel").start == DateRef("national-panel-notified", "on")
    assert WT2018_LOCAL.clock("rapid_review_to_panel").start == DateRef(
        "notification-acknowledged", "on")


def test_ruleset_table_values() -> None:
    rs = WT2018_LOCAL
    assert (rs.clock("report_to_partners").unit, rs.clock("report_to_partners").amount) == ("wd", 1)
    rrm = rs.clock("rapid_review_meeting")
    assert (rrm.amount, rrm.at_risk) == (10, 7)
    assert (rs.clock("prepublication_copy").unit, rs.clock("prepublication_copy").amount) == (
        "wd_before", 7)
    assert (rs.clock("publication").unit, rs.clock("publication").amount) == ("months", 6)
    assert rs.clock("action_head_of_service").amount == 3
    assert rs.clock("action_chief_officer").amount == 6
    assert rs.clock("publication_availability").unit == "years_after"


def test_ruleset_condition_keeps_bools_and_ints_apart() -> None:
    assert Condition("looked_after", "eq", True).holds({"looked_after": True})
    assert not Condition("looked_after", "eq", True).holds({"looked_after": 1})
    assert not Condition("looked_after", "eq", True).holds({})
    assert Condition("care_leaver_age", "le", 24).holds({"care_leaver_age": 24})
    assert not Condition("care_leaver_age", "le", 24).holds({"care_leaver_age": True})
    assert not Condition("care_leaver_age", "le", 24).holds({"care_leaver_age": None})


def test_ruleset_rules_are_validated() -> None:
    ref = DateRef("incident-referred", "aware_on")
    with pytest.raises(ValueError):
        ClockRule("x", "§1", ref, "fortnights", 1, stop=())
    with pytest.raises(ValueError):
        ClockRule("x", "", ref, "wd", 1, stop=())
    with pytest.raises(ValueError):
        ClockRule("x", "§1", ref, "wd", 5, stop=(), at_risk=5)
