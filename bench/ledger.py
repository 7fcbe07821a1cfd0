#!/usr/bin/env python
"""Throughput of the signed, chained ledger against plain eventsourcing, in one run.

    python bench/ledger.py [--events N] [--db-dir DIR] [--per-case K] [--json]

Measures, on SQLite files (a fresh file per measurement, in a temporary directory unless
``--db-dir`` is given, where the files are kept):

1. a plain ``eventsourcing`` Application (eventsourcing-sqlalchemy, same payload): one
   event per save, and 100 events per save (one aggregate with 100 pending events);
2. the signed ledger, same two shapes, at two levels:
   (i)  ``LedgerApplication.save_signed`` with events already validated (the storage
        cost: sealing personal fields, signing, chaining);
   (ii) the service path ``make_intent`` + ``Writer.append`` (validation, authorisation,
        rules, reloading the streams, receipts), one event per call, on short cases and
        on cases of 1,000+ events;
3. ``verify_ledger`` over the ledger built by (ii), with workers=1 and the default;
4. the raw Ed25519 sign and verify rates of this machine (one core, same messages).

Each measurement runs once, after a short warm-up, timed with ``time.perf_counter``.
The write measurements of one shape run *interleaved* (chunks of a few hundred events,
in rotating order), each against its own file: on a VM whose fsync rate swings by 10x
within seconds, back-to-back runs would compare disk weather, not code. CPU time per event
(``time.process_time``) is reported beside the wall-clock rate because it is stable.

Progress goes to stderr; the table (or ``--json``) to stdout. Nothing here asserts on
time: PASS/MISS only compares the measured ratios with the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

# Run as ``python bench/ledger.py`` this file's directory comes first on sys.path, and this
# file is itself called ``ledger``: put the repository root first so that ``ledger`` is the
# package, not this script.
_ROOT = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, str(_ROOT))
# Its made-up actors' keys are sealed under a made-up passphrase: a bench runs unattended.
os.environ.setdefault("CSPR_KEY_PASSPHRASE", "bench made-up passphrase")

from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: E402
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from eventsourcing.application import Application  # noqa: E402
from eventsourcing.domain import Aggregate, event  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from domain.events import EVENT_CLASSES  # noqa: E402
from domain.streams import Case, Stream, stream_id  # noqa: E402
from ledger.app import LedgerApplication  # noqa: E402
from ledger.chain import signed_bytes  # noqa: E402
from ledger.mapper import format_instant  # noqa: E402
from ledger.signing import Signer  # noqa: E402
from ledger.verify import verify_ledger  # noqa: E402
from service import actors  # noqa: E402
from service.home import Home  # noqa: E402
from service.writer import Writer, make_intent  # noqa: E402

BATCH = 100            # events per save in the batch shape
STREAMS = 100          # streams written round-robin by the plain and save_signed runs
WARMUP_SINGLE = 50     # untimed events before each timed single-event run
WARMUP_BATCHES = 2     # untimed batches before each timed batch run
CHUNK_SINGLE = 250     # events per turn when interleaving the single-event runs
CHUNK_BATCH = 10 * BATCH
TARGET_SINGLE = 0.8
TARGET_BATCH = 0.6
TARGET_VERIFY = 0.8
TARGET_SERVICE = 0.5   # issue 13: the service path, whatever the case's length
LONG_CASE = 1000       # events in each long case before the long-case run
LONG_SPREAD = 2000     # events appended per long case in that run

# Realistic payloads (made up): a referral opens each case; agencies then return their
# information (two personal fields, sealed per case) on the case stream.
REFERRAL: dict[str, Any] = {
    "referring_agency": "Agency A",
    "received_on": "2025-12-18",
    "aware_on": "2025-12-18",
    "incident_on": "2025-12-17",
    "harm": "serious_harm",
    "location": "in_area",
    "abuse_or_neglect": "suspected",
    "looked_after": False,
    "child": {"name": "Benchchild Example", "dob": "2015-06-01",
              "address": "1 Example Street, Testtown"},
    "summary": "Made-up summary of a made-up incident, for the benchmark.",
}
AGENCY_INFO: dict[str, Any] = {
    "agency": "Agency B",
    "completed_by": "Officer B, Safeguarding Lead",
    "involvement_from": "2024-01-10",
    "involvement_to": "2025-12-17",
    "nature_of_involvement": "Made-up involvement notes: contacts with the family "
                             "over two years, two referrals, one strategy meeting.",
    "facts_known": "Made-up facts known to the agency about the incident.",
}
EVENT_TYPE = "agency-information-received"
PARTNERSHIP = "Benchshire Safeguarding Partnership"


def now() -> datetime:
    return datetime.now(timezone.utc)


class Progress:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.start:6.1f}s] {message}", file=sys.stderr,
              flush=True)


def result(events: int, seconds: float, cpu: float | None = None,
           **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"events": events, "seconds": round(seconds, 4),
                           "events_per_s": round(events / seconds, 1) if seconds else None}
    if cpu is not None:
        out["cpu_us_per_event"] = round(cpu / events * 1e6, 1)
    return {**out, **extra}


# --- the contenders: each writes its own fresh file ----------------------------------------


class Contender:
    """One write measurement; ``run(start, count)`` writes events [start, start+count)."""

    key = ""
    app: Application

    def warm_up(self) -> None:
        raise NotImplementedError

    def run(self, start: int, count: int) -> None:
        raise NotImplementedError

    def extra(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        self.app.close()


class Batched(Contender):
    """A contender that writes ``batch`` events per save, one save per ``unit``."""

    batch = 1

    def unit(self, u: int) -> None:
        raise NotImplementedError

    def warm_up(self) -> None:
        for u in range(WARMUP_SINGLE if self.batch == 1 else WARMUP_BATCHES):
            self.unit(u)

    def run(self, start: int, count: int) -> None:
        for u in range(start // self.batch, (start + count) // self.batch):
            self.unit(u)


class Record(Aggregate):
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    @event("Noted")
    def note(self, data: dict[str, Any]) -> None:
        self.count += 1


class PlainApp(Application):
    name = "plain"


class Plain(Batched):
    """A plain Application: 100 aggregates, each event carries the same data dict."""

    def __init__(self, key: str, path: Path, batch: int) -> None:
        self.key, self.batch = key, batch
        self.app = PlainApp(env={"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
                                 "SQLALCHEMY_URL": f"sqlite:///{path}"})
        self.records = [Record(f"r{i}") for i in range(STREAMS)]
        self.app.save(*self.records)

    def unit(self, u: int) -> None:
        r = self.records[u % STREAMS]
        for _ in range(self.batch):
            r.note(dict(AGENCY_INFO))
        self.app.save(r)


def signed_ledger(root: Path) -> tuple[LedgerApplication, dict[str, Signer]]:
    """A fresh ledger (init + a business unit and an agency), and their signers."""
    home = Home(root)
    actors.init_ledger(home, PARTNERSHIP)
    app = home.open()
    actors.add_actor(app, home, "bu1", ["business_unit"])
    actors.add_actor(app, home, "ag1", ["agency"])
    return app, {a: actors.load_actor_signer(home, a) for a in ("bu1", "ag1")}


def validated(type_name: str, data: dict[str, Any], actor: str) -> dict[str, Any]:
    """Validated once, outside the timing: save_signed takes pre-validated events."""
    return make_intent(type_name, "BENCH-0", data, None, actor, now()).data


def open_cases(app: LedgerApplication, signers: dict[str, Signer], count: int,
               per_save: int) -> list[Stream]:
    referral = validated("incident-referred", REFERRAL, "bu1")
    cls = EVENT_CLASSES["incident-referred"]
    cases: list[Stream] = []
    pending: list[Stream] = []
    t = now()
    for i in range(count):
        ref = f"BENCH-{i:05d}"
        if not pending:
            t = now()  # one write transaction, one instant (ledger.storage)
        pending.append(Case.open(cls, id=stream_id("case", ref), recorded_at=t,
                                 type="incident-referred", case=ref, data=dict(referral),
                                 occurred_at=format_instant(t), actor="bu1"))
        if len(pending) == per_save or i == count - 1:
            app.save_signed(pending, [signers["bu1"]])
            cases += pending
            pending = []
    return cases


class Signed(Batched):
    """save_signed with pre-validated agency-information-received events on 100 cases."""

    def __init__(self, key: str, root: Path, batch: int) -> None:
        self.key, self.batch = key, batch
        self.app, signers = signed_ledger(root)
        self.info = validated(EVENT_TYPE, AGENCY_INFO, "ag1")
        self.cases = open_cases(self.app, signers, STREAMS, per_save=1 if batch == 1 else STREAMS)
        self.signers = [signers["ag1"]]
        self.cls = EVENT_CLASSES[EVENT_TYPE]

    def unit(self, u: int) -> None:
        case = self.cases[u % STREAMS]
        t = now()  # one write transaction, one instant (ledger.storage)
        for _ in range(self.batch):
            case.append(self.cls, recorded_at=t, type=EVENT_TYPE, case=case.case,
                        data=dict(self.info), occurred_at=format_instant(t), actor="ag1")
        self.app.save_signed([case], self.signers)


    def extra(self) -> dict[str, Any]:
        return {"ledger_size": self.app.size()}


class WriterPath(Contender):
    """make_intent + Writer.append, one event per call, round-robin over the cases.

    Cases are opened first (untimed, 100 per save) so that each ends with about
    ``per_case`` events; each append reloads its actor, case and (absent) review streams
    and reads back its receipt. Signers are loaded once, as a long-running service would
    (the CLI also reads and parses the key file on every record: not counted here).
    """

    key = "writer_single"

    def __init__(self, root: Path, n: int, per_case: int) -> None:
        self.app, signers = signed_ledger(root)
        self.count = max(1, -(-n // per_case))
        self.refs = [c.case for c in open_cases(self.app, signers, self.count, BATCH)]
        self.writer = Writer(self.app)
        self.signers = {"ag1": signers["ag1"]}

    def append(self, i: int) -> None:
        intent = make_intent(EVENT_TYPE, self.refs[i % self.count], AGENCY_INFO, None,
                             "ag1", now())
        self.writer.append([intent], self.signers)

    def warm_up(self) -> None:
        for i in range(WARMUP_SINGLE):
            self.append(self.count - 1 - i % self.count)

    def run(self, start: int, count: int) -> None:
        for i in range(start, start + count):
            self.append(i)

    def extra(self) -> dict[str, Any]:
        return {"cases": self.count, "ledger_size": self.app.size()}

    def close(self) -> None:
        pass  # kept open: verified next


class LongCases(WriterPath):
    """The same service path on long cases: ``LONG_CASE`` events each before the run
    (saved untimed, 100 per save), one case per ``LONG_SPREAD`` events appended, so each
    ends with about LONG_CASE + LONG_SPREAD events: what an append costs on a case years
    old, against the same plain saves."""

    key = "writer_long"

    def __init__(self, root: Path, n: int) -> None:
        self.app, signers = signed_ledger(root)
        self.count = max(1, n // LONG_SPREAD)
        cases = open_cases(self.app, signers, self.count, BATCH)
        info, cls, t = validated(EVENT_TYPE, AGENCY_INFO, "ag1"), EVENT_CLASSES[EVENT_TYPE], now()
        for case in cases:
            for done in range(1, LONG_CASE):
                case.append(cls, recorded_at=t, type=EVENT_TYPE, case=case.case,
                            data=dict(info), occurred_at=format_instant(t), actor="ag1")
                if done % BATCH == 0 or done == LONG_CASE - 1:
                    self.app.save_signed([case], [signers["ag1"]])
                    t = now()
        self.refs = [c.case for c in cases]
        self.writer = Writer(self.app)
        self.signers = {"ag1": signers["ag1"]}

    def close(self) -> None:
        self.app.close()


def interleave(contenders: list[Contender], n: int, chunk: int,
               progress: Progress) -> dict[str, dict[str, Any]]:
    """Run every contender to ``n`` events in turns of ``chunk``, rotating the order."""
    for c in contenders:
        c.warm_up()
    done = {c.key: 0 for c in contenders}
    wall = {c.key: 0.0 for c in contenders}
    cpu = {c.key: 0.0 for c in contenders}
    last, turn = time.perf_counter(), 0
    while any(done[c.key] < n for c in contenders):
        k = turn % len(contenders)
        for c in contenders[k:] + contenders[:k]:
            count = min(chunk, n - done[c.key])
            if count <= 0:
                continue
            t0, c0 = time.perf_counter(), time.process_time()
            c.run(done[c.key], count)
            wall[c.key] += time.perf_counter() - t0
            cpu[c.key] += time.process_time() - c0
            done[c.key] += count
        turn += 1
        if time.perf_counter() - last > 10:
            last = time.perf_counter()
            progress("  " + ", ".join(f"{key} {done[key]}/{n} ({done[key] / wall[key]:.0f}/s)"
                                      for key in done))
    return {c.key: result(done[c.key], wall[c.key], cpu[c.key], **c.extra())
            for c in contenders}


# --- 3. verification and 4. raw Ed25519 --------------------------------------------------


def sample_messages(app: LedgerApplication, limit: int) -> list[tuple[bytes, bytes, bytes]]:
    """(public key, signature, signed message) of real rows, for the raw rates."""
    keys: dict[str, bytes] = {}
    out = []
    for row in app.rows(["originator_id", "originator_version", "topic", "state",
                         "signature", "key_id", "event_type"]):
        _, oid, ver, topic, state, signature, kid, kind = row
        if kind == "actor-registered":
            data = json.loads(bytes(state))["data"]
            keys[data["key_id"]] = bytes.fromhex(data["public_key"])
        if kid in keys and kind == EVENT_TYPE:
            out.append((keys[kid], bytes(signature), signed_bytes(oid, ver, topic, bytes(state))))
        if len(out) >= limit:
            break
    return out


def payload_sizes(app: LedgerApplication) -> dict[str, Any]:
    """Mean stored sizes of the benchmark's event type, to compare with other payloads."""
    t = app.events_table
    with app.engine.connect() as conn:
        state, sealed, count = conn.execute(
            select(func.avg(func.length(t.c.state)), func.avg(func.length(t.c.sealed)),
                   func.count()).where(t.c.event_type == EVENT_TYPE)).one()
    return {"event_type": EVENT_TYPE, "events": count, "mean_state_bytes": round(state or 0),
            "mean_sealed_bytes": round(sealed or 0)}


