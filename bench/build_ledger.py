#!/usr/bin/env python
"""Build, or reuse, a generated ledger for the projection and nightly benches.

    python bench/build_ledger.py [--events N] [--cases C] [--big-case-events B]
                                 [--seed S] [--workers W] [--force] [--postgres [URL]]
                                 [--json]

Writes under ``bench/out/ledgers/<key>/`` (git-ignored), keyed by the parameters: a home
(keys + ``ledger.sqlite``) holding the usual test actors (bu1, p1, scrut, ldc, rev, ag1,
system), ``C`` generated cases totalling ``N`` events (default 200,000 over 2,000), and one
more case of ``B`` events (default 1,000) for the as-of replay. A later call with the same
parameters reuses it; benches work on copies.

Everything goes through the product's write path: ``make_intent`` (validation) then
``Writer.append`` (authorisation, rules, sealing, Ed25519 signing, chaining), one
transaction per generated case, as ``tests.helpers.write_generated`` does. ``W`` worker
processes (default: min(4, CPUs)) append different cases to the same SQLite file at once,
which the ledger supports (the head-row write lock serialises the chain).

Cases come from ``tests.generator.case_steps`` with one seeded RNG *per case*, so the
case's procedure path, prefix and date shift do not depend on ``extra``: two ledgers built
with the same seed and number of cases hold the same cases with the same clocks, and differ
only in their extra working events (agency returns, chronology entries, action updates).
That is what lets the nightly bench compare ledgers of different history at equal open
clocks. ``extra`` is spread over the cases to reach ``N`` exactly.

``--postgres`` also copies the built ledger's rows into a PostgreSQL database of its own
(``bench/_postgres.py``), once, and prints its URL; ``cspr verify --db URL`` checks it.

Recorded times come from a fixed, explicit clock (no freezegun): setup on Mon 2 Nov 2026
at 06:00Z, case ``n`` at 07:00Z + n seconds, the big case in chunks of 100 events a minute
apart after that. Occurred dates run to 31 Oct 2026 (the generator's latest).
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import multiprocessing
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

_ROOT = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, str(_ROOT))
# Its made-up actors' keys are sealed under a made-up passphrase: a bench runs unattended.
os.environ.setdefault("CSPR_KEY_PASSPHRASE", "bench made-up passphrase")

from sqlalchemy import func, select, text  # noqa: E402

from bench._common import CHEAP_KEYS, OUT, Progress, table  # noqa: E402
from ledger.app import LedgerApplication  # noqa: E402
from ledger.signing import Signer  # noqa: E402
from service import actors  # noqa: E402
from service.actors import load_actor_signer  # noqa: E402
from service.home import Home  # noqa: E402
from service.writer import Writer, make_intent  # noqa: E402
from tests.generator import _shift, case_steps  # noqa: E402
from tests.helpers import ACTORS  # noqa: E402
from tests.scenario import data  # noqa: E402

FORMAT = 1  # bump when the recipe changes: old builds are then ignored, not reused
# What a stored ledger's bytes depend on: a build is reused only while these files are
# unchanged (a change to the event format or the schema would make an old build misleading:
# say, a new index that only fresh databases get). Other engineers edit them: rebuilding
# takes under a minute at the default size.
FORMAT_FILES = ("ledger/schema.py", "ledger/storage.py", "ledger/mapper.py", "ledger/chain.py",
                "ledger/canonical.py", "ledger/envelope.py", "ledger/signing.py",
                "domain/catalogue.py", "domain/events.py", "domain/streams.py",
                "tests/generator.py", "tests/scenario.py", "tests/domain/examples.py",
                "bench/build_ledger.py")
PARTNERSHIP = "Benchshire Safeguarding Partnership"
UTC = timezone.utc
SETUP_AT = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
CASES_AT = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
SHIFT_RANGE = (-420, 15)  # tests.generator.generate: latest 31 Oct 2026, paths end 16 Oct
BIG_CHUNK = 100
LONG_PATH = 30  # the big case follows at least this many procedure steps before extras

# The days the benches play out after the build: a first nightly run, new events during
# the day, and a second nightly run the next night.
FIRST_NIGHT = date(2026, 11, 3)
NEW_EVENTS_AT = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
SECOND_NIGHT = date(2026, 11, 4)

Step = tuple[str, str, dict[str, Any], str]


def nightly_instant(day: date) -> datetime:
    """When cron runs the nightly job for ``day``: 01:30 UTC (as ``cspr demo`` does)."""
    return datetime(day.year, day.month, day.day, 1, 30, tzinfo=UTC)


# --- the plan: which cases, how many events ----------------------------------------------


def _rng(seed: int, *key: Any) -> random.Random:
    return random.Random("/".join(["cspr-bench", str(seed), *map(str, key)]))


def case_ref(seed: int, n: int) -> str:
    return f"G-{seed}-{n:05d}"


def case_plan(seed: int, n: int, extra: int) -> tuple[str, list[Step]]:
    """Case ``n``: the generator's steps for it, dates shifted as ``generate`` does."""
    steps = case_steps(_rng(seed, n), extra)
    shift = _rng(seed, n, "shift").randint(*SHIFT_RANGE)
    return case_ref(seed, n), [(actor, t, _shift(data(t, **o), shift), _shift(occ, shift))
                               for actor, t, o, occ in steps]


