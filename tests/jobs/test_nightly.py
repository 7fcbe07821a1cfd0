"""The nightly job: the escalation ladder walked day by day with a moving clock, exactly
once whatever the order, gaps, repeats or crashes of its runs."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import date, datetime, timezone

import pytest
from freezegun import freeze_time

from jobs.nightly import run_nightly
from ledger.verify import verify_ledger
from service.calendar_england import england_calendar
from tests.helpers import make_ledger
from tests.ledger.tamper import raw
from tests.scenario import data

CAL = england_calendar()


def at(day: str, hour: int = 2):
    return freeze_time(datetime.fromisoformat(f"{day}T{hour:02d}:30:00+00:00"), tick=True)


def refer(lg, case: str) -> None:
    """A referral the LA became aware of on Mon 5 Jan 2026: report to partners due Tue
    6 Jan (1 WD), threshold and National Panel notification due Mon 12 Jan (5 WD)."""
    lg.record("bu1", "incident-referred", case,
              data("incident-referred", aware_on="2026-01-05", received_on="2026-01-05",
                   incident_on="2026-01-02"), "2026-01-05")


def nightly(lg, day: str):
    with at(day):
        return run_nightly(lg.app, lg.home, calendar=CAL, smtp_url="")


def escalations(home):
    with raw(home) as db:
        rows = db.execute("SELECT state FROM cspr_events WHERE event_type = 'action-escalated'"
                          " ORDER BY position")
    return [(json.loads(bytes(s))["data"]["level"], json.loads(bytes(s))["data"]["on"])
            for (s,) in rows]


@pytest.fixture
def ladder(home):
    """A case with one action due Sat 31 Jan 2026 (HoS rung 30 Apr, CO rung 31 Jul)."""
    with at("2026-01-12", 10):
        lg = make_ledger(home)
        refer(lg, "L-1")
        lg.record("ldc", "action-agreed", "L-1",
                  data("action-agreed", action="A1", deadline="2026-01-31"), "2026-01-12")
    return lg


def test_the_ladder_climbs_once_at_each_rung_across_month_ends(ladder):
    assert nightly(ladder, "2026-04-30").escalations_recorded == 0  # 30 Apr not over yet
    first = nightly(ladder, "2026-05-01")
    assert first.escalations_recorded == 1
    assert escalations(ladder.home) == [("head_of_service", "2026-05-01")]
    assert nightly(ladder, "2026-05-01").escalations_recorded == 0  # same date twice
    assert nightly(ladder, "2026-07-31").escalations_recorded == 0
    assert nightly(ladder, "2026-08-01").escalations_recorded == 1
    assert escalations(ladder.home) == [("head_of_service", "2026-05-01"),
                                        ("chief_officer", "2026-08-01")]
    assert nightly(ladder, "2026-09-01").escalations_recorded == 0
    assert verify_ledger(ladder.app).ok


def test_missed_runs_catch_up_each_rung_once(ladder):
    result = nightly(ladder, "2026-08-10")  # nothing ran since January
    assert result.escalations_recorded == 2
    assert escalations(ladder.home) == [("head_of_service", "2026-05-01"),
                                        ("chief_officer", "2026-08-01")]
    assert nightly(ladder, "2026-08-11").escalations_recorded == 0


def test_an_extension_moves_the_head_of_service_rung_only(ladder):
    # §13.4: Head of Service at 3 months beyond the deadline in force (30 Jun + 3 = 30 Sep,
    # recorded the day after), Chief Officer at 6 months beyond the original deadline
    # (Sat 31 Jan + 6 = 31 Jul, recorded 1 Aug): here the Chief Officer is told first.
    with at("2026-04-20", 10):
        ladder.record("ldc", "action-extended", "L-1",
                      data("action-extended", action="A1", new_deadline="2026-06-30"),
                      "2026-04-20")
    assert nightly(ladder, "2026-05-01").escalations_recorded == 0
    assert nightly(ladder, "2026-07-31").escalations_recorded == 0
    assert nightly(ladder, "2026-08-01").escalations_recorded == 1
    assert nightly(ladder, "2026-09-30").escalations_recorded == 0
    assert nightly(ladder, "2026-10-01").escalations_recorded == 1
    assert escalations(ladder.home) == [("chief_officer", "2026-08-01"),
                                        ("head_of_service", "2026-10-01")]
    assert nightly(ladder, "2026-10-02").escalations_recorded == 0


@pytest.mark.parametrize("completed_on,expected", [("2026-04-30", 0), ("2026-05-01", 1)])
def test_completion_just_before_or_after_the_rung(ladder, completed_on, expected):
    with at("2026-05-01", 1):  # recorded before that night's run
        ladder.record("ag1", "action-completed", "L-1",
                      data("action-completed", action="A1", on=completed_on), completed_on)
    assert nightly(ladder, "2026-05-01").escalations_recorded == 0  # closed: no new rung
    levels = escalations(ladder.home)
    assert len(levels) == 0
    ladder_rows = ladder.cli("deadlines", "--case", "L-1", "--as-of", "2026-05-01", "--json")
    hos = [r for r in json.loads(ladder_rows.stdout) if r["clock"] == "action_head_of_service"]
    assert hos[0]["status"] == ("met" if expected == 0 else "met_late")


def test_breaches_are_recorded_once_and_alerted_without_personal_data(home):
    with at("2026-01-12", 10):
        lg = make_ledger(home)
        refer(lg, "B-1")
    first = nightly(lg, "2026-01-13")
    # 1 WD report_to_partners due 6 Jan; 5 WD threshold and notification due 12 Jan
    assert first.breaches_recorded == 3
    assert nightly(lg, "2026-01-13").breaches_recorded == 0
    letters = sorted(home.outbox.glob("*.eml"))
    assert len(letters) == 3
    text = b"".join(p.read_bytes() for p in letters)
    assert b"B-1" in text and b"report_to_partners" in text
    assert b"Testchild" not in text and b"Example" not in text
    assert first.verify_ok and first.checkpoint_size > 0
    assert (home.reports / "compliance-2026-01-13.html").exists()


WORKER = textwrap.dedent("""
    import os, sys, json
    from datetime import date
    from pathlib import Path
    from service.home import Home
    from jobs.nightly import run_nightly
    root, url, day, kill_after = sys.argv[1], sys.argv[2] or None, sys.argv[3], int(sys.argv[4])
    home = Home(Path(root), url)
    def crash(n):
        if kill_after and n >= kill_after:
            os._exit(9)  # killed half-way: no cleanup, no commit of anything in flight
    r = run_nightly(home.open(), home, as_of=date.fromisoformat(day), smtp_url="",
                    on_append=crash)
    print(json.dumps(r.as_json()))
