"""Which rule set governs a case: the one in force when the case was opened.

``ledger-initialised`` names the first; each ``rule-set-adopted`` applies to cases opened
(referral received) on or after its effective date, so a change never rewrites the clocks
of cases already running (PROCEDURE.md: rule sets are data, dated and versioned).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Sequence

from sqlalchemy.engine import Connection

from domain.rulesets import DEFAULT_RULE_SET, RuleSet, get_rule_set
from ledger.app import LedgerApplication
from projections.source import LedgerFact, ledger_facts


@dataclass(frozen=True)
class RuleSetHistory:
    entries: tuple[tuple[date, str], ...]

    @classmethod
    def load(cls, app: LedgerApplication, upto: int | None = None,
             conn: Connection | None = None) -> "RuleSetHistory":
        """The rule sets adopted up to position ``upto`` (all of them by default)."""
        entries = [(date.min, f.data["rule_set"])
                   for f in ledger_facts(app, "ledger-initialised", upto, conn)]
        entries += sorted((date.fromisoformat(f.data["effective_from"]), f.data["rule_set"])
                          for f in ledger_facts(app, "rule-set-adopted", upto, conn))
        return cls(tuple(entries or [(date.min, DEFAULT_RULE_SET)]))

    def for_case(self, facts: Sequence[LedgerFact]) -> RuleSet:
        opened = next((date.fromisoformat(f.data["received_on"]) for f in facts
                       if f.type == "incident-referred"), date.max)
        name = self.entries[0][1]
        for effective, rule_set in self.entries:
            if effective <= opened:
                name = rule_set
        return get_rule_set(name)