def big_case_plan(seed: int, events: int) -> tuple[str, list[Step]]:
    """A case of ``events`` events that walks most of the LCSPR path (so it has many
    clocks, actions and a review) before its extra working events."""
    k = 0
    while len(case_steps(_rng(seed, "big", k), 0)) < min(LONG_PATH, events):
        k += 1
    base = len(case_steps(_rng(seed, "big", k), 0))
    steps = case_steps(_rng(seed, "big", k), max(0, events - base))
    shift = _rng(seed, "big", k, "shift").randint(*SHIFT_RANGE)
    return f"BIG-{seed}-{events}", [(actor, t, _shift(data(t, **o), shift),
                                     _shift(occ, shift)) for actor, t, o, occ in steps]


def extras(seed: int, cases: int, events: int) -> tuple[list[int], int]:
    """Extra events per case so that the ``cases`` cases hold ``events`` in all (or as
    close as their procedure steps allow), and the number of procedure steps."""
    base = sum(len(case_steps(_rng(seed, n), 0)) for n in range(cases))
    q, r = divmod(max(0, events - base), cases)
    return [q + (1 if n < r else 0) for n in range(cases)], base


def open_cases(seed: int, cases: int) -> list[int]:
    """Cases not closed (a closed case takes only action and report events)."""
    return [n for n in range(cases)
            if not any(s[1] == "case-closed" for s in case_steps(_rng(seed, n), 0))]


def intents_of(ref: str, steps: list[Step], now: datetime) -> list[Any]:
    return [make_intent(t, ref, payload, occurred, actor, now)
            for actor, t, payload, occurred in steps]


# --- writing ----------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _signers(home: Home) -> dict[str, Signer]:
    return {a: load_actor_signer(home, a) for a in [*ACTORS, "system"]}


def _append(app: LedgerApplication, signers: dict[str, Signer], ref: str,
            steps: list[Step], at: datetime) -> int:
    batch = intents_of(ref, steps, at)
    Writer(app, lambda: at).append(batch, {i.actor: signers[i.actor] for i in batch})
    return len(batch)


def _worker_init(root: str) -> None:
    home = Home(Path(root))
    _WORKER.update(app=home.open(), signers=_signers(home))


def _worker_chunk(job: tuple[int, list[tuple[int, int]]]) -> tuple[int, int, float]:
    seed, chunk = job
    c0 = time.process_time()
    events = 0
    for n, extra in chunk:
        ref, steps = case_plan(seed, n, extra)
        events += _append(_WORKER["app"], _WORKER["signers"], ref, steps,
                          CASES_AT + timedelta(seconds=n))
    return len(chunk), events, time.process_time() - c0