def verify_run(app: LedgerApplication, workers: int) -> dict[str, Any]:
    t = app.events_table
    with app.engine.connect() as conn:
        heads = conn.execute(select(func.count()).where(
            t.c.head_signature.is_not(None))).scalar_one()
    stats: dict[str, int] = {}
    t0, cpu0, kids0 = time.perf_counter(), time.process_time(), _children_cpu()
    report = verify_ledger(app, workers=workers, stats=stats)
    seconds = time.perf_counter() - t0
    # CPU us/event is this (the main) process's: the serial part. The workers' is apart.
    cpu, kids = time.process_time() - cpu0, _children_cpu() - kids0
    # Each event's signature, plus each write transaction's signed head (one per event
    # when every write is a single record): what the Ed25519 rate is compared with.
    signatures = report.events_checked + heads
    return result(report.events_checked, seconds, cpu, workers=workers,
                  problems=len(report.problems), signed_heads=heads,
                  signatures_per_s=round(signatures / seconds, 1) if seconds else None,
                  workers_cpu_us_per_event=round(kids / report.events_checked * 1e6, 1),
                  batches=stats["batches"], checked_in_main=stats["checked_here"])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # workers, once shut down
    return usage.ru_utime + usage.ru_stime


def _loop(samples: list[Any], fn: Any, seconds: float) -> tuple[int, float]:
    for s in samples[:200]:                          # warm-up
        fn(*s)
    n, t0 = 0, time.perf_counter()
    while True:
        for s in samples:
            fn(*s)
        n += len(samples)
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return n, elapsed


