"""Verify reads one snapshot: while four processes record, it never raises a false alarm
(issue 8, finding 5: "head says N events, M found" on an intact ledger)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from ledger.verify import verify_ledger
from tests.helpers import REFERRAL, make_ledger

RECORDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from service.home import Home
    from service.recording import record_event
    root, url, worker, stop = sys.argv[1], sys.argv[2] or None, sys.argv[3], sys.argv[4]
    home = Home(Path(root), url)
    app = home.open()
    i = 0
    while not Path(stop).exists():
        record_event(app, home, "ag1", "agency-information-received", f"LOAD-{worker}", {
            "agency": f"Agency {worker}", "completed_by": f"officer {i}",
            "involvement_from": "2024-01-01", "nature_of_involvement": "made-up"})
        i += 1
        time.sleep(0.05)  # keep the ledger small: the test is about timing, not size
    print(i)
""")

WRITERS, ROUNDS = 4, 200


def _started(app, procs) -> int:
    """Wait until the writers are recording (they take a moment to import), so every
    round runs under load; returns the size then."""
    first = app.size()
    while app.size() < first + 2 * len(procs):
        assert all(p.poll() is None for p in procs), "a writer died"
        time.sleep(0.05)
    return app.size()


def test_verify_in_a_loop_while_four_processes_record_never_false_alarms(home, tmp_path):
    lg = make_ledger(home)
    for w in range(WRITERS):
        lg.record("bu1", "incident-referred", f"LOAD-{w}", REFERRAL, "2025-12-18")
    before = lg.app.size()
    stop = tmp_path / "stop"
    procs = [subprocess.Popen([sys.executable, "-c", RECORDER, str(home.root),
                               home.db_url or "", str(w), str(stop)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for w in range(WRITERS)]
    try:
        app = home.open()
        start = _started(app, procs)
        alarms = []
        round_ = 0
        # At least ROUNDS rounds, and on until the writers have appended at least ROUNDS
        # events meanwhile: on a loaded machine the writers can lag the loop, and a round
        # with nothing written beside it proves nothing.
        while round_ < ROUNDS or (app.size() - start < ROUNDS and round_ < 10 * ROUNDS):
            if round_ % 10 == 9:  # the whole ledger, with the worker pool, as the CLI
                report = verify_ledger(app, workers=2)
            else:  # short: the last few events, and the head, in one snapshot
                report = verify_ledger(app, workers=1, since=max(app.size() - 20, 1))
            if not report.ok:
                alarms.append((round_, [p.as_json() for p in report.problems[:3]]))
            round_ += 1
        grown = app.size() - start
    finally:
        stop.touch()
        outs = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err.decode()[-2000:]
    assert alarms == []
    assert grown >= ROUNDS  # the writers were busy throughout the loop
    assert sum(int(out) for out, _ in outs) == home.open().size() - before
    assert verify_ledger(home.open()).ok


def test_cli_verify_while_processes_record(home, tmp_path):
    """The real command, a few times: exit 0 every time."""
    lg = make_ledger(home)
    for w in range(2):
        lg.record("bu1", "incident-referred", f"LOAD-{w}", REFERRAL, "2025-12-18")
    stop = tmp_path / "stop"
    procs = [subprocess.Popen([sys.executable, "-c", RECORDER, str(home.root),
                               home.db_url or "", str(w), str(stop)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for w in range(2)]
    try:
        _started(lg.app, procs)
        codes = [lg.cli("verify", "--json").exit_code for _ in range(10)]
    finally:
        stop.touch()
        for p in procs:
            p.communicate(timeout=120)
    assert codes == [0] * 10
