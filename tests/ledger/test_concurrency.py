"""Several OS processes appending at once give one chain that verifies, nothing lost."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from ledger.verify import verify_ledger
from tests.helpers import REFERRAL, make_ledger
from tests.ledger.tamper import raw

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from service.home import Home
    from service.recording import record_event
    root, url, worker, count = sys.argv[1], sys.argv[2] or None, sys.argv[3], int(sys.argv[4])
    home = Home(Path(root), url)
    app = home.open()
    for i in range(count):
        # Every process writes to the SAME case stream: they race for its versions.
        record_event(app, home, "ag1", "agency-information-received", "RACE-1", {
            "agency": f"Agency {worker}", "completed_by": f"officer {worker}-{i}",
            "involvement_from": "2024-01-01", "nature_of_involvement": "made-up"})
""")

PROCESSES, EACH = 4, 100


def test_four_processes_append_one_unbroken_chain(home):
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "RACE-1", REFERRAL, "2025-12-18")
    before = lg.app.size()
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(home.root), home.db_url or "",
                          str(w), str(EACH)], stderr=subprocess.PIPE)
        for w in range(PROCESSES)
    ]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err.decode()[-2000:]
    app = home.open()
    assert app.size() == before + PROCESSES * EACH
    report = verify_ledger(app)
    assert report.ok, report.problems[:5]
    assert report.events_checked == before + PROCESSES * EACH
    with raw(home) as db:
        positions = [p for (p,) in db.execute("SELECT position FROM cspr_events ORDER BY id")]
        versions = [v for (v,) in db.execute(
            "SELECT originator_version FROM cspr_events WHERE case_ref = 'RACE-1' "
            "AND event_type = 'agency-information-received'")]
    assert positions == list(range(1, before + PROCESSES * EACH + 1))
    assert len(versions) == len(set(versions)) == PROCESSES * EACH