def _setup(home: Home) -> None:
    actors.init_ledger(home, PARTNERSHIP, clock=lambda: SETUP_AT)
    app = home.open()
    for i, (name, roles) in enumerate(ACTORS.items()):
        at = SETUP_AT + timedelta(minutes=1 + i)
        actors.add_actor(app, home, name, roles, clock=lambda at=at: at)
    app.close()


def _chunks(seed: int, per_case: list[int],
            size: int) -> Iterator[tuple[int, list[tuple[int, int]]]]:
    jobs = list(enumerate(per_case))
    for i in range(0, len(jobs), size):
        yield seed, jobs[i:i + size]


def _build(root: Path, events: int, cases: int, big: int, seed: int, workers: int,
           progress: Callable[[str], None]) -> dict[str, Any]:
    home = Home(root)
    t_start = time.perf_counter()
    _setup(home)
    app = home.open()
    setup_size = app.size()
    app.close()
    per_case, base = extras(seed, cases, events)
    progress(f"build: {cases} cases, {base} procedure steps + {sum(per_case)} extra events "
             f"(extra {min(per_case)}..{max(per_case)} per case), {workers} worker "
             f"process(es)")
    written = done = 0
    cpu = 0.0
    t0 = time.perf_counter()
    last = t0
    jobs = _chunks(seed, per_case, 10)
    if workers <= 1:
        _worker_init(str(root))
        results: Iterator[tuple[int, int, float]] = map(_worker_chunk, jobs)
        pool = None
    else:
        # Each worker opens its own connections; the parent holds none when it forks
        # (_setup closed its applications, and ledger.storage closes idle pooled
        # connections before any fork): an inherited SQLite connection is what lost the
        # last transaction of every worker at 1M events (issue 8, finding 8).
        pool = multiprocessing.get_context("fork").Pool(
            workers, initializer=_worker_init, initargs=(str(root),))
        results = pool.imap_unordered(_worker_chunk, jobs)
    try:
        for n_cases, n_events, n_cpu in results:
            done, written, cpu = done + n_cases, written + n_events, cpu + n_cpu
            now = time.perf_counter()
            if now - last >= 10 or done == cases:
                last = now
                rate = written / (now - t0)
                eta = (sum(per_case) + base - written) / rate if rate else 0
                progress(f"build: {done}/{cases} cases, {written} events, "
                         f"{rate:.0f} events/s, ETA {eta:.0f} s")
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        _WORKER.clear()
    case_seconds = time.perf_counter() - t0

    app = home.open()
    signers = _signers(home)
    big_ref, big_steps = big_case_plan(seed, big)
    t1 = time.perf_counter()
    big_at = CASES_AT + timedelta(seconds=cases + 60)
    chunk_instants = []
    for j in range(0, len(big_steps), BIG_CHUNK):
        at = big_at + timedelta(minutes=j // BIG_CHUNK)
        _append(app, signers, big_ref, big_steps[j:j + BIG_CHUNK], at)
        chunk_instants.append(at.isoformat())
    big_seconds = time.perf_counter() - t1
    progress(f"build: big case {big_ref}: {len(big_steps)} events in "
             f"{len(chunk_instants)} transactions, {big_seconds:.1f} s")
    with app.engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        by_case = conn.execute(
            select(func.count()).select_from(app.events_table)
            .where(app.events_table.c.case_ref == big_ref)).scalar_one()
    size = app.size()
    app.close()
    acknowledged = setup_size + written + len(big_steps)
    if size != acknowledged:
        # Every append above returned receipts: a shortfall is a lost acknowledged write.
        raise RuntimeError(f"the ledger holds {size} events but {acknowledged} were "
                           "acknowledged")
    total_seconds = time.perf_counter() - t_start
    db = root / "ledger.sqlite"
    return {
        "format": FORMAT, "events_param": events, "cases": cases, "seed": seed,
        "workers": workers, "ledger_size": size, "generated_events": written,
        "procedure_steps": base, "extra_per_case": [min(per_case), max(per_case)],
        "big_case": {"ref": big_ref, "events": by_case, "chunks": chunk_instants,
                     "recorded_from": chunk_instants[0], "recorded_to": chunk_instants[-1]},
        "case_write_seconds": round(case_seconds, 2),
        "case_write_events_per_s": round(written / case_seconds, 1),
        "worker_cpu_us_per_event": round(cpu / written * 1e6, 1) if written else None,
        "big_case_seconds": round(big_seconds, 2),
        "total_seconds": round(total_seconds, 1),
        "db_bytes": db.stat().st_size,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


@dataclass
class Built:
    key: str
    home_root: Path
    meta: dict[str, Any]
    reused: bool

    @property
    def name(self) -> str:
        """The key without the code fingerprint: stable names for working copies."""
        return self.key.rsplit("-", 1)[0]

    @property
    def big_ref(self) -> str:
        return self.meta["big_case"]["ref"]


def fingerprint() -> str:
    h = hashlib.sha256()
    for name in FORMAT_FILES:
        h.update(name.encode() + b"\0" + (_ROOT / name).read_bytes() + b"\0")
    return h.hexdigest()[:10]


def key_of(events: int, cases: int, big: int, seed: int) -> str:
    cheap = "-cheapkeys" if CHEAP_KEYS else ""
    return f"e{events}-c{cases}-b{big}-s{seed}{cheap}-v{FORMAT}-{fingerprint()}"


def _prune_stale(folder: Path, key: str, progress: Callable[[str], None]) -> None:
    """Drop builds of the same parameters made from older code (each is ~1 KB/event)."""
    prefix = key.rsplit("-", 1)[0] + "-"
    for old in folder.parent.glob(prefix + "*"):
        if old.name != key and old.is_dir():
            progress(f"removing {old.name}: built by an older version of the format files")
            shutil.rmtree(old)
    for lock in folder.parent.glob(f".{prefix}*.lock"):
        if lock.name != f".{key}.lock":
            lock.unlink(missing_ok=True)


def ensure_ledger(events: int = 200_000, cases: int = 2_000, big: int = 1_000,
                  seed: int = 1, workers: int | None = None, force: bool = False,
                  progress: Callable[[str], None] | None = None) -> Built:
    """The built ledger for these parameters, building it first if needed."""
    progress = progress or Progress()
    if events < 0 or cases < 1 or big < 1:
        raise ValueError("--events must be >= 0, --cases and --big-case-events >= 1")
    workers = workers or min(4, os.cpu_count() or 1)
    key = key_of(events, cases, big, seed)
    folder = OUT / "ledgers" / key
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder per key; others wait, then reuse
        meta_path = folder / "meta.json"
        if meta_path.exists() and not force:
            meta = json.loads(meta_path.read_text())
            progress(f"reusing {folder.relative_to(OUT.parent.parent)} "
                     f"({meta['ledger_size']} events, built in {meta['total_seconds']} s)")
            return Built(key, folder / "home", meta, True)
        _prune_stale(folder, key, progress)
        tmp = folder.parent / f".building-{key}"
        for path in (tmp, folder):
            if path.exists():
                shutil.rmtree(path)
        tmp.mkdir()
        progress(f"building {key} under {folder.parent} ...")
        meta = _build(tmp / "home", events, cases, big, seed, workers, progress)
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
        tmp.rename(folder)
        progress(f"built {meta['ledger_size']} events in {meta['total_seconds']} s "
                 f"(cases at {meta['case_write_events_per_s']:.0f} events/s)")
        if meta["total_seconds"] > 480:
            progress("note: the build took more than 8 minutes; smaller runs: "
                     "--events/--cases")
        return Built(key, folder / "home", meta, False)


# --- the new events the benches append between two measurements --------------------------


def append_new_events(app: LedgerApplication, home: Home, seed: int, cases: int,
                      count: int = 100, spread: int | None = None,
                      at: datetime = NEW_EVENTS_AT) -> dict[str, Any]:
    """``count`` agency returns, one per transaction, as users record them during a day,
    over ``spread`` (default ``count``) distinct open generated cases, chosen the same way
    whatever the ledger's history (same seed and cases: same targets)."""
    spread = min(spread or count, count)
    candidates = open_cases(seed, cases)
    targets = _rng(seed, "new").sample(candidates, min(spread, len(candidates)))
    signers = {"ag1": load_actor_signer(home, "ag1")}
    for i in range(count):
        ref = case_ref(seed, targets[i % len(targets)])
        now = at + timedelta(seconds=i)
        intent = make_intent("agency-information-received", ref,
                             data("agency-information-received", completed_by=f"new officer {i}"),
                             now.date().isoformat(), "ag1", now)
        Writer(app, lambda now=now: now).append([intent], signers)
    return {"events": count, "cases": len(targets), "recorded_from": at.isoformat()}


# --- command line -------------------------------------------------------------------------


def add_ledger_options(parser: argparse.ArgumentParser, events: int = 200_000,
                       cases: int = 2_000) -> None:
    parser.add_argument("--events", type=int, default=events,
                        help=f"events over the generated cases (default {events:,})")
    parser.add_argument("--cases", type=int, default=cases,
                        help=f"generated cases (default {cases:,})")
    parser.add_argument("--big-case-events", type=int, default=1_000,
                        help="events of the extra case for the as-of replay (default 1,000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--workers", type=int, default=None,
                        help="builder processes (default min(4, CPUs))")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_ledger_options(parser)
    parser.add_argument("--force", action="store_true", help="rebuild even if it exists")
    parser.add_argument("--postgres", metavar="URL", nargs="?", const="default",
                        help="also copy the ledger into a PostgreSQL database of its own on "
                             "this server (bench/_postgres.py; default "
                             "postgresql+psycopg://postgres@127.0.0.1:5432/postgres), or "
                             "reuse the copy")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    progress = Progress()
    built = ensure_ledger(args.events, args.cases, args.big_case_events, args.seed,
                          args.workers, args.force, progress)
    out = {"key": built.key, "home": str(built.home_root), "reused": built.reused,
           **built.meta}
    if args.postgres:
        from bench import _postgres as pg

        admin = pg.DEFAULT_ADMIN_URL if args.postgres == "default" else args.postgres
        out["postgres_url"] = pg.url_for(admin, pg.ensure_copy(built.key, built.home_root,
                                                               admin, progress))
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    m = built.meta
    rows = [
        ["ledger", str(built.home_root)],
        ["events in ledger (setup + cases + big case)", m["ledger_size"]],
        ["generated cases / their events", f"{m['cases']} / {m['generated_events']}"],
        ["extra events per case", "..".join(map(str, m["extra_per_case"]))],
        ["big case", f"{m['big_case']['ref']}: {m['big_case']['events']} events"],
        ["writer processes", m["workers"]],
        ["case write time (s)", m["case_write_seconds"]],
        ["case write rate (events/s, all processes)", m["case_write_events_per_s"]],
        ["worker CPU per event (us)", m["worker_cpu_us_per_event"]],
        ["total build time (s)", m["total_seconds"]],
        ["database size (MB)", round(m["db_bytes"] / 1e6, 1)],
        ["reused from an earlier build", built.reused],
    ]
    if args.postgres:  # a template: benches work on CREATE DATABASE .. TEMPLATE copies
        rows.append(["PostgreSQL copy (cspr --db)", out["postgres_url"]])
    print(table(["build", "value"], rows, "lr"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
