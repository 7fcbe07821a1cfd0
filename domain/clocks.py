"""Every clock of one case, computed from its facts: a pure function of its arguments.

Clocks run on *occurred* dates (PROCEDURE.md, occurred and recorded): a notification sent
on day 4 and recorded on day 7 met its 5-WD clock. The recorded date only decides whether
a met clock was "recorded late", which is what lets a case show "met, recorded late;
breach alert superseded" without ever erasing the breach event.

Status is judged at the end of ``as_of`` (a London date):
- stopped on or before the due date -> 'met'; stopped after it -> 'met_late';
- not stopped and ``as_of`` after the due date -> 'breached';
- not stopped, ``as_of`` on or after the at-risk date -> 'at_risk'; otherwise 'pending';
- a not-required event (threshold not met; action closed as not implemented before the
  rung) -> 'not_required'. A stop wins over a not-required event.
Facts that occurred after ``as_of`` are ignored, and so is a stop dated after it, so the
same facts replay "what was the position on day X". Filtering by *recorded* time (what the
ledger knew at instant T) is the caller's: pass only the facts recorded by then.
A clock whose start event has not happened, or that does not apply to the case, is absent,
unless its rule names a fallback start: then it runs from that, marked ``start_assumed``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.calendar import WorkingDayCalendar, add_months
from domain.errors import CalendarRangeError
from domain.rulesets import ClockRule, DateRef, RuleSet

PENDING = "pending"
AT_RISK = "at_risk"
MET = "met"
MET_LATE = "met_late"
BREACHED = "breached"
NOT_REQUIRED = "not_required"
STATUSES = (PENDING, AT_RISK, MET, MET_LATE, BREACHED, NOT_REQUIRED)

BREACH_EVENT = "deadline-breached"


@dataclass(frozen=True)
class Fact:
    """One recorded event, as the clocks need it."""

    type: str  # kebab-case event type from EVENTS.md
    data: Mapping[str, Any]  # validated, JSON-native (dates are 'YYYY-MM-DD' strings)
    occurred_on: date  # London date it occurred
    recorded_on: date  # London date the ledger recorded it
    action: str | None = None  # the action reference for action-* events


@dataclass(frozen=True)
class ClockState:
    clock: str
    action: str | None
    starts_on: date | None
    due_on: date | None
    at_risk_on: date | None
    status: str
    met_on: date | None
    recorded_late: bool
    breach_superseded: bool
    rule_set: str
    calendar: str
    paragraph: str
    original_due_on: date | None = None
    start_assumed: str | None = None  # why the start is assumed (rule's fallback), if it is


def compute_clocks(
    facts: Sequence[Fact], rule_set: RuleSet, calendar: WorkingDayCalendar, as_of: date
) -> list[ClockState]:
    """Every clock of one case at the end of ``as_of``, in rule-set order.

    ``facts`` are the case's events in ledger (recorded) order; that order breaks ties
    between events that occurred on the same day. Per-action clocks come one pair per
    action reference, in the order the actions were agreed.
    """
    visible = [(i, f) for i, f in enumerate(facts) if f.occurred_on <= as_of]
    states: list[ClockState] = []
    for rule in rule_set.clocks:
        if rule.per_action:
            for action in _actions_agreed(visible, rule.start.event):
                scope = [(i, f) for i, f in visible if _action_of(f) == action]
                state = _evaluate(rule, scope, action, rule_set, calendar, as_of)
                if state is not None:
                    states.append(state)
        else:
            state = _evaluate(rule, visible, None, rule_set, calendar, as_of)
            if state is not None:
                states.append(state)
    return states


def _action_of(fact: Fact) -> str | None:
    if fact.action is not None:
        return fact.action
    value = fact.data.get("action")
    return value if isinstance(value, str) else None


def _actions_agreed(visible: list[tuple[int, Fact]], event: str) -> list[str]:
    seen: dict[str, None] = {}
    for _, fact in visible:
        action = _action_of(fact)
        if fact.type == event and action is not None:
            seen.setdefault(action, None)
    return list(seen)


def _as_date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{where}: expected a YYYY-MM-DD date")


def _matches(ref: DateRef, fact: Fact) -> bool:
    return fact.type == ref.event and all(c.holds(fact.data) for c in ref.when)


def _date_of(ref: DateRef, fact: Fact) -> date:
    if ref.field is None:
        return fact.occurred_on
    if ref.field not in fact.data:
        raise ValueError(f"{ref}: field missing")
    return _as_date(fact.data[ref.field], str(ref))


def _dated(
    refs: Sequence[DateRef], scope: list[tuple[int, Fact]]
) -> list[tuple[date, int, Fact]]:
    """(date, ledger position, fact) for every fact matching any of ``refs``."""
    return [
        (_date_of(ref, f), i, f) for i, f in scope for ref in refs if _matches(ref, f)
    ]


def _offset(unit: str, start: date, amount: int, calendar: WorkingDayCalendar) -> date:
    try:
        if unit == "wd":
            return calendar.add_working_days(start, amount)
        if unit == "wd_before":
            return calendar.working_days_before(start, amount)
        if unit == "months":
            return add_months(start, amount)
        return add_months(start, 12 * amount)  # 'years_after': 29 Feb clamps to 28 Feb
    except CalendarRangeError:
        # Only a stored date near year 1 or 9999 gets here (new input keeps the window of
        # domain/limits.py). The answer is beyond what a date can hold, so the clock shows
        # the last (or first) representable day: a clock due "after 9999-12-31" stays
        # pending, one due "before 0001-01-01" is simply past, and no read fails.
        return date.min if unit == "wd_before" else date.max


def _evaluate(
    rule: ClockRule,
    scope: list[tuple[int, Fact]],
    action: str | None,
    rule_set: RuleSet,
    calendar: WorkingDayCalendar,
    as_of: date,
) -> ClockState | None:
    start_ref, assumed = rule.start, None
    starts = [(i, f) for i, f in scope if _matches(start_ref, f)]
    if not starts and rule.start_fallback is not None:
        start_ref, assumed = rule.start_fallback.start, rule.start_fallback.reason
        starts = [(i, f) for i, f in scope if _matches(start_ref, f)]
    if not starts:
        return None
    # The earliest occurrence is the original; a second start event of the same type
    # (where the catalogue allows one) never restarts a clock unless listed in moved_by.
    _, original = min(starts, key=lambda p: (p[1].occurred_on, p[0]))
    if assumed is None and not rule.applies_to(original.data):
        return None
    original_start = _date_of(start_ref, original)
    starts_on = original_start
    movers = _dated(rule.moved_by, scope)
    if movers:
        # "Latest" is by occurrence, ledger order breaking ties: a plan recorded late but
        # made earlier does not displace the plan in force.
        starts_on, _, _ = max(movers, key=lambda m: (m[2].occurred_on, m[1]))
    due_on = _offset(rule.unit, starts_on, rule.amount, calendar)
    original_due_on = _offset(rule.unit, original_start, rule.amount, calendar)
    at_risk_on = None
    if rule.at_risk is not None:
        at_risk_on = _offset(rule.unit, starts_on, rule.at_risk, calendar)

    stops = [s for s in _dated(rule.stop, scope) if s[0] <= as_of]
    stop = min(stops, key=lambda s: (s[0], s[1])) if stops else None
    closers = [c for c in _dated(rule.not_required, scope) if c[0] <= as_of]
    if rule.not_required_by_due:
        closers = [c for c in closers if c[0] <= due_on]

    met_on: date | None = None
    recorded_late = False
    if rule.unit == "years_after":
        status, met_on = _minimum_period(stop, due_on, as_of)
    elif stop is not None:
        met_on = stop[0]
        status = MET if met_on <= due_on else MET_LATE
        recorded_late = status == MET and stop[2].recorded_on > due_on
    elif closers:
        status = NOT_REQUIRED
    elif as_of > due_on:
        status = BREACHED
    elif at_risk_on is not None and as_of >= at_risk_on:
        status = AT_RISK
    else:
        status = PENDING

    breach_recorded = any(
        f.type == BREACH_EVENT and f.data.get("clock") == rule.id and _action_of(f) == action
        for _, f in scope
    )
    return ClockState(
        clock=rule.id,
        action=action,
        starts_on=starts_on,
        due_on=due_on,
        at_risk_on=at_risk_on,
        status=status,
        met_on=met_on,
        recorded_late=recorded_late,
        # A breach alert that the facts now contradict: the clock was met in time, was
        # never required, or now runs to a later due date (an assumed start replaced by
        # the true one, a later plan). It stays in the ledger; the case shows it as
        # superseded.
        breach_superseded=breach_recorded and status in (MET, NOT_REQUIRED, PENDING, AT_RISK),
        rule_set=rule_set.name,
        calendar=calendar.name,
        paragraph=rule.paragraph,
        original_due_on=original_due_on,
        start_assumed=assumed,
    )


def _minimum_period(
    stop: tuple[date, int, Fact] | None, due_on: date, as_of: date
) -> tuple[str, date | None]:
    """A duty to keep something up for a period (§18.4: at least one year).

    ``due_on`` is the anniversary: the first day a withdrawal is allowed. Withdrawn before
    it -> 'breached'; otherwise the duty is 'met' once the anniversary is reached (met_on is
    the anniversary, whether or not the report was later withdrawn) and 'pending' before.
    """
    if stop is not None and stop[0] < due_on:
        return BREACHED, None
    if as_of >= due_on:
        return MET, due_on
    return PENDING, None
