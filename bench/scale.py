#!/usr/bin/env python
"""Issue 13's table: how each whole-ledger command grows from one ledger size to another,
on SQLite and PostgreSQL.

    python bench/scale.py [--sizes 200000,1000000] [--databases sqlite,postgres]
                          [--cases 2000] [--postgres-url URL] [--startup-repeat 3]
                          [--timeout S] [--drop-postgres] [--json]

For each size, the ledger of ``build_ledger.py`` (built once, reused; the same ``--cases``
at every size, so the sizes differ in history, not in open clocks) and, for PostgreSQL, a
copy of its rows into a database of its own (``bench/_postgres.py``: copied once, kept as
a template). On a fresh working copy, each command runs as the real ``cspr`` in its own
process, in this order:

1. ``cspr verify`` (full);
2. the first ``cspr jobs nightly``, as of yesterday (read models built from nothing);
3. ``cspr projections rebuild``;
4. 100 agency returns over 100 open cases, recorded now (through ``Writer.append``, not
   timed), then ``cspr jobs nightly`` as of today: the whole command;
5. ``cspr --help`` (wall), and ``cspr case list`` under ``python -X importtime``: the sum
   of its top-level imports (a read command's imports, the lazy ones included; the
   measure's own overhead too), each ``--startup-repeat`` times: the median, the
   largest peak RSS.

Each: wall seconds and peak RSS (the kernel's ``maxrss`` of the command's process, from
``os.wait4`` in a small spawner process, ``_common.own_peak``, so that this bench's own
size is not every command's floor; ``tree`` is the largest sum over the command and its workers, sampled from
/proc: ``bench/memory.py``'s machinery), and the growth exponent between the smallest and
the largest size, log(y2/y1) / log(n2/n1) with n the ledger's events. Targets (issue 13):
every peak RSS flat (exponent < 0.15); verify's signatures per second at least 0.8 x the
raw Ed25519 verify rate (measured in this run, one core) x the cores; the nightly after
100 new events under 2 s at the largest size; ``--help`` under 0.3 s and a read command's
start-up under 0.5 s. Report only: nothing asserts. The nightlies use the real clock (the
``cspr`` command has no other), so the first nightly's work depends on the date it runs.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, str(_ROOT))
# Its made-up actors' keys are sealed under a made-up passphrase: a bench runs unattended.
os.environ.setdefault("CSPR_KEY_PASSPHRASE", "bench made-up passphrase")

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench import _postgres as pg  # noqa: E402
from bench._common import (  # noqa: E402
    OUT, ROOT, Progress, copy_home, finish, machine, own_peak, read_own_peak, table, verdict,
    wait_measured, warn_if_loaded)
from bench.build_ledger import append_new_events, ensure_ledger  # noqa: E402
from bench.memory import _env as cspr_env, cspr, measure  # noqa: E402
from ledger.app import LedgerApplication  # noqa: E402
from service.home import Home  # noqa: E402

MEMORY_EXPONENT = 0.15
VERIFY_SHARE = 0.8
NIGHTLY_AFTER_S = 2.0
HELP_S = 0.3
READ_START_S = 0.5
VERIFY, FIRST, REBUILD, SECOND = ("full verify", "first jobs nightly", "projections rebuild",
                                  "jobs nightly after 100 new events")
HELP, READ = "cspr --help", "cspr case list: its imports"
MEASURES = (VERIFY, FIRST, REBUILD, SECOND, HELP, READ)


def raw_verify_rate(seconds: float = 1.5) -> float:
    """Ed25519 verifications per second on one core, of a ledger-sized message."""
    key = Ed25519PrivateKey.generate()
    message = bytes(range(232))  # a signed event's canonical bytes are about this long
    signature, public = key.sign(message), key.public_key()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in range(100):
            public.verify(signature, message)
        n += 100
    return n / (time.perf_counter() - t0)


def _work(built: Any, db: str, args: argparse.Namespace,
          progress: Progress) -> tuple[Path, str | None]:
    """A fresh working home (and database URL, for PostgreSQL) for one cell."""
    root = OUT / "work" / f"scale-{built.name}-{db}"
    if db == "sqlite":
        return copy_home(built.home_root, root), None
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    shutil.copytree(built.home_root / "keys", root / "keys")
    template = pg.ensure_copy(built.key, built.home_root, args.postgres_url, progress)
    return root, pg.working_copy(args.postgres_url, template,
                                 pg.database_name(built.key, "_w"))


def _signed_heads(url: str) -> int:
    """Transactions' signed heads: verify checks one more signature for each."""
    app = LedgerApplication(url, None, read_only=True)
    try:
        t = app.events_table
        with app.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(t)
                                .where(t.c.head_signature.is_not(None))).scalar_one()
    finally:
        app.close()


