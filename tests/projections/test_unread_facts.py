"""Facts the read models never decode (projections.fold.UNREAD_BY_ROWS) change nothing
the read models hold (issue 13): a fold that decodes them gives the very same rows, and a
row builder that reads one's data anyway fails loudly, never with an empty value."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import projections.fold
from domain.rulesets import RULE_SETS
from projections import fold, source
from projections import tables as T
from projections.clock_index import read_by
from projections.projector import Projector
from service.calendar_england import england_calendar
from tests.helpers import make_ledger, write_generated
from tests.projections.test_projections import snapshot

CAL = england_calendar()


def _decoded(monkeypatch) -> list[int]:
    """Count the payloads the fold decodes."""
    calls = [0]
    real = source.fact_from_row

    def counting(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(projections.fold, "fact_from_row", counting)
    return calls


def test_a_fold_without_decoding_them_gives_the_same_rows(home, monkeypatch):
    lg = make_ledger(home)
    written = write_generated(lg, seed=7, cases=6, extra=12)
    t = lg.app.events_table
    with lg.app.engine.connect() as conn:
        unread = conn.execute(select(func.count()).select_from(t).where(
            t.c.event_type.in_(sorted(fold.UNREAD_BY_ROWS)))).scalar_one()
    assert unread > 0  # the generator writes them: otherwise this test proves nothing

    decoded = _decoded(monkeypatch)
    projector = Projector(lg.app, CAL)
    assert not projector.rebuild().failed_cases
    skipping = snapshot(lg.app)
    # Every case event but the unread ones was decoded (the set-up events have no case).
    with lg.app.engine.connect() as conn:
        case_events = conn.execute(select(func.count()).select_from(t).where(
            t.c.case_ref.is_not(None))).scalar_one()
    assert decoded[0] == case_events - unread and case_events <= written + 10

    monkeypatch.setattr(fold, "UNREAD_BY_ROWS", frozenset())
    decoded[0] = 0
    assert not projector.rebuild().failed_cases
    assert decoded[0] == case_events
    assert snapshot(lg.app) == skipping
    assert len(skipping["proj_cases"]) == 6 and skipping["proj_chronology"]


def test_no_rule_sets_clock_reads_an_unread_type():
    for name, rule_set in RULE_SETS.items():
        assert not read_by(rule_set) & fold.UNREAD_BY_ROWS, name


def test_reading_an_unread_facts_data_names_the_case_as_failed(home, monkeypatch):
    lg = make_ledger(home)
    write_generated(lg, seed=8, cases=2)
    # Every case row reads its referral's harm: promised unread, every case must fail
    # with the error's kind, and have no rows.
    monkeypatch.setattr(fold, "UNREAD_BY_ROWS", frozenset({"incident-referred"}))
    report = Projector(lg.app, CAL).rebuild()
    assert len(report.failed_cases) == 2
    rows = snapshot(lg.app)
    assert rows["proj_cases"] == [] and rows["proj_clocks"] == []
    with lg.app.engine.connect() as conn:
        kinds = set(conn.execute(select(T.failed.c.error)).scalars())
    assert kinds == {"UnreadDataError"}


def test_a_counted_facts_data_cannot_be_read():
    fact = source.counted_fact(5, "agency-information-received", "C-1",
                               "2026-11-02T07:00:00.000000Z", "bu1", "k1")
    assert (fact.position, fact.type, fact.actor, fact.recorded_at.year) == (
        5, "agency-information-received", "bu1", 2026)
    for read in (lambda d: d["agency"], lambda d: d.get("agency"), list, len,
                 lambda d: "agency" in d):
        with pytest.raises(source.UnreadDataError):
            read(fact.data)
