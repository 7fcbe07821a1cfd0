"""Verify's memory does not grow with the ledger (issue 8, finding 7): rows stream in
pages, a few batches are in flight, and chain hashes are kept only where a checkpoint
needs them. Measured with tracemalloc on a ledger, then on one four times its size."""

from __future__ import annotations

import tracemalloc

import pytest

import ledger.sigbatch
import ledger.snapshot
from ledger.verify import verify_ledger
from service.evidence import create_checkpoint
from tests.helpers import make_ledger, write_generated


def peak(app, workers: int) -> int:
    tracemalloc.start()
    try:
        report = verify_ledger(app, workers=workers)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert report.ok


@pytest.mark.parametrize("workers", [1, 2])
def test_verify_peak_memory_is_flat_in_ledger_size(home, monkeypatch, workers):
    # Small pages and batches, so a small ledger already holds many of each.
    monkeypatch.setattr(ledger.snapshot, "PAGE", 100)
    monkeypatch.setattr(ledger.sigbatch, "BATCH", 64)
    lg = make_ledger(home)
    write_generated(lg, 1, 150)  # ~1,700 events
    create_checkpoint(lg.app, home)
    small_size, small = lg.app.size(), peak(lg.app, workers)
    write_generated(lg, 2, 450)  # ~7,000 events in all
    create_checkpoint(lg.app, home)
    assert lg.app.size() > 4 * small_size
    assert peak(lg.app, workers) < 1.5 * small
