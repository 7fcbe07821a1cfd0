"""The projector's memory does not grow with the cases' histories (issue 8, finding 7): a
chunk is bounded by its events, not by a number of cases, so the same cases with five
times the events each fold in chunks of the same size. Measured with tracemalloc on a
ledger, then on the same ledger once its cases have grown."""

from __future__ import annotations

import tracemalloc
from datetime import datetime, timezone

import projections.batches
from projections.projector import Projector
from service.actors import load_actor_signer
from service.calendar_england import england_calendar
from service.writer import Writer, make_intent
from tests.generator import generate
from tests.helpers import make_ledger, write_generated
from tests.scenario import data

SEED, CASES = 1, 40


def grow(lg, per_case: int, seed: int = SEED, cases: int = CASES, extra: int = 10) -> int:
    """``per_case`` more agency returns on every case of ``write_generated(lg, seed,
    cases, extra)`` still open."""
    writer = Writer(lg.app)
    signer = {"ag1": load_actor_signer(lg.home, "ag1")}
    now = datetime.now(timezone.utc)
    grown = 0
    for ref, steps in generate(seed, cases, extra):
        if any(t == "case-closed" for _, t, _, _ in steps):
            continue  # nothing may follow a closure
        on = steps[-1][3]
        writer.append([make_intent("agency-information-received", ref,
                                   data("agency-information-received",
                                        completed_by=f"officer {i}"), on, "ag1", now)
                       for i in range(per_case)], signer)
        grown += 1
    return grown


def peak(projector: Projector) -> int:
    tracemalloc.start()
    try:
        report = projector.rebuild()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert report.cases_updated == CASES and not report.failed_cases


def test_rebuild_peak_memory_is_flat_in_events_per_case(home, monkeypatch):
    # A small budget, so the small ledger already folds in several chunks; the old
    # limit (200 cases a chunk) would hold the whole ledger at once in both.
    monkeypatch.setattr(projections.batches, "EVENTS", 200)
    lg = make_ledger(home)
    write_generated(lg, SEED, CASES, 10)  # ~20 events a case
    projector = Projector(lg.app, england_calendar())
    projector.rebuild()  # first-use costs (compiled statements, rule sets) off the scale
    small_size, small = lg.app.size(), peak(projector)
    assert grow(lg, 80) > CASES // 2  # ~5 times the events on most cases
    assert lg.app.size() > 3 * small_size
    assert peak(projector) < 1.5 * small