""")


def _spawn(home, day, kill_after=0):
    return subprocess.Popen([sys.executable, "-c", WORKER, str(home.root), home.db_url or "",
                             day, str(kill_after)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


@pytest.fixture
def many_breaches(home):
    with at("2026-01-12", 10):
        lg = make_ledger(home)
        for i in range(6):
            refer(lg, f"M-{i}")
    return lg


def _breach_keys(home):
    with raw(home) as db:
        rows = db.execute("SELECT case_ref, state FROM cspr_events "
                          "WHERE event_type = 'deadline-breached'")
    return [(c, json.loads(bytes(s))["data"]["clock"]) for c, s in rows]


def test_two_runs_at_once_record_each_breach_once(many_breaches):
    procs = [_spawn(many_breaches.home, "2026-01-13") for _ in range(2)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()[-2000:]
        outs.append(json.loads(out))
    keys = _breach_keys(many_breaches.home)
    assert len(keys) == len(set(keys)) == 18
    assert sum(o["breaches_recorded"] for o in outs) == 18
    assert verify_ledger(many_breaches.home.open()).ok


def test_three_runs_at_once_all_pass_and_count_each_letter_once(many_breaches):
    """Issue 8, finding 5: on a clean ledger every run verifies clean, and a letter is
    counted only by the run that created its file."""
    home = many_breaches.home
    procs = [_spawn(home, "2026-01-13") for _ in range(3)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()[-2000:]
        outs.append(json.loads(out))
    assert all(o["verify_ok"] and o["alarms"] == [] and o["problems"] == [] for o in outs)
    assert sum(o["breaches_recorded"] for o in outs) == 18
    letters = list(home.outbox.glob("*.eml"))
    assert len(letters) == 18
    assert sum(o["messages_written"] for o in outs) == len(letters)
    assert all(o["checkpoint_size"] > 0 for o in outs)
    assert verify_ledger(home.open()).ok


def test_a_run_killed_half_way_is_completed_by_the_next(many_breaches):
    p = _spawn(many_breaches.home, "2026-01-13", kill_after=5)
    p.communicate(timeout=300)
    assert p.returncode == 9
    assert len(_breach_keys(many_breaches.home)) == 5  # whole events only
    app = many_breaches.home.open()
    assert verify_ledger(app).ok
    # someone signs a checkpoint by hand before the next night: no letter may be lost
    from service.evidence import create_checkpoint

    create_checkpoint(app, many_breaches.home)
    with at("2026-01-13", 3):
        second = run_nightly(app, many_breaches.home, as_of=date(2026, 1, 13), smtp_url="",
                             calendar=CAL)
    assert second.breaches_recorded == 13
    keys = _breach_keys(many_breaches.home)
    assert len(keys) == len(set(keys)) == 18
    # letters for the killed run's breaches were written by the second run
    assert len(list(many_breaches.home.outbox.glob("*.eml"))) == 18


def test_letters_are_delivered_once_to_a_real_smtp_server(home):
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self):
            self.received = []

        async def handle_DATA(self, server, session, envelope):
            self.received.append(envelope.content)
            return "250 OK"

    import socket

    with socket.socket() as probe:  # a free loopback port for the test's own server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with at("2026-01-12", 10):
            lg = make_ledger(home)
            refer(lg, "S-1")
        url = f"smtp://127.0.0.1:{port}"
        with at("2026-01-13"):
            first = run_nightly(lg.app, home, calendar=CAL, smtp_url=url)
            second = run_nightly(lg.app, home, calendar=CAL, smtp_url=url)
        assert first.messages_sent == 3 and second.messages_sent == 0
        assert len(sink.received) == 3
        assert all(b"S-1" in m and b"Testchild" not in m for m in sink.received)
    finally:
        controller.stop()


def test_a_late_recorded_stop_supersedes_the_breach_but_never_erases_it(home):
    with at("2026-01-12", 10):
        lg = make_ledger(home)
        refer(lg, "LATE-1")
    nightly(lg, "2026-01-13")  # report_to_partners (due 6 Jan) recorded as breached
    with at("2026-01-14", 10):  # ... but it was in fact done on 6 Jan, recorded late
        lg.record("bu1", "reported-to-partners", "LATE-1", {"on": "2026-01-06"}, "2026-01-06")
        rows = json.loads(lg.cli("deadlines", "--case", "LATE-1", "--json").stdout)
    clock = next(r for r in rows if r["clock"] == "report_to_partners")
    assert clock["status"] == "met" and clock["met_on"] == "2026-01-06"
    assert clock["recorded_late"] and clock["breach_superseded"]
    assert ("LATE-1", "report_to_partners") in [
        (c, k) for c, k in _breach_keys(home)]  # the alert stays in the ledger
    assert nightly(lg, "2026-01-14").breaches_recorded == 0


def test_a_rule_set_adopted_later_applies_to_cases_opened_after_it(home):
    with at("2026-03-02", 10):
        lg = make_ledger(home)
        lg.record("bu1", "incident-referred", "RS-OLD",
                  data("incident-referred", aware_on="2026-03-02", received_on="2026-03-02",
                       incident_on="2026-03-01"), "2026-03-02")
        assert lg.cli("--as", "admin", "rule-set", "adopt", "wt2023", "--effective-from",
                      "2026-04-01").exit_code == 0
    with at("2026-04-06", 10):
        lg.record("bu1", "incident-referred", "RS-NEW",
                  data("incident-referred", aware_on="2026-04-06", received_on="2026-04-06",
                       incident_on="2026-04-05"), "2026-04-06")
        cases = {c["case"]: c for c in json.loads(lg.cli("case", "list", "--json").stdout)}
    assert cases["RS-OLD"]["rule_set"] == "wt2018-local"
    assert cases["RS-NEW"]["rule_set"] == "wt2023"
