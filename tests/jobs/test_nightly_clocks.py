"""The nightly reads the clock rows once: after its own appends it reads again only the
cases those (or other writers') events changed (jobs.nightly_report.refresh_clocks), and
the report gets exactly what a second full read would have given."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from freezegun import freeze_time

from jobs.nightly_report import refresh_clocks
from projections import read
from projections.projector import Projector
from service.calendar_england import england_calendar
from tests.helpers import make_ledger
from tests.scenario import data

AS_OF = date(2026, 1, 13)


def refer(lg, case: str) -> None:
    lg.record("bu1", "incident-referred", case,
              data("incident-referred", aware_on="2026-01-05", received_on="2026-01-05",
                   incident_on="2026-01-02"), "2026-01-05")


@pytest.fixture
def lg(home):
    with freeze_time(datetime.fromisoformat("2026-01-12T10:30:00+00:00"), tick=True):
        lg = make_ledger(home)
        for case in ("R-1", "R-2", "R-3"):
            refer(lg, case)
        yield lg


def test_only_the_changed_case_is_read_again(lg) -> None:
    projector = Projector(lg.app, england_calendar())
    since = projector.update().position
    clocks = read.clock_rows(lg.app, AS_OF)
    lg.record("ag1", "agency-information-received", "R-2",
              data("agency-information-received"), "2026-01-12")
    upto = projector.update().position
    fresh = refresh_clocks(lg.app, AS_OF, clocks, since, upto)
    assert fresh == read.clock_rows(lg.app, AS_OF)
    kept = [a is b for a, b in zip(fresh, clocks)]
    # R-1's and R-3's rows are those already read; R-2's were read again.
    assert kept == [row["case"] != "R-2" for row in clocks]


def test_a_case_opened_meanwhile_is_placed_where_a_full_read_puts_it(lg) -> None:
    projector = Projector(lg.app, england_calendar())
    since = projector.update().position
    clocks = read.clock_rows(lg.app, AS_OF)
    refer(lg, "R-0")  # sorts first: no row of it in the first read
    lg.record("ag1", "agency-information-received", "R-3",
              data("agency-information-received"), "2026-01-12")
    upto = projector.update().position
    fresh = refresh_clocks(lg.app, AS_OF, clocks, since, upto)
    assert fresh == read.clock_rows(lg.app, AS_OF)
    assert fresh[0]["case"] == "R-0" and len(fresh) > len(clocks)


def test_nothing_new_keeps_the_rows_as_read(lg) -> None:
    projector = Projector(lg.app, england_calendar())
    since = projector.update().position
    clocks = read.clock_rows(lg.app, AS_OF)
    assert refresh_clocks(lg.app, AS_OF, clocks, since, since) is clocks
