"""Prove the ledger intact: every signature, every role, every link, every copy.

Walks the events in commit order and reports each problem with its chain position and
kind, rather than stopping at the first: an inspector needs to know *which* events are in
doubt. Each row is linked against the *stored* hash of the row before it, so one altered
row is reported once instead of poisoning the rest of the chain; a separately recomputed
chain and Merkle tree answer checkpoints ("has the ledger only grown since?").

Everything is read in one snapshot (ledger.snapshot): the head and the rows of the same
instant, so writers appending meanwhile never look like tampering.

What a row proves on its own (decoding, canonical form, hashing, links inside a batch,
Ed25519) is done in worker processes a batch at a time (ledger.sigbatch); what depends on
the rows before (stream versions, signed-head ends, key registry and roles, links between
batches, the tree) here, in ledger order, from a few fields per row. Memory does not grow
with the ledger: rows stream in pages, a bounded number of batches is in flight
(ledger.verify_pipeline), and chain hashes are kept only where a checkpoint needs them.
"""

from __future__ import annotations

import os
from itertools import chain
from typing import Any, Callable, Mapping, Sequence

from sqlalchemy import Table, null, select
from sqlalchemy.engine import Connection

from ledger.app import LedgerApplication
from ledger.by_type import ACK_TYPE, acknowledgements, claimed_sizes
from ledger.chain import GENESIS, link
from ledger.identity import origin
from ledger.keys_registry import KeyEntry, KeyRegistry
from ledger.merkle import CompactRange
from ledger.merkle_ranges import join
from ledger.receipts import receipt_position
from ledger.report import Problem, Report
from ledger.rowtypes import raw, stored_columns
from ledger.schema import head_table
from ledger import sigbatch
from ledger.sigbatch import Checked, Job, signature_ok, signed_parts, worker_pool
from ledger.snapshot import driver_pages, snapshot
from ledger.verify_pipeline import Pipeline
from ledger.verify_rows import ACTOR_KINDS, COLUMNS, DECODE_ERRORS, NO_DATA, stored
from ledger.verify_end import checkpoint_size, evidence_problems, head_problems
from ledger.verify_seed import seed

__all__ = ["verify_ledger", "KeyEntry", "ACK_TYPE", "COLUMNS"]