def run_own(argv: list[str], report: Path, timeout: float | None = None) -> dict[str, Any]:
    """``bench/memory.py``'s measure, the command started by a small spawner process
    (``_common.own_peak``): its own peak RSS and wall time, not this bench's size."""
    report.unlink(missing_ok=True)
    r = measure(own_peak(argv, report), timeout)
    own = read_own_peak(report)
    r["maxrss_mb"], r["seconds"] = own if own else (None, r["seconds"])
    return r


def imports_of(argv: list[str], log: Path) -> dict[str, Any]:
    """Run ``argv`` (a ``cspr`` command line) under ``-X importtime``: its exit, peak RSS
    and, as ``seconds``, the sum of its top-level imports' cumulative times (the lazy
    ones a command makes as it runs included; importtime's own overhead too)."""
    t0 = time.perf_counter()
    report = log.with_suffix(".peak")
    with open(log, "wb") as err:
        proc = subprocess.Popen(own_peak([argv[0], "-X", "importtime", *argv[1:]], report),
                                cwd=ROOT, env=cspr_env(), stdout=subprocess.DEVNULL,
                                stderr=err)
        wait_measured(proc, t0, None)
    total = 0
    for line in log.read_text(errors="replace").splitlines():
        parts = line.split("|")
        # "import time: self | cumulative | name", nested imports indented under theirs
        if len(parts) == 3 and not parts[2].startswith("  ") and parts[1].strip().isdigit():
            total += int(parts[1])
    own = read_own_peak(report)
    return {"exit": proc.returncode, "seconds": round(total / 1e6, 3),
            "maxrss_mb": own[0] if own else None, "tree_peak_mb": None}


def _startup(root: Path, argv: tuple[str, ...], repeat: int) -> dict[str, Any]:
    if "case" in argv:
        runs = [imports_of(cspr(root, *argv), root / "importtime.log")
                for _ in range(repeat)]
    else:
        runs = [run_own(cspr(root, *argv), root / "startup.peak") for _ in range(repeat)]
    return {"exit": next((r["exit"] for r in runs if r["exit"] != 0), 0),
            "seconds": round(statistics.median(r["seconds"] for r in runs), 3),
            "maxrss_mb": max(r["maxrss_mb"] or 0 for r in runs) or None,
            "tree_peak_mb": max(r["tree_peak_mb"] or 0 for r in runs) or None,
            "runs": [r["seconds"] for r in runs]}


