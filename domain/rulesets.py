"""Rule sets: the procedure's timescales as dated, versioned data.

Clocks are declared, not coded, so that a partnership can be moved to a later edition of
the statutory guidance without touching the clock engine, and so that a case replayed
years later names the rule set (and calendar) that produced each deadline. A released
rule set never changes meaning: a correction is a new rule set with a new name.

Paragraph numbers (§) are those of the seed local procedure (March 2020, on Working
Together 2018); ``wt2023`` rules cite Working Together 2023 chapter 5 and the product
decision in PROCEDURE.md that adopts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.errors import UnknownRuleSetError

UNITS = ("wd", "months", "wd_before", "years_after")
_OPS = ("eq", "le", "ge")


@dataclass(frozen=True)
class Condition:
    """A test on one field of an event's data. A missing field never satisfies it, so an
    optional flag left out (``looked_after``, ``care_leaver_age``) reads as "no"."""

    field: str
    op: str  # 'eq' | 'le' | 'ge'
    value: Any

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"unknown condition operator {self.op!r}")

    def holds(self, data: Mapping[str, Any]) -> bool:
        if self.field not in data or data[self.field] is None:
            return False
        actual = data[self.field]
        if self.op == "eq":
            # bool is an int in Python: keep True from matching 1 and False from matching 0.
            return type(actual) is type(self.value) and actual == self.value
        if isinstance(actual, bool) or not isinstance(actual, (int, float)):
            return False
        return actual <= self.value if self.op == "le" else actual >= self.value


@dataclass(frozen=True)
class DateRef:
    """A date taken from an event: ``event.field``, or the event's occurred date when
    ``field`` is None; ``when`` restricts which events of that type count."""

    event: str
    field: str | None = None
    when: tuple[Condition, ...] = ()

    def __str__(self) -> str:
        return f"{self.event}.{self.field or 'occurred'}"


@dataclass(frozen=True)
class Fallback:
    """Where a clock starts while its own start event is not recorded, and why.

    A statutory duty must not vanish because one event is missing from the ledger: the
    clock runs from ``start`` instead, shown as "start assumed: <reason>", and moves to
    the true start once that is recorded."""

    start: DateRef
    reason: str


@dataclass(frozen=True)
class ClockRule:
    """One timescale of the procedure.

    - ``start``: the event that starts the clock; its earliest occurrence is the original.
    - ``moved_by``: events that replace the start date in force; the latest one wins
      (a later publication plan, an agreed extension of an action's deadline).
    - ``unit``: 'wd' (working days after), 'months' (calendar months after, clamped),
      'wd_before' (the nth working day counted back from the start date, day 0: the copy
      must go out by then),
      'years_after' (a minimum period: stopping *before* the due date is the breach).
    - ``at_risk``: in the same unit, the point from which the clock shows 'at_risk'.
    - ``stop``: any one of these stops the clock; the earliest counts.
    - ``not_required``: any one of these makes the clock 'not_required'; with
      ``not_required_by_due`` only if it happened on or before the due date (after it, the
      breach stands).
    - ``applies_when``: conditions on the start event's data, any group wholly true
      (or-of-ands); empty means always.
    - ``per_action``: one clock per improvement-action reference.
    - ``start_fallback``: where the clock starts, shown as assumed, while no ``start``
      event is recorded (never with ``applies_when``, which tests the start's own data).
    """

    id: str
    paragraph: str
    start: DateRef
    unit: str
    amount: int
    stop: tuple[DateRef, ...]
    at_risk: int | None = None
    moved_by: tuple[DateRef, ...] = ()
    not_required: tuple[DateRef, ...] = ()
    not_required_by_due: bool = False
    applies_when: tuple[tuple[Condition, ...], ...] = ()
    per_action: bool = False
    start_fallback: Fallback | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"{self.id}: unknown unit {self.unit!r}")
        if self.amount < 0:
            raise ValueError(f"{self.id}: amount must be >= 0")
        if self.at_risk is not None and not 0 <= self.at_risk < self.amount:
            raise ValueError(f"{self.id}: at_risk must fall before the due amount")
        if not self.paragraph:
            raise ValueError(f"{self.id}: every rule cites its paragraph")
        if self.start_fallback is not None and self.applies_when:
            raise ValueError(f"{self.id}: applies_when cannot judge an assumed start")

    def applies_to(self, start_data: Mapping[str, Any]) -> bool:
        if not self.applies_when:
            return True
        return any(all(c.holds(start_data) for c in group) for group in self.applies_when)


@dataclass(frozen=True)
class RuleSet:
    name: str
    effective_from: date
    clocks: tuple[ClockRule, ...]
    source: str

    def __post_init__(self) -> None:
        ids = [rule.id for rule in self.clocks]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{self.name}: duplicate clock ids")

    def clock(self, clock_id: str) -> ClockRule:
        for rule in self.clocks:
            if rule.id == clock_id:
                return rule
        raise KeyError(clock_id)


_AWARE = DateRef("incident-referred", "aware_on")
_DEATH = Condition("harm", "eq", "death")
_RAPID_REVIEW_HELD = DateRef("rapid-review-held", "on")
_ACKNOWLEDGED = DateRef("notification-acknowledged", "on")
# §8.2, §8.9 (2020-03); PROCEDURE.md Clocks (issue 11): a duty counted from the National
# Panel's acknowledgement runs from the notification itself until one is recorded. The
# acknowledgement cannot come before the notification, so the assumed due date is never
# later than the true one.
_UNTIL_ACKNOWLEDGED = Fallback(DateRef("national-panel-notified", "on"),
                               "acknowledgement not recorded")
# §8.9, §19.1 (2020-03): the decision to initiate an LCSPR is the partners' and the
# Scrutineer's decision on the level of review.
_INITIATED = DateRef("review-level-decided", None, when=(Condition("level", "eq", "lcspr"),))
_UNTIL_INITIATED = Fallback(DateRef("review-commissioned", "decided_on"),
                            "§8.9 decision to initiate an LCSPR not recorded")
# App. 5 QA asks for "the decision and minutes": a send without the minutes stops nothing.
_SENT_WITH_MINUTES = DateRef(
    "rapid-review-sent-to-panel", "on", when=(Condition("includes_minutes", "eq", True),)
)
# §13.4 / §21.2: both rungs stop when the action is done; "not implemented" closes it.
_ACTION_DONE = (DateRef("action-completed", "on"),)
_ACTION_CLOSED = (DateRef("action-not-implemented"),)
_DEADLINE = DateRef("action-agreed", "deadline")
_EXTENDED = (DateRef("action-extended", "new_deadline"),)

# Every rule of the local procedure is in force from its issue, DSP1.2.1, March 2020
# (the seed gives the month only; the first of the month is used).
_WT2018_LOCAL_FROM = date(2020, 3, 1)
# Working Together 2023 applies from its publication, 15 December 2023.
_WT2023_FROM = date(2023, 12, 15)

_WT2018_LOCAL_CLOCKS: tuple[ClockRule, ...] = (
    # §6.1 (2020-03): report to the SSP within one working day of the LA becoming aware.
    ClockRule("report_to_partners", "§6.1", _AWARE, "wd", 1,
              stop=(DateRef("reported-to-partners", "on"),)),
    # §5, §7.2 (2020-03): SSP threshold decision within 5 WD of the LA becoming aware.
    ClockRule("threshold_decision", "§5, §7.2", _AWARE, "wd", 5,
              stop=(DateRef("threshold-decided"),)),
    # §5, §7.2 (2020-03): National Panel notified within 5 WD of awareness, but only where
    # the threshold is met; a "not met" decision removes the duty whenever it is made.
    # §3.1, §7.1 (2020-03): no duty at all for a looked-after child's death recorded with
    # neither abuse nor neglect known or suspected (§7.4 has its own clock).
    # (A referral that names no abuse_or_neglect at all keeps the duty.)
    ClockRule("national_panel_notification", "§5, §7.2", _AWARE, "wd", 5,
              stop=(DateRef("national-panel-notified", "on"),),
              not_required=(DateRef("threshold-decided", None,
                                    when=(Condition("meets_threshold", "eq", False),)),
                            DateRef("incident-referred", None,
                                    when=(Condition("abuse_or_neglect", "eq", "neither"),)))),
    # §6.3 (2020-03): referrer told the outcome within 5 WD of the SSP decision (product
    # decision: from the decision, not from the notification as the flowchart has it).
    ClockRule("referrer_feedback", "§6.3", DateRef("threshold-decided"), "wd", 5,
              stop=(DateRef("referrer-informed", "on"),)),
    # §5, §8.2 (2020-03): Rapid Review meeting within 7-10 WD of "the acknowledgement of
    # the receipt of the notification": due at 10, at risk from 7. Same start as §8.9, so
    # the same fallback while no acknowledgement is recorded.
    ClockRule("rapid_review_meeting", "§5, §8.2", _ACKNOWLEDGED, "wd", 10, at_risk=7,
              stop=(_RAPID_REVIEW_HELD,), start_fallback=_UNTIL_ACKNOWLEDGED),
    # App. 5 QA (2020-03): the same meeting within 15 WD of the notification itself.
    ClockRule("rapid_review_meeting_qa", "App. 5 QA",
              DateRef("national-panel-notified", "on"), "wd", 15, stop=(_RAPID_REVIEW_HELD,)),
    # §8.2, §8.9, App. 5 QA (2020-03): decision and minutes to the National Panel within
    # 15 WD of the acknowledgement (until one is recorded: of the notification, assumed).
    ClockRule("rapid_review_to_panel", "§8.2, §8.9, App. 5 QA", _ACKNOWLEDGED, "wd", 15,
              stop=(_SENT_WITH_MINUTES,), start_fallback=_UNTIL_ACKNOWLEDGED),
    # §18.7 (2020-03): copies to the National Panel, Secretary of State and Ofsted no later
    # than 7 WD before the planned publication date (day 0; due on the 7th working day
    # counted back, always a working day); a later plan replaces the earlier.
    ClockRule("prepublication_copy", "§18.7", DateRef("publication-planned", "planned_on"),
              "wd_before", 7, stop=(DateRef("report-sent-before-publication", "on"),),
              moved_by=(DateRef("publication-planned", "planned_on"),)),
    # §19.1 (2020-03): published no later than 6 months "from the date of the decision to
    # initiate a review": the §8.9 decision on the level of review, recorded as an LCSPR
    # (issue 11; it used to count from review-commissioned's decided_on, a date typed with
    # no check). Until that decision is recorded the commission's decided_on stands in,
    # shown as assumed. A justified decision not to publish (§20.3) also stops it.
    ClockRule("publication", "§8.9, §19.1", _INITIATED, "months", 6,
              stop=(DateRef("report-published", "on"), DateRef("publication-declined", "on")),
              start_fallback=_UNTIL_INITIATED),
    # §18.4 (2020-03): publicly available for at least one year after publication.
    ClockRule("publication_availability", "§18.4", DateRef("report-published", "on"),
              "years_after", 1, stop=(DateRef("report-withdrawn", "on"),)),
    # §13.4, §21.2 (2020-03): Head of Service informed when not completed "three months
    # beyond the specified deadline": the deadline in force (the original, or an extension
    # agreed at the Chief Officer's request).
    ClockRule("action_head_of_service", "§13.4, §21.2", _DEADLINE, "months", 3,
              stop=_ACTION_DONE, moved_by=_EXTENDED, not_required=_ACTION_CLOSED,
              not_required_by_due=True, per_action=True),
    # §13.4, §21.2 (2020-03): Chief Officer told when the action "remain[s] outstanding at
    # six months beyond the original deadline": an extension does not move this rung, so
    # after a long one the Chief Officer can be told before the Head of Service.
    ClockRule("action_chief_officer", "§13.4, §21.2", _DEADLINE, "months", 6,
              stop=_ACTION_DONE, not_required=_ACTION_CLOSED,
              not_required_by_due=True, per_action=True),
    # §7.4 (2020-03): DfE and Ofsted notified of a looked-after child's death, whatever
    # abuse or neglect is known; the seed names no timescale, 5 WD is this rule set's value.
    ClockRule("looked_after_death_notification", "§7.4", _AWARE, "wd", 5,
              stop=(DateRef("looked-after-death-notified", "on"),),
              applies_when=((_DEATH, Condition("looked_after", "eq", True)),)),
)


def _replacing(clocks: tuple[ClockRule, ...], *changed: ClockRule) -> tuple[ClockRule, ...]:
    """``clocks`` with the rules of the same id swapped for ``changed``, order kept."""
    by_id = {rule.id: rule for rule in changed}
    missing = set(by_id) - {rule.id for rule in clocks}
    if missing:
        raise ValueError(f"no such clocks to replace: {sorted(missing)}")
    return tuple(by_id.get(rule.id, rule) for rule in clocks)


_WT2023_CLOCKS = _replacing(
    _WT2018_LOCAL_CLOCKS,
    # WT2023 ch. 5 (2023-12-15): the Rapid Review goes to the National Panel within 15 WD
    # of the notification, no longer of the acknowledgement.
    ClockRule("rapid_review_to_panel", "WT2023 ch. 5; §8.9, App. 5 QA",
              DateRef("national-panel-notified", "on"), "wd", 15,
              stop=(_SENT_WITH_MINUTES,)),
    # WT2023 ch. 5 (2023-12-15): deaths of care leavers up to and including age 24 are
    # notified to DfE and Ofsted within 5 WD, as a looked-after child's death is (§7.4).
    ClockRule("looked_after_death_notification", "WT2023 ch. 5; §7.4", _AWARE, "wd", 5,
              stop=(DateRef("looked-after-death-notified", "on"),),
              applies_when=((_DEATH, Condition("looked_after", "eq", True)),
                            (_DEATH, Condition("care_leaver_age", "le", 24)))),
)

WT2018_LOCAL = RuleSet(
    name="wt2018-local",
    effective_from=_WT2018_LOCAL_FROM,
    clocks=_WT2018_LOCAL_CLOCKS,
    source="local CSPR Procedure and Practice Guidance DSP1.2.1 (March 2020, on Working "
    "Together 2018), seed 000_723161742080c7bd; PROCEDURE.md Clocks table",
)

WT2023 = RuleSet(
    name="wt2023",
    effective_from=_WT2023_FROM,
    clocks=_WT2023_CLOCKS,
    source="wt2018-local amended by Working Together to Safeguard Children 2023, ch. 5; "
    "PROCEDURE.md product decisions",
)

DEFAULT_RULE_SET = WT2018_LOCAL.name

RULE_SETS: dict[str, RuleSet] = {rs.name: rs for rs in (WT2018_LOCAL, WT2023)}


def get_rule_set(name: str) -> RuleSet:
    try:
        return RULE_SETS[name]
    except KeyError:
        raise UnknownRuleSetError(name, tuple(RULE_SETS)) from None