class Verifier(KeyRegistry):
    def __init__(self, report: Report, keep: set[int]) -> None:
        super().__init__()
        self.report = report
        self.keep = keep  # sizes whose recomputed chain hash and root are needed
        self.n = 0  # the position the last row was checked as
        self.last = GENESIS  # recomputed chain hash after position n
        self.diverged = False  # whether it differs from the stored one (a bad link)
        self.tree = CompactRange()
        self.hashes: dict[int, bytes] = {0: GENESIS}  # stored chain hash at a kept size
        self.roots: dict[int, bytes] = {0: self.tree.root()}
        self.stored_previous = GENESIS
        self.claimed: list[tuple[int, int, str, str]] = []  # (at, size, head, root)
        self.versions: dict[str, int] = {}  # stream -> its last version seen
        # A stream's version before the first row read (an incremental verify asks the
        # database, for the streams it meets: ledger.verify_seed).
        self.version_before: Callable[[str], int] = lambda oid: 0
        self.partnership: str | None = None  # named by ledger-initialised
        self.ledger_id = ""  # the stored chain hash at position 1 (ledger.identity)
        self.last_signed = True  # whether the last row read carries a signed head
        self.last_head = 0  # the position of the last row read that carries one
        self.run_at: Any = None  # recorded_at of the last row read
        self.run_start = 0  # where the run of rows recorded at that instant began
        self.checked_here = 0  # signatures a worker could not check with the right key
        # (type, key id, actor) -> the key of events that passed the registry's check
        # with no finding, since the last actor event (``authorise``).
        self.granted: dict[tuple[Any, ...], bytes] = {}

    def problem(self, position: int, kind: str, detail: str) -> None:
        self.report.problems.append(Problem(position, kind, detail))

    def public_keys(self) -> dict[str, bytes]:
        return {kid: e.public_key for kid, e in self.keys.items()}

    def settle(self, job: Job, c: Checked) -> None:
        """The order-dependent checks of a batch the workers have checked, row by row;
        then its links to the batch before, then its bad signatures (the order of the
        findings the single-process verifier gave)."""
        notes, used, versions = c.notes, c.keys_used, self.versions
        bad, bad_heads = c.bad_signatures, c.bad_heads
        signatures: list[int] = []
        heads: list[int] = []
        for i, (n, oid, version, head, previous, recorded_at, auth) in enumerate(c.facts):
            note = notes.get(i)
            if note:
                for finding in note[0]:
                    self.problem(*finding)
            if head:
                self.heads(n, previous)
            if oid is not None and version is not None:
                last = versions.get(oid)
                if last is None:
                    last = self.version_before(oid)
                if version != last + 1:
                    self.problem(n, "version", f"stream version {version} follows {last} "
                                               "(an event of the stream is missing, "
                                               "repeated or moved)")
                versions[oid] = version
            if note:
                for finding in note[1]:
                    self.problem(*finding)
            public_key = None if auth is None else self.authorise(
                n, auth, note[2] if note else ())
            self.span(n, recorded_at, (previous or 0) if head else None)
            if public_key is None:
                continue
            if used.get(auth[1]) == public_key:
                if i in bad:
                    signatures.append(n)
                if i in bad_heads:
                    heads.append(n)
            else:  # tried with another key, or none: checked here instead
                self.checked_here += 1
                s = stored(job.rows[i])
                signed, message = signed_parts(s, n, self.ledger_id)
                if not signature_ok(public_key, s.signature, signed):
                    signatures.append(n)
                if message is not None and not signature_ok(public_key, s.head, message):
                    heads.append(n)
        self.n, self.last_signed = c.facts[-1][0], c.facts[-1][3]
        self.link(c)
        for n in signatures:
            self.problem(n, "signature", "signature does not verify")
        for n in heads:
            self.problem(n, "head_signature", "the transaction's signed head does not "
                         "verify: an event before it was removed, added, moved or changed")

    def authorise(self, n: int, auth: tuple[Any, Any, Any, Any],
                  tail: tuple[tuple[Any, ...], ...]) -> bytes | None:
        """The key registry's check of the row, then what followed it in the
        single-process verifier (verify_rows.after_authority); the public key its
        signature is checked with, if it gets that far."""
        kind, kid, actor, data = auth
        # The registry changes only at actor events, never kept: an event of the type,
        # key and actor of one that passed since gets the same answer (most events).
        keep = (type(kind) is type(kid) is type(actor) is str and data is None
                and not tail and kind not in ACTOR_KINDS)
        if keep:
            granted = self.granted.get(auth)
            if granted is not None:
                return granted
        else:
            self.granted.clear()
        found = len(self.report.problems)
        public_key = self.registry_check(n, kind, kid, actor, data, tail)
        if keep and public_key is not None and len(self.report.problems) == found:
            self.granted[auth] = public_key
        return public_key

    def registry_check(self, n: int, kind: Any, kid: Any, actor: Any, data: Any,
                       tail: tuple[tuple[Any, ...], ...]) -> bytes | None:
        """The registry's check and the steps after it (``authorise``), done in full."""
        p = {"type": kind, "key_id": kid, "actor": actor}
        if data is not NO_DATA:
            p["data"] = data
        try:
            self.authority(n, p)
            for step in tail:
                if step[0] == "partnership" and self.partnership is None:
                    if step[2] is not None:
                        return self.malformed(n, step[2])
                    self.partnership = step[1]
                elif step[0] == "claim":
                    self.claimed.append(step[1])
                elif step[0] == "problem":
                    self.problem(n, step[1], step[2])
                elif step[0] == "malformed":
                    return self.malformed(n, step[1])
            entry = self.keys.get(kid)
        except DECODE_ERRORS as e:
            return self.malformed(n, type(e).__name__)
        return entry.public_key if entry is not None else None

    def malformed(self, n: int, error: str) -> None:
        self.problem(n, "malformed", f"payload does not decode ({error})")

    def heads(self, n: int, previous: int | None) -> None:
        """A signed head names where the transaction before ended: that row must carry
        the signed head before this one (its head cleared, or moved, is found there)."""
        if previous is None or previous > self.last_head:
            self.problem(n if previous is None or previous >= n else previous,
                         "head_signature", "a transaction's end carries no signed head, "
                         "though the next transaction's head names it")
        elif previous < self.last_head:
            self.problem(n, "head_signature", "a signed head names an earlier end than the "
                                              "signed head before it")
        self.last_head = n

    def span(self, n: int, recorded_at: Any, previous: int | None) -> None:
        """One write transaction records all its events at one instant: a signed head
        whose transaction (``previous``, n] holds events recorded at different times
        spans several transactions, so the heads between them were removed, and the
        signer of this one vouched for the change."""
        if recorded_at is None or recorded_at != self.run_at:
            self.run_at, self.run_start = recorded_at, n
        if previous is not None and self.run_start > previous + 1:
            self.problem(self.run_start, "transaction", "events recorded at different "
                         f"times end in one signed head (from position {previous + 1}): "
                         "the heads between them were removed")

    def link(self, c: Checked) -> None:
        """The batch's first row linked to the row before it (the worker linked the
        rest), the recomputed chain carried on, and the batch's subtrees joined to the
        tree. The recomputed chain equals the stored one until a link fails, so only
        from there on is it hashed here."""
        bad = [0] if c.first_hash != link(self.stored_previous, c.leaves[:32]) else []
        bad += c.bad_links
        for i in bad:
            self.problem(c.facts[i][0], "chain", "hash link to the previous event does not "
                                                "match")
        if self.diverged or bad:
            start = 0 if self.diverged else bad[0]
            last = self.last if self.diverged else (
                self.stored_previous if start == 0 else c.hashes[start - 1])
            for at in range(32 * start, len(c.leaves), 32):
                last = link(last, c.leaves[at:at + 32])
            self.last, self.diverged = last, True
        else:
            self.last = c.last_hash
        self.stored_previous = c.last_hash
        self.tree = join(self.tree, c.subtrees)
        n = c.facts[-1][0]
        if n in self.keep:  # a batch ends at each kept size (ledger.verify_pipeline)
            # The stored hash, which is what a checkpoint signs: after a finding an admin
            # acknowledged, the recomputed chain differs from it for good, and the
            # checkpoints signed since must still check. Content is proved by the root.
            self.hashes[n], self.roots[n] = c.last_hash, self.tree.root()


