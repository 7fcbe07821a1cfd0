"""The clocks of a case, each rule reading only its own facts (projections.clock_index),
are exactly the domain's (domain.clocks.compute_clocks), and their cost no longer grows
with the facts no clock reads, nor with actions times facts."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest

import domain.clocks
from domain.clocks import BREACH_EVENT, Fact, compute_clocks
from domain.rulesets import RULE_SETS
from projections.clock_index import indexed_clocks
from service.calendar_england import england_calendar
from tests.generator import generate
from tests.scenario import data

CAL = england_calendar()


def fact(type_name: str, payload: dict[str, Any], occurred: date, late: int = 0) -> Fact:
    action = payload.get("action") if type_name.startswith(("action-", "escalation-")) \
        else None
    return Fact(type_name, payload, occurred, occurred + timedelta(days=late), action)


def mutated(rng: random.Random, steps: list, rule_ids: list[str]) -> list[Fact]:
    """A generated case, disturbed: facts dropped (missing starts, so fallbacks), repeated
    on other days (second starts, later plans), out of occurred order, recorded late, and
    breach alerts for any clock and action, some with a clock of the wrong kind."""
    facts: list[Fact] = []
    for _, t, payload, occurred in steps:
        on = date.fromisoformat(occurred[:10])
        if rng.random() < 0.15:
            continue
        facts.append(fact(t, payload, on, rng.choice([0, 0, 1, 9])))
        if rng.random() < 0.1:
            facts.append(fact(t, payload, on + timedelta(days=rng.randint(-20, 40))))
    actions = [f.action for f in facts if f.action] or ["A-1"]
    for _ in range(rng.randint(0, 4)):
        clock = rng.choice([*rule_ids, 7, None])
        facts.append(fact(BREACH_EVENT, {"clock": clock, "due_on": "2026-01-05",
                                          "action": rng.choice([*actions, None])},
                          date(2026, 1, 5) + timedelta(days=rng.randint(0, 60))))
    for _ in range(len(facts) // 5):
        i = rng.randrange(len(facts) - 1) if len(facts) > 1 else 0
        facts[i:i + 2] = facts[i:i + 2][::-1]
    return facts


def outcome(fn, facts, rule_set, as_of):
    try:
        return fn(facts, rule_set, CAL, as_of)
    except Exception as e:  # the same kind of failure counts as the same answer
        return type(e).__name__


@pytest.mark.parametrize("seed", [3, 5, 8])
def test_indexed_clocks_equal_the_domains_on_disturbed_generated_cases(seed):
    rng = random.Random(seed)
    compared, seen = 0, []
    for _, steps in generate(seed, 60, extra=12):
        for rule_set in RULE_SETS.values():
            facts = mutated(rng, steps, [r.id for r in rule_set.clocks])
            if not facts:
                continue
            days = sorted({f.occurred_on for f in facts})
            for as_of in {days[0], days[len(days) // 2], days[-1], date(9999, 12, 31),
                          days[0] + timedelta(days=rng.randint(0, 400))}:
                want = outcome(compute_clocks, facts, rule_set, as_of)
                assert outcome(indexed_clocks, facts, rule_set, as_of) == want
                compared += 1
                seen += want if isinstance(want, list) else []
    # The comparison saw many clocks, per-action ones, assumed starts and superseded
    # breach alerts among them.
    assert compared > 400 and len(seen) > 2000
    assert all(any(test(c) for c in seen) for test in (
        lambda c: c.action is not None, lambda c: c.start_assumed is not None,
        lambda c: c.breach_superseded, lambda c: c.status == "not_required"))


def test_a_breach_alert_of_one_clock_is_superseded_only_on_that_clock():
    rule_set = RULE_SETS["wt2018-local"]
    steps = [("bu1", "incident-referred", data("incident-referred", aware_on="2026-01-05",
                                               received_on="2026-01-05"), date(2026, 1, 5)),
             ("bu1", "reported-to-partners", data("reported-to-partners", on="2026-01-06"),
              date(2026, 1, 6))]
    facts = [fact(t, p, on) for _, t, p, on in steps]
    facts.append(fact(BREACH_EVENT, {"clock": "report_to_partners", "due_on": "2026-01-06"},
                      date(2026, 1, 7)))
    got = {c.clock: c for c in indexed_clocks(facts, rule_set, CAL, date(2026, 1, 8))}
    # Met the day after awareness, so its own alert is superseded; the threshold clock,
    # running from the same referral, has no alert of its own.
    assert got["report_to_partners"].status == "met"
    assert got["report_to_partners"].breach_superseded
    assert not got["threshold_decision"].breach_superseded


def counted_reads(monkeypatch) -> list[int]:
    """Counts the domain's two reads of a fact: does it match a rule's date reference, and
    which action is it about (what a per-action clock filters its facts by)."""
    calls = [0]
    for name in ("_matches", "_action_of"):
        real = getattr(domain.clocks, name)

        def counting(*args, real=real):
            calls[0] += 1
            return real(*args)

        monkeypatch.setattr(domain.clocks, name, counting)
    return calls


def case_with(actions: int, returns: int) -> list[Fact]:
    """A referral, ``actions`` agreed and completed actions and ``returns`` agency returns."""
    on = date(2026, 1, 5)
    facts = [fact("incident-referred", data("incident-referred", aware_on="2026-01-05",
                                            received_on="2026-01-05"), on)]
    for n in range(actions):
        ref = f"A-{n}"
        facts.append(fact("action-agreed", data("action-agreed", action=ref), on))
        facts.append(fact("action-completed", data("action-completed", action=ref), on))
    facts += [fact("agency-information-received", data("agency-information-received"), on)
              for _ in range(returns)]
    return facts


def test_the_cost_grows_with_the_facts_a_clock_reads_not_with_the_rest(monkeypatch):
    rule_set = RULE_SETS["wt2023"]
    calls = counted_reads(monkeypatch)
    as_of = date(2026, 6, 1)

    def cost(fn, facts) -> int:
        calls[0] = 0
        fn(facts, rule_set, CAL, as_of)
        return calls[0]

    # 1,000 more agency returns: no clock reads them, so no more reads.
    assert cost(indexed_clocks, case_with(2, 1000)) == cost(indexed_clocks, case_with(2, 0))
    # Ten times the actions: ten times the reads, not a hundred (actions x facts).
    assert cost(indexed_clocks, case_with(40, 0)) <= 11 * cost(indexed_clocks, case_with(4, 0))
    # The domain's own scan, for scale: it does grow with both (what this module avoids).
    assert cost(compute_clocks, case_with(2, 1000)) > 10 * cost(compute_clocks,
                                                                case_with(2, 0))
    assert cost(compute_clocks, case_with(40, 0)) > 20 * cost(compute_clocks, case_with(4, 0))