def cell(built: Any, db: str, args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    """Every measure on one ledger size and database."""
    root, url = _work(built, db, args, progress)
    db_args = ("--db", url) if url else ()
    home = Home(root, url)
    out: dict[str, Any] = {"events": built.meta["ledger_size"],
                           "signed_heads": _signed_heads(home.url), "measures": {}}
    today = datetime.now(timezone.utc).date()
    steps = [(VERIFY, ("verify",)),
             (FIRST, ("jobs", "nightly", "--as-of", (today - timedelta(days=1)).isoformat())),
             (REBUILD, ("projections", "rebuild"))]
    for label, argv in steps:
        r = out["measures"][label] = run_own(cspr(root, *db_args, *argv),
                                             root / "command.peak", args.timeout)
        progress(f"{db} {out['events']}: {label}: exit {r['exit']}, {r['seconds']} s, "
                 f"maxrss {r['maxrss_mb']} MB, tree {r['tree_peak_mb']} MB")
    app = home.open()
    try:
        append_new_events(app, home, built.meta["seed"], built.meta["cases"], 100, 100,
                          datetime.now(timezone.utc))
    finally:
        app.close()
    r = out["measures"][SECOND] = run_own(
        cspr(root, *db_args, "jobs", "nightly", "--as-of", today.isoformat()),
        root / "command.peak", args.timeout)
    progress(f"{db} {out['events']}: {SECOND}: exit {r['exit']}, {r['seconds']} s, "
             f"maxrss {r['maxrss_mb']} MB")
    out["measures"][HELP] = _startup(root, (*db_args, "--help"), args.startup_repeat)
    out["measures"][READ] = _startup(root, (*db_args, "case", "list"), args.startup_repeat)
    progress(f"{db} {out['events']}: start-up: --help {out['measures'][HELP]['seconds']} s, "
             f"case list's imports {out['measures'][READ]['seconds']} s")
    if url:
        pg.drop(args.postgres_url, pg.database_name(built.key, "_w"))
        if (root / "ledger.sqlite").exists():  # a command ran without --db: not measured
            raise RuntimeError("a PostgreSQL measure opened the home's SQLite file")
    return out


def exponent(y1: float | None, y2: float | None, n1: int, n2: int) -> float | None:
    if y1 is None or y2 is None or min(y1, y2) <= 0 or n1 == n2:
        return None
    return round(math.log(y2 / y1) / math.log(n2 / n1), 3)


def _target(label: str, big: dict[str, Any], m: dict[str, Any],
            ceiling: float) -> tuple[str, bool] | None:
    """The measure's own target at the largest size, if it has one: (text, met)."""
    s = m["seconds"]
    if label == VERIFY:
        rate = (big["events"] + big["signed_heads"]) / s
        return (f"{rate:,.0f} sig/s >= {ceiling:,.0f}", rate >= ceiling)
    limit = {SECOND: NIGHTLY_AFTER_S, HELP: HELP_S, READ: READ_START_S}.get(label)
    return None if limit is None else (f"{s:.2f} s < {limit:g} s", s < limit)


def rows_of(out: dict[str, Any]) -> list[dict[str, Any]]:
    ceiling = VERIFY_SHARE * out["raw_verify_per_s"] * out["cores"]
    rows = []
    for db, cells in out["results"].items():
        sizes = list(cells.values())
        small, big = sizes[0], sizes[-1]
        for label in MEASURES:
            ms = [c["measures"][label] for c in sizes]
            failed = [m["exit"] for m in ms if m["exit"] != 0]
            n1, n2 = small["events"], big["events"]
            rss = exponent(ms[0]["maxrss_mb"], ms[-1]["maxrss_mb"], n1, n2)
            target = _target(label, big, ms[-1], ceiling)
            met = [rss is not None and rss < MEMORY_EXPONENT] + ([target[1]] if target else [])
            rows.append({
                "database": db, "measure": label,
                "sizes": [{"events": c["events"], "seconds": m["seconds"],
                           "maxrss_mb": m["maxrss_mb"], "tree_peak_mb": m["tree_peak_mb"],
                           "exit": m["exit"]} for c, m in zip(sizes, ms)],
                "wall_exponent": exponent(ms[0]["seconds"], ms[-1]["seconds"], n1, n2),
                "rss_exponent": rss, "target": target[0] if target else "",
                "verdict": f"FAIL (exit {failed[0]})" if failed else verdict(all(met))})
    return rows


def run(args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    warn_if_loaded(progress)
    out: dict[str, Any] = {"machine": machine(), "cores": os.cpu_count() or 1,
                           "cases": args.cases, "results": {}}
    progress("raw Ed25519 verify rate, one core ...")
    out["raw_verify_per_s"] = round(raw_verify_rate(), 1)
    built = [ensure_ledger(n, args.cases, args.big_case_events, args.seed, args.workers,
                           progress=progress) for n in args.sizes]
    for db in args.databases:
        out["results"][db] = {str(b.meta["ledger_size"]): cell(b, db, args, progress)
                              for b in built}
    if args.drop_postgres and "postgres" in args.databases:
        for b in built:
            pg.drop(args.postgres_url, pg.database_name(b.key))
    out["rows"] = rows_of(out)
    return out


def render(out: dict[str, Any]) -> str:
    m = out["machine"]
    ceiling = VERIFY_SHARE * out["raw_verify_per_s"] * out["cores"]
    sizes = out["rows"][0]["sizes"]
    header = ["db", "measure", *[f"{s['events']:,} ev: s / MB" for s in sizes],
              "wall exp", "RSS exp", "target (largest)", "verdict"]
    body = [[r["database"], r["measure"],
             *[f"{s['seconds']:.2f} / {s['maxrss_mb'] or 0:.0f}" for s in r["sizes"]],
             "" if r["wall_exponent"] is None else f"{r['wall_exponent']:.2f}",
             "" if r["rss_exponent"] is None else f"{r['rss_exponent']:.2f}",
             r["target"], r["verdict"]] for r in out["rows"]]
    return "\n".join([
        f"cspr-ledger scale bench: {out['cores']} CPUs, Python {m['python']}, SQLAlchemy "
        f"{m['sqlalchemy']}, load {m['loadavg_at_start']} at start; {out['cases']:,} cases "
        f"at every size",
        f"raw Ed25519 verify {out['raw_verify_per_s']:,.0f}/s on one core: verify target "
        f"{VERIFY_SHARE} x that x {out['cores']} = {ceiling:,.0f} signatures/s",
        f"verdict: peak RSS exponent < {MEMORY_EXPONENT} and the target, if any; s = wall "
        "seconds, MB = maxrss of the command's process", "",
        table(header, body, "ll" + "r" * (len(sizes) + 2) + "ll"), "",
        f"total run time {out['total_seconds']} s"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                        default=[200_000, 1_000_000],
                        help="events of the built ledgers, two or more (default "
                             "200000,1000000)")
    parser.add_argument("--databases", type=lambda s: [x for x in s.split(",") if x],
                        default=["sqlite", "postgres"],
                        help="sqlite, postgres or both (default both)")
    parser.add_argument("--cases", type=int, default=2_000,
                        help="generated cases at every size (default 2,000)")
    parser.add_argument("--big-case-events", type=int, default=1_000,
                        help="the built ledgers' extra big case (default 1,000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--workers", type=int, default=None,
                        help="builder processes (default min(4, CPUs))")
    parser.add_argument("--postgres-url", default=pg.DEFAULT_ADMIN_URL,
                        help="a database on the server where the copies are made "
                             f"(default {pg.DEFAULT_ADMIN_URL})")
    parser.add_argument("--drop-postgres", action="store_true",
                        help="drop the PostgreSQL copies afterwards (default: kept, reused)")
    parser.add_argument("--startup-repeat", type=int, default=3,
                        help="runs of each start-up measure; the median counts (default 3)")
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="kill a command still running after this many seconds")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if len(args.sizes) < 2 or sorted(set(args.sizes)) != args.sizes:
        parser.error("--sizes needs two or more sizes, smallest first")
    if not args.databases or set(args.databases) - {"sqlite", "postgres"}:
        parser.error("--databases: sqlite, postgres or both")
    if args.startup_repeat < 1 or args.cases < 1:
        parser.error("--startup-repeat and --cases must be positive")
    return finish(run, args, render)


if __name__ == "__main__":
    sys.exit(main())