def verify_ledger(app: LedgerApplication, checkpoint: dict[str, Any] | None = None,
                  workers: int | None = None,
                  progress: Callable[[int], None] | None = None,
                  since: int = 0, since_hash: bytes | None = None,
                  receipts: Sequence[Mapping[str, Any]] = (),
                  max_in_flight: int | None = None,
                  stats: dict[str, int] | None = None) -> Report:
    """Verify the whole ledger, or only the events after position ``since`` (the nightly
    job verifies what was appended since it last verified; ``since_hash`` is the chain
    hash it saw at ``since``, checked again so a rewrite of that row is found).
    ``receipts``: heads handed to recorders (ledger.receipts), each proved still held.
    ``max_in_flight``: batches with the workers at once (default two per worker);
    ``stats``, if given, receives the pipeline's counts (rows, batches, peak in flight,
    signatures checked in this process, worker failures)."""
    report = Report()
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if since and workers > 1 and app.size() - since <= sigbatch.BATCH:
        workers = 1  # the nightly's few new rows: starting workers would cost more
    pool = worker_pool(workers, app.engine)  # before any connection of this verify is open
    try:
        with snapshot(app.engine) as conn:
            sizes = {checkpoint_size(checkpoint), *map(receipt_position, receipts)}
            v, pipe = _scan(conn, app.events_table, report, sizes - {None}, since,
                            since_hash, pool, 2 * workers if max_in_flight is None
                            else max_in_flight, progress)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    if stats is not None:
        stats.update(pipe.stats, checked_here=v.checked_here)
    report.head_hash = v.last.hex()
    report.root_hash = v.tree.root().hex()
    report.size, report.stored_head = v.n, v.stored_previous
    report.ledger_id = v.ledger_id
    report.origin = origin(v.partnership or "", v.ledger_id) if v.ledger_id else ""
    evidence_problems(v, since, checkpoint, receipts)
    report.apply_acknowledgements()
    return report


def _scan(conn: Connection, t: Table, report: Report, sizes: set[int], since: int,
          since_hash: bytes | None, pool: Any, max_in_flight: int,
          progress: Callable[[int], None] | None) -> tuple[Verifier, Pipeline]:
    """Every read of one verify, inside one snapshot."""
    # On SQLite the snapshot is taken by the first read: this one.
    head = conn.execute(select(raw(head_table.c.position),
                               raw(head_table.c.chain_hash))).first()
    keep = {s for s in claimed_sizes(conn, t) if s >= since}
    keep |= sizes  # the outside evidence's (checkpoint, receipts)
    v = Verifier(report, keep)
    start_id = seed(conn, t, v, since, since_hash) if since else 0
    pipe = Pipeline(v, pool, max_in_flight, progress)
    # A column the stored table lacks (a copy of a ledger made before it existed, opened
    # read-only so nothing adds it) reads as NULL.
    present = stored_columns(conn, t)
    columns = [raw(t.c[name]) if name in present else null().label(name) for name in COLUMNS]
    pipe.run(chain.from_iterable(driver_pages(conn, t, columns, start_id)))
    report.events_checked += pipe.stats["rows"]
    head_problems(v, head)
    report.acknowledgements = acknowledgements(conn, t)
    return v, pipe
