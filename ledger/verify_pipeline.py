"""Verify's batches in flight: rows read in pages are cut into batches, a bounded number
of batches is with the workers at any time, and results are settled in ledger order as
they come back; memory holds at most ``max_in_flight`` batches, whatever the ledger's
size.

Cutting batches is the only per-row work here: the position each row is checked as (a
gap moves it on) and the ledger id (the chain hash at position 1) are what a worker
needs to rebuild signed heads, and a batch ends at each size a checkpoint claims, so
the tree's root there is one join away. Batches are the same whatever the number of
workers, so the report is too.
"""

from __future__ import annotations

import io
import pickle
from collections import deque
from concurrent.futures import Executor, Future
from typing import Any, Callable, Iterable

from ledger import sigbatch
from ledger.sigbatch import Checked, Job, check_batch
from ledger.verify_rows import (EVENT_TYPE, POSITION, REGISTERING, chain_hash_of,
                                next_position, registered_key)


class Pipeline:
    def __init__(self, v: Any, pool: Executor | None, max_in_flight: int,
                 progress: Callable[[int], None] | None) -> None:
        self.v = v  # the verifier: n, ledger_id, keep, public_keys(), settle()
        self.pool = pool
        self.max_in_flight = max(1, max_in_flight) if pool else 0
        self.progress = progress
        self.inflight: deque[tuple[Job, Future[Checked] | Checked]] = deque()
        self.stats = {"rows": 0, "batches": 0, "peak_in_flight": 0, "worker_failures": 0}
        # Keys registered in rows sent but not yet settled, so that an actor's first
        # events, sent before the registry has its key, are checked in a worker too.
        self.found: dict[str, bytes] = {}

    def run(self, rows: Iterable[Any]) -> None:
        v, keep, limit = self.v, self.v.keep, sigbatch.BATCH
        n, ledger_id = v.n, v.ledger_id
        batch: list[tuple[Any, ...]] = []
        start = (n, ledger_id)
        for row in rows:
            n = next_position(n, row[POSITION])
            if n == 1:
                ledger_id = v.ledger_id = chain_hash_of(row).hex()
            if type(row[EVENT_TYPE]) is str and row[EVENT_TYPE] in REGISTERING:
                self.found.update(registered_key(row))
            batch.append(tuple(row))
            if len(batch) >= limit or n in keep:
                self.send(batch, *start)
                batch, start = [], (n, ledger_id)
        if batch:
            self.send(batch, *start)
        while self.inflight:
            self.settle()

    def send(self, rows: list[tuple[Any, ...]], n: int, ledger_id: str) -> None:
        while len(self.inflight) >= max(1, self.max_in_flight):
            self.settle()
        # Every row is one leaf, and the tree of a verify starts empty.
        job = Job(rows, n, ledger_id, self.stats["rows"],
                  {**self.found, **self.v.public_keys()})
        self.stats["rows"] += len(rows)
        self.stats["batches"] += 1
        self.inflight.append((job, self.pool.submit(check_sent, sent(job)) if self.pool
                              else check_batch(job)))
        self.stats["peak_in_flight"] = max(self.stats["peak_in_flight"],
                                           len(self.inflight))

    def settle(self) -> None:
        job, work = self.inflight.popleft()
        if isinstance(work, Future):
            try:
                work = work.result()
            except Exception:
                # A worker lost (killed, out of memory) or a result it could not send
                # back: the same work, done here, gives the same findings.
                self.stats["worker_failures"] += 1
                work = check_batch(job)
        self.v.settle(job, work)
        if self.progress:
            self.progress(len(job.rows))


def sent(job: Job) -> bytes:
    """The job as sent to a worker: pickled without pickle's memo, which costs a dict
    entry per string and bytes of every row (the memo's only use, a shared or recursive
    object, is not in rows read from the database), half the main process's cost of
    sending them."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(job)
    return out.getvalue()


def check_sent(data: bytes) -> Checked:
    """A worker's side of ``sent``."""
    return check_batch(pickle.loads(data))
