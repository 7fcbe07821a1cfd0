"""What the read commands ask: case list, case show (as of an instant), the decision
trail, deadlines and actions, computed from the ledger's events."""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from domain.calendar import WorkingDayCalendar, london_date
from domain.errors import InvalidFieldError, UnknownCaseError
from domain.rulesets import RuleSet, get_rule_set
from ledger.app import LedgerApplication
from ledger.mapper import format_instant
from projections.actions import action_rows
from projections.case_view import CaseView, clock_row, decision_rows, stage_of
from projections.source import LedgerFact, case_facts, case_refs, ledger_facts
from service.calendar_england import england_calendar

LONDON = ZoneInfo("Europe/London")


def parse_day(value: str | None, field: str = "as_of") -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidFieldError(field, "an ISO date YYYY-MM-DD", "not a date")


def parse_instant(value: str | None, field: str = "as_of") -> datetime | None:
    if value is None:
        return None
    try:
        if len(value) == 10:  # a date: what the ledger knew at the end of that London day
            day = date.fromisoformat(value)
            local = datetime(day.year, day.month, day.day, 23, 59, 59, 999999,
                             tzinfo=LONDON)
            return local.astimezone(timezone.utc)
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFieldError(field, "an ISO date or date-time", "not a date")
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=LONDON)
    return instant


class Queries:
    def __init__(self, app: LedgerApplication, now: datetime | None = None,
                 calendar: WorkingDayCalendar | None = None) -> None:
        self.app = app
        self.now = now or datetime.now(timezone.utc)
        self._calendar = calendar

    @cached_property
    def calendar(self) -> WorkingDayCalendar:
        return self._calendar or england_calendar()

    @cached_property
    def _rule_set_history(self) -> list[tuple[date, str]]:
        # ledger-initialised sets the first rule set; each rule-set-adopted applies to
        # cases opened on or after its effective date.
        history = [(date.min, f.data["rule_set"])
                   for f in ledger_facts(self.app, "ledger-initialised")]
        history += sorted((date.fromisoformat(f.data["effective_from"]), f.data["rule_set"])
                          for f in ledger_facts(self.app, "rule-set-adopted"))
        return history or [(date.min, "wt2018-local")]

    def rule_set_for(self, facts: list[LedgerFact]) -> RuleSet:
        opened = next((date.fromisoformat(f.data["received_on"]) for f in facts
                       if f.type == "incident-referred"), date.max)
        name = self._rule_set_history[0][1]
        for effective, rule_set in self._rule_set_history:
            if effective <= opened:
                name = rule_set
        return get_rule_set(name)

    def facts(self, case: str, until: datetime | None = None) -> list[LedgerFact]:
        facts = case_facts(self.app, case, format_instant(until) if until else None)
        if not any(f.type == "incident-referred" for f in facts):
            raise UnknownCaseError(case)
        return facts

    def view(self, case: str, as_of_instant: datetime | None = None,
             as_of_day: date | None = None) -> CaseView:
        facts = self.facts(case, as_of_instant)
        day = as_of_day or london_date(as_of_instant or self.now)
        return CaseView.fold(case, facts, self.rule_set_for(facts), self.calendar, day)

    def cases(self, case: str | None) -> list[str]:
        return [case] if case else case_refs(self.app)

    def case_list(self) -> list[dict[str, Any]]:
        rows = []
        for ref in case_refs(self.app):
            v = self.view(ref)
            statuses = [c.status for c in v.clocks]
            rows.append({"case": ref, "stage": stage_of(v.facts), "opened_on": v.opened_on,
                         "events": len(v.facts), "breached": statuses.count("breached"),
                         "at_risk": statuses.count("at_risk"),
                         "rule_set": v.rule_set.name})
        return rows

    def deadlines(self, case: str | None, as_of: date | None) -> list[dict[str, Any]]:
        return [clock_row(ref, c) for ref in self.cases(case)
                for c in self.view(ref, as_of_day=as_of).clocks]

    def actions(self, case: str | None, as_of: date | None) -> list[dict[str, Any]]:
        day = as_of or london_date(self.now)
        rows = []
        for ref in self.cases(case):
            facts = [f for f in self.facts(ref) if f.occurred_on <= day]
            rows += action_rows(ref, facts)
        return rows

    def history(self, case: str) -> list[dict[str, Any]]:
        return decision_rows(case, self.facts(case))
