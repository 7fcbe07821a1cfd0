"""Streaming the ledger in tiny batches builds the very read models one big batch does
(issue 13): the batching decides only what is held at once, never what comes out."""

from __future__ import annotations

import pytest

import projections.projector
from domain.clocks import compute_clocks
from projections import batches, fold
from projections.case_view import clock_facts, clocks_of
from projections.projector import Projector
from projections.rule_sets import RuleSetHistory
from projections.source import case_facts
from service.calendar_england import england_calendar
from tests.helpers import make_ledger, write_generated
from tests.projections.test_projections import snapshot
from tests.projections.test_rebuild_memory import grow

CAL = england_calendar()
SEED, CASES = 4, 9


def tiny(monkeypatch, events: int, cases: int) -> list[int]:
    """Batches of at most ``events`` events and ``cases`` cases, every page of case
    references 2 long and every page of new events 3 long; counts the chunks folded."""
    monkeypatch.setattr(batches, "EVENTS", events)
    monkeypatch.setattr(batches, "CASES", cases)
    monkeypatch.setattr(batches, "PAGE", 2)
    monkeypatch.setattr(projections.projector, "PAGE", 3)
    folded = [0]
    real = fold.fold_chunk

    def counting(*args, **kwargs):
        folded[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(projections.projector, "fold_chunk", counting)
    return folded


@pytest.mark.parametrize("events,cases", [(1, 200), (3, 3), (40, 1)])
def test_a_rebuild_in_tiny_batches_equals_one_big_batch(home, monkeypatch, events, cases):
    lg = make_ledger(home)
    write_generated(lg, SEED, CASES, extra=5)
    projector = Projector(lg.app, CAL)
    projector.rebuild()  # every case in one batch: 9 cases of ~20 events, under 5,000
    whole = snapshot(lg.app)
    assert len(whole["proj_cases"]) == CASES and len(whole["proj_clocks"]) > CASES
    folded = tiny(monkeypatch, events, cases)
    report = projector.rebuild()
    assert report.cases_updated == CASES and not report.failed_cases
    # Every case has more than 3 and fewer than 40 events: with a budget of 1 or 3
    # events, or 1 case, each case is a batch of its own.
    assert folded[0] == CASES
    assert snapshot(lg.app) == whole


@pytest.mark.parametrize("events,cases", [(1, 1), (3, 3)])
def test_updates_in_tiny_batches_equal_one_big_rebuild(home, monkeypatch, events, cases):
    lg = make_ledger(home)
    projector = Projector(lg.app, CAL)
    folded = tiny(monkeypatch, events, cases)
    for round_ in range(3):  # new cases each round, and two more events on old ones
        write_generated(lg, SEED * 10 + round_, cases=3, extra=4)
        grown = grow(lg, 2, SEED * 10, cases=3, extra=4) if round_ else 0
        report = projector.update()
        assert report.position == lg.app.size() and not report.failed_cases
        assert report.cases_updated == 3 + grown
    assert folded[0] >= 9  # 3 rounds of 3 new cases at least, one case at a time
    streamed = snapshot(lg.app)
    monkeypatch.undo()
    projector.rebuild()
    assert snapshot(lg.app) == streamed
    assert len(streamed["proj_cases"]) == 9


def test_the_fold_gives_the_domains_clocks_for_every_generated_case(home):
    """clocks_of hands each clock only the facts it reads (projections.clock_index); on
    every case of a written ledger that is what the domain computes from all of them."""
    lg = make_ledger(home)
    write_generated(lg, SEED, CASES, extra=8)
    history = RuleSetHistory.load(lg.app)
    seen = 0
    for n in range(CASES):
        facts = case_facts(lg.app, f"G-{SEED}-{n:05d}")
        rule_set = history.for_case(facts)
        for as_of in (facts[0].occurred_on, facts[-1].occurred_on, fold.HORIZON):
            got = clocks_of(facts, rule_set, CAL, as_of)
            assert got == compute_clocks(clock_facts(facts), rule_set, CAL, as_of)
            seen += len(got)
    assert seen > 3 * CASES
