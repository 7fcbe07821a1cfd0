"""A large import killed with SIGKILL at any point leaves the ledger as it was: no event,
and no per-case data-key row without the events sealed under it (issue 8, findings 4/7).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.generator import generate
from tests.helpers import make_ledger
from tests.ledger.tamper import raw

CASES, EXTRA = 120, 30  # ~5,000 lines, each case opened by a referral with personal data


def write_import(path: Path) -> int:
    n = 0
    with path.open("w") as f:
        for ref, steps in generate(11, CASES, EXTRA):
            for actor, t, payload, occurred in steps:
                f.write(json.dumps({"type": t, "case": ref, "data": payload,
                                    "occurred_at": occurred, "as": actor}) + "\n")
                n += 1
    return n


def counts(home) -> tuple[int, int, int]:
    with raw(home) as db:
        (events,), = db.execute("SELECT count(*) FROM cspr_events")
        (keys,), = db.execute("SELECT count(*) FROM cspr_data_keys")
        (orphans,), = db.execute(
            "SELECT count(*) FROM cspr_data_keys WHERE case_ref NOT IN "
            "(SELECT case_ref FROM cspr_events WHERE sealed IS NOT NULL)")
    return events, keys, orphans


def cspr(home, *args: str) -> list[str]:
    base = [sys.executable, "-m", "cli.main", "--home", str(home.root)]
    if home.db_url:
        base += ["--db", home.db_url]
    return [*base, *args]


@pytest.mark.parametrize("delay", [0.5, 1.5, 3.0, 5.0])
def test_kill_9_during_a_large_import_leaves_nothing_behind(home, tmp_path, delay):
    make_ledger(home).app.close()
    lines = write_import(tmp_path / "big.jsonl")
    before = counts(home)
    assert before[2] == 0
    proc = subprocess.Popen(cspr(home, "import", str(tmp_path / "big.jsonl")),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=Path(__file__).resolve().parents[2])
    time.sleep(delay)
    finished = proc.poll() is not None
    if not finished:
        os.kill(proc.pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=600)
    after = counts(home)
    assert after[2] == 0, f"{after[2]} orphan data-key rows"
    if finished:  # the import won the race: then it is all there
        assert proc.returncode == 0, err.decode()[-2000:]
        assert after[0] == before[0] + lines
    else:  # killed: before its commit nothing is there; after it (the kill may land
        # while it reads its receipts back or exits) everything is. Never a part.
        assert after[:2] == before[:2] or after[0] == before[0] + lines, after
