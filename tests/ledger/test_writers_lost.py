"""Every write a writer was told about is in the ledger afterwards (issue 8, finding 8).

The loss came from forking worker processes while the parent held an open SQLite
connection: the children inherited SQLite's in-process lock bookkeeping, so they held no
real lock on the database file; when the parent later closed its connection it believed
itself the last user, checkpointed and deleted the WAL under the running children, and
every commit they made after their last checkpoint went into the deleted file. The test
reproduces those conditions: the parent uses the ledger, forks a pool, then closes its
connections and uses the ledger again while the children write.
"""

from __future__ import annotations

import gc
import multiprocessing
from pathlib import Path
from typing import Any

from sqlalchemy import select

from service.actors import load_actor_signer
from service.home import Home
from service.writer import Writer, make_intent
from tests.helpers import REFERRAL, make_ledger
from tests.scenario import data

WORKERS, TASKS, CASES_PER_TASK, EVENTS_PER_CASE = 3, 24, 2, 20

_STATE: dict[str, Any] = {}


def _init(root: str, url: str | None) -> None:
    home = Home(Path(root), url)
    _STATE.update(home=home, app=home.open(),
                  signers={a: load_actor_signer(home, a) for a in ("bu1", "ag1")})


def _task(n: int) -> list[tuple[int, str]]:
    app, signers = _STATE["app"], _STATE["signers"]
    out = []
    for c in range(CASES_PER_TASK):
        ref = f"W-{n:03d}-{c}"
        writer = Writer(app)
        now = writer.clock()
        intents = [make_intent("incident-referred", ref, REFERRAL, "2025-12-18", "bu1", now)]
        intents += [make_intent("agency-information-received", ref,
                                data("agency-information-received",
                                     completed_by=f"officer {n}-{c}-{i}"),
                                "2025-12-19", "ag1", now)
                    for i in range(EVENTS_PER_CASE - 1)]
        receipts = writer.append(intents, signers)
        out += [(r.position, r.hash) for r in receipts]
    return out


def test_every_receipt_of_forked_writers_is_in_the_ledger(home):
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "PARENT-1", REFERRAL, "2025-12-18")
    before = lg.app.size()  # the parent has used the ledger: a pooled connection is open
    pool = multiprocessing.get_context("fork").Pool(
        WORKERS, initializer=_init, initargs=(str(home.root), home.db_url))
    receipts: list[tuple[int, str]] = []
    try:
        for i, done in enumerate(pool.imap_unordered(_task, range(TASKS))):
            receipts += done
            if i == 2:
                # The parent closes its connections mid-run (as garbage collection of an
                # application does), then carries on using the ledger.
                gc.collect()
                lg.app.engine.dispose()
                assert lg.app.size() >= before
    finally:
        pool.close()
        pool.join()
    assert len(receipts) == TASKS * CASES_PER_TASK * EVENTS_PER_CASE
    app = home.open()
    t = app.events_table
    with app.engine.connect() as conn:
        stored = {(p, bytes(h).hex()) for p, h in conn.execute(
            select(t.c.position, t.c.chain_hash).where(t.c.position > before))}
    missing = set(receipts) - stored
    assert not missing, f"{len(missing)} acknowledged events are not in the ledger"
    assert app.size() == before + len(receipts) == before + len(stored)