def raw_verify(samples: list[tuple[bytes, bytes, bytes]], seconds: float = 1.5) -> dict[str, Any]:
    keys = {pk: Ed25519PublicKey.from_public_bytes(pk) for pk, _, _ in samples}
    prepared = [(keys[pk], sig, msg) for pk, sig, msg in samples[:500]]
    n, elapsed = _loop(prepared, lambda key, sig, msg: key.verify(sig, msg), seconds)
    return result(n, elapsed, message_bytes=len(prepared[0][2]))


def raw_sign(samples: list[tuple[bytes, bytes, bytes]], seconds: float = 1.0) -> dict[str, Any]:
    key = Ed25519PrivateKey.generate()
    msgs = [(msg,) for _, _, msg in samples[:500]]
    n, elapsed = _loop(msgs, key.sign, seconds)
    return result(n, elapsed, message_bytes=len(msgs[0][0]))


# --- the run -----------------------------------------------------------------------------


def ratio(value: float, reference: float, target: float) -> dict[str, Any]:
    r = value / reference if reference else 0.0
    return {"ratio": round(r, 3), "target": target, "verdict": "PASS" if r >= target else "MISS"}


def run(n: int, db_dir: Path, per_case: int, progress: Progress) -> dict[str, Any]:
    load_at_start = round(os.getloadavg()[0], 2)
    if load_at_start > 0.5:
        progress(f"warning: 1-minute load average is {load_at_start}: other processes "
                 f"share the CPUs and the disk, expect noisy figures")
    m: dict[str, dict[str, Any]] = {}
    n_batch = -(-n // BATCH) * BATCH

    progress(f"single: setting up plain, save_signed and Writer ledgers ({n} events each)")
    writer = WriterPath(db_dir / "writer", n, per_case)
    progress(f"single: long cases of {LONG_CASE} events for the long-case Writer run ...")
    single = [Plain("plain_single", db_dir / "plain-single.db", 1),
              Signed("signed_single", db_dir / "signed-single", 1), writer,
              LongCases(db_dir / "writer-long", n)]
    progress("single: interleaved runs ...")
    m.update(interleave(single, n, CHUNK_SINGLE, progress))
    for c in single:
        c.close()
    progress("single: " + ", ".join(f"{k} {m[k]['events_per_s']:.0f}/s" for k in (
        "plain_single", "signed_single", "writer_single", "writer_long")))

    progress(f"batch: {n_batch} events each, {BATCH} per save ...")
    batch = [Plain("plain_batch", db_dir / "plain-batch.db", BATCH),
             Signed("signed_batch", db_dir / "signed-batch", BATCH)]
    m.update(interleave(batch, n_batch, CHUNK_BATCH, progress))
    for c in batch:
        c.close()
    progress("batch: " + ", ".join(f"{k} {m[k]['events_per_s']:.0f}/s"
                                   for k in ("plain_batch", "signed_batch")))

    app = writer.app
    cpus = os.cpu_count() or 1
    for _ in app.rows(["state"]):   # warm-up: read the ledger once (page cache, statements)
        pass
    for workers in sorted({1, cpus}):
        key = f"verify_w{workers}"
        progress(f"verify_ledger(workers={workers}) over {app.size()} events ...")
        m[key] = verify_run(app, workers)
        progress(f"verify_ledger(workers={workers}): {m[key]['events_per_s']:.0f} events/s, "
                 f"{m[key]['problems']} problems")

    progress("raw Ed25519 sign / verify, one core ...")
    samples = sample_messages(app, 500)
    payload = payload_sizes(app)
    app.close()
    m["raw_sign"] = raw_sign(samples)
    m["raw_verify"] = raw_verify(samples)

    rate = {k: v["events_per_s"] for k, v in m.items()}
    ratios = {
        "single: save_signed / plain": ratio(rate["signed_single"], rate["plain_single"],
                                             TARGET_SINGLE),
        "batch: save_signed / plain": ratio(rate["signed_batch"], rate["plain_batch"],
                                            TARGET_BATCH),
        "single: Writer.append / plain": ratio(rate["writer_single"], rate["plain_single"],
                                               TARGET_SERVICE),
        "single: Writer.append, long cases / plain": ratio(
            rate["writer_long"], rate["plain_single"], TARGET_SERVICE),
    }
    for workers in sorted({1, cpus}):
        ratios[f"verify signatures/s (workers={workers}) / (raw verify x {workers})"] = \
            ratio(m[f"verify_w{workers}"]["signatures_per_s"], rate["raw_verify"] * workers,
                  TARGET_VERIFY)
    return {
        "events": n,
        "machine": {"python": platform.python_version(), "cpus": cpus,
                    "platform": platform.platform(), "loadavg_at_start": load_at_start,
                    **{p: version(p) for p in ("eventsourcing", "eventsourcing-sqlalchemy",
                                               "sqlalchemy", "cryptography")}},
        "payload": payload,
        "measurements": m,
        "ratios": ratios,
    }


LABELS = {
    "plain_single": "plain eventsourcing, 1 event/save",
    "plain_batch": f"plain eventsourcing, {BATCH} events/save",
    "signed_single": "signed: save_signed, 1 event/save",
    "signed_batch": f"signed: save_signed, {BATCH} events/save",
    "writer_single": "signed: make_intent+Writer.append, 1/call",
    "writer_long": f"  the same, cases of {LONG_CASE}+ events",
    "raw_sign": "raw Ed25519 sign, 1 core",
    "raw_verify": "raw Ed25519 verify, 1 core",
}


def table(out: dict[str, Any]) -> str:
    mach = out["machine"]
    lines = [f"cspr-ledger benchmark: {out['events']} events per measurement, SQLite files, "
             f"{mach['cpus']} CPUs, Python {mach['python']}, eventsourcing "
             f"{mach['eventsourcing']}, SQLAlchemy {mach['sqlalchemy']}, cryptography "
             f"{mach['cryptography']}",
             f"signed event: {out['payload']['event_type']}, state {out['payload']['mean_state_bytes']} B"
             f" + sealed personal data {out['payload']['mean_sealed_bytes']} B; 1-minute load "
             f"average at start {mach['loadavg_at_start']}", ""]
    lines.append(f"{'measurement':<44} {'events':>7} {'seconds':>8} {'events/s':>9} "
                 f"{'CPU us/event':>12}")
    lines.append("-" * 84)
    for key, v in out["measurements"].items():
        label = LABELS.get(key) or (f"verify_ledger, workers={v['workers']}, "
                                    f"{v['problems']} problems")
        cpu = v.get("cpu_us_per_event")
        lines.append(f"{label:<44} {v['events']:>7} {v['seconds']:>8.2f} "
                     f"{v['events_per_s']:>9.0f} {'' if cpu is None else cpu:>12}")
    lines += ["", f"{'ratio':<44} {'value':>7} {'target':>8} {'':>9}", "-" * 84]
    for label, r in out["ratios"].items():
        lines.append(f"{label:<44} {r['ratio']:>6.2f}x {'>= ' + format(r['target'], '.1f') + 'x':>8}"
                     f" {r['verdict']:>9}")
    lines += ["", f"total run time {out['total_seconds']} s"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000,
                        help="events per measurement (default 10000)")
    parser.add_argument("--db-dir", type=Path, default=None,
                        help="put (and keep) the SQLite files here instead of a temp dir")
    parser.add_argument("--per-case", type=int, default=20,
                        help="events per case stream in the Writer.append run (default 20)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.events < 1 or args.per_case < 1:
        parser.error("--events and --per-case must be positive")
    progress = Progress()
    with ExitStack() as stack:
        if args.db_dir is None:
            db_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cspr-bench-")))
        else:
            db_dir = args.db_dir.resolve()
            db_dir.mkdir(parents=True, exist_ok=True)
            if any(db_dir.iterdir()):
                parser.error(f"{db_dir} is not empty: each measurement needs a fresh file")
        out = run(args.events, db_dir, args.per_case, progress)
    out["total_seconds"] = round(time.perf_counter() - progress.start, 1)
    progress(f"done in {out['total_seconds']} s")
    print(json.dumps(out, indent=2) if args.json else table(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
