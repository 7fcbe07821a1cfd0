"""The nightly compares the read models with a rebuild it keeps from night to night
(issue 13, projections.reference): the file is the owner's alone, an edit of a live row
is found the next night, and an edit of the kept file that hides one is undone by the
weekly full check, which raises the alarm.
"""

from __future__ import annotations

import sqlite3
from datetime import date

from jobs.nightly import run_nightly
from projections import reference
from projections.projector import Projector
from projections.reference import reference_path
from service.calendar_england import england_calendar
from service.read_models import check_read_models
from tests.helpers import make_ledger
from tests.jobs.test_alarm import nightly
from tests.jobs.test_nightly import at, refer
from tests.jobs.test_projection_alarm import last_event, sql
from tests.ledger.tamper import raw, row_at

EDIT = "UPDATE proj_clocks SET due_on = '2026-12-31' WHERE case_ref = 'AL-1' AND " \
       "clock = 'threshold_decision'"


def two_clean_nights(home):
    with at("2026-01-12", 10):
        lg = make_ledger(home)
        refer(lg, "AL-1")
        refer(lg, "AL-2")
    for day in ("2026-01-12", "2026-01-13"):
        code, night = nightly(lg, day)
        assert code == 0 and night["verify_ok"], night
    return lg


def between_full_runs(lg):
    with at("2026-01-14"):
        return check_read_models(lg.app, calendar=england_calendar(),
                                 reference=reference_path(lg.home.root), full=False)


def edit_kept(home) -> None:
    db = sqlite3.connect(reference_path(home.root))
    try:
        with db:
            assert db.execute(EDIT).rowcount == 1
    finally:
        db.close()


def test_the_kept_rebuild_is_private_and_a_live_edit_is_found_next_night(home):
    lg = two_clean_nights(home)
    assert reference_path(home.root).stat().st_mode & 0o777 == 0o600
    sql(home, EDIT)
    code, night = nightly(lg, "2026-01-14")  # not a weekly full run: the kept file
    assert code == 1 and not night["verify_ok"]
    assert [(a["position"], a["kind"]) for a in night["alarms"]] == \
        [(last_event(home, "AL-1"), "projection")]


def test_an_edit_hidden_in_the_kept_rebuild_too_is_found_by_the_weekly_run(home):
    lg = two_clean_nights(home)
    # The runs recorded breaches after their checks: a night's check first brings the
    # kept rebuild up to them, so that AL-1 has nothing new to fold again.
    assert between_full_runs(lg).ok
    sql(home, EDIT)
    edit_kept(home)
    assert between_full_runs(lg).ok  # the limit projections.reference states
    code, night = nightly(lg, "2026-01-19")  # seven days after the first, full run
    assert code == 1 and not night["verify_ok"]
    assert [(a["position"], a["kind"]) for a in night["alarms"]] == \
        [(last_event(home, "AL-1"), "projection")]


def test_the_first_night_keeps_the_rebuild_so_the_next_folds_only_new_cases(home, monkeypatch):
    """The first run finds no read models to compare; without a kept rebuild its next
    run would fold every case from the first event (issue 13: what grew with history)."""
    with at("2026-01-12", 10):
        lg = make_ledger(home)
        refer(lg, "AL-1")
        refer(lg, "AL-2")
    code, night = nightly(lg, "2026-01-12")
    assert code == 0 and night["breaches_recorded"] > 0  # appended after the check
    assert reference_path(home.root).is_file()
    with at("2026-01-13", 1):
        refer(lg, "AL-3")
        Projector(lg.app, england_calendar()).update()  # the live models hold AL-3
    rebuilt, folded = [], []
    real_rebuild, real_fold = reference._rebuild, reference.fold_into
    monkeypatch.setattr(reference, "_rebuild",
                        lambda *a: (rebuilt.append(1), real_rebuild(*a)))

    def spy(out, app, conn, cases, *rest):
        cases = list(cases)
        folded.extend(ref for ref, _ in cases)
        return real_fold(out, app, conn, cases, *rest)

    monkeypatch.setattr(reference, "fold_into", spy)
    code, night = nightly(lg, "2026-01-13")
    assert code == 0 and night["verify_ok"], night
    assert rebuilt == [] and folded == ["AL-3"]


def test_no_reference_is_kept_from_a_run_that_found_the_ledger_altered(home):
    """The first night keeps the reference only from a ledger its closing verify found
    intact: here the run's own first breach is altered with raw SQL as it is appended."""
    with at("2026-01-12", 10):
        lg = make_ledger(home)
        refer(lg, "AL-1")
        refer(lg, "AL-2")

    def alter(appended: int) -> None:
        if appended != 1:
            return
        with raw(home) as db:
            (last,) = db.execute("SELECT max(position) FROM cspr_events")[0]
            state = bytes(row_at(db, last)["state"])
            assert b"deadline-breached" in state
            db.execute("UPDATE cspr_events SET state = :s WHERE position = :p",
                       {"s": state.replace(b"2026-01-", b"2026-02-", 1), "p": last})

    with at("2026-01-12"):
        result = run_nightly(lg.app, home, as_of=date(2026, 1, 12), smtp_url="",
                             on_append=alter)
    assert result.breaches_recorded > 1 and not result.verify_ok and result.alarms
    assert not reference_path(home.root).exists()
