#!/usr/bin/env python
"""Peak memory of the commands that read the whole ledger, at two ledger sizes (issue 8).

    python bench/memory.py [--sizes 200000,1000000] [--cases C] [--home LABEL=DIR ...]
                           [--code DIR] [--import-lines N] [--import-timeout S]
                           [--no-import] [--json]

The issue: "Peak RSS of `projections rebuild`, `verify` and the first nightly at 200k and
1M events: flat within 1.5x. A 100k-line import with a bad last line refused in under
15 s."

For each ledger (built once by ``bench/build_ledger.py`` with the same ``--cases``, so the
sizes differ in history, not in open clocks; or an existing home given with ``--home``),
on a working copy under ``bench/out/work/``, each command runs as the real ``cspr`` in its
own process, in this order:

1. ``cspr verify`` (reads everything, writes nothing);
2. ``cspr jobs nightly --as-of 2026-11-03``: the first run, read models built from
   nothing, every breach and escalation recorded, letters, checkpoint, report;
3. ``cspr projections rebuild``: drop the read models and rebuild them.

Two figures per command: ``maxrss``, the kernel's peak resident set of the command's
process (``os.wait4`` in a small spawner, bench._common.own_peak, so that this bench's own
size is not carried into the command's figure; if the command starts worker processes,
the largest of them), and
``tree peak``, the largest sum of the resident sets of the command and all its
descendants, sampled every 20 ms from /proc (what the machine must actually hold while
workers run). The verdict compares the largest ledger with the smallest: ratio of each
figure, target at most 1.5x.

Then, on a copy of the smallest ledger, ``cspr import`` of ``--import-lines`` lines
(default 100,000 agency returns over open cases) whose last line is bad, twice: bad input
(an invalid date, exit 2, found by validation) and a refused rule (a second threshold
decision, exit 1, found only when writing): time to refusal (target < 15 s), peak memory,
and whether the ledger's size is unchanged. Report only: nothing asserts, nothing runs
under pytest. SMTP is off; "now" is the real clock (the built ledgers are dated Nov 2026).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, str(_ROOT))

from bench._common import (  # noqa: E402
    OUT, Progress, copy_home, finish, machine, own_peak, read_own_peak, table, verdict,
    wait_measured, warn_if_loaded)
from bench.build_ledger import (  # noqa: E402
    FIRST_NIGHT, case_plan, case_ref, ensure_ledger, open_cases)

PAGE = os.sysconf("SC_PAGE_SIZE")
TARGET_RATIO = 1.5
TARGET_IMPORT_S = 15.0
MB = 1024 * 1024


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def tree_rss(pid: int) -> int:
    """Bytes resident in ``pid`` and its descendants now (0 once it has gone)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except OSError:
            continue
        stack += _children(p)
    return total


def measure(args: list[str], timeout: float | None = None) -> dict[str, Any]:
    """Run one command; its exit code, wall time and peak memory (two ways)."""
    peak = [0]
    # Through the spawner (bench._common.own_peak): started straight from this bench, the
    # command's maxrss would carry this process's own resident set across exec.
    report = OUT / "work" / f"peak-{os.getpid()}-{time.monotonic_ns()}"
    report.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(own_peak(args, report), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=_env(), cwd=CODE)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = b""

    def drain() -> None:
        nonlocal stderr
        stderr = proc.stderr.read()  # type: ignore[union-attr]

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    timed_out, wall, usage = wait_measured(proc, t0, timeout, poll=0.01)
    done.set()
    sampler.join()
    reader.join(5)
    message = stderr.decode("utf-8", "replace").strip().splitlines()
    own = read_own_peak(report)
    report.unlink(missing_ok=True)
    return {"exit": None if timed_out else proc.returncode, "timed_out": timed_out,
            "seconds": round(wall, 2),
            # The command's own CPU time (its workers' not included): on a shared, loaded
            # machine the wall time mostly measures the others.
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "maxrss_mb": own[0] if own else round(usage.ru_maxrss * 1024 / MB, 1),
            "tree_peak_mb": round(peak[0] / MB, 1),
            "stderr_tail": message[-1][:200] if message else ""}


CODE = _ROOT  # the checkout whose cspr is measured (--code)


def cspr(home: Path, *args: str) -> list[str]:
    """The real ``cspr`` command line, from the code under CODE (see _env)."""
    return [sys.executable, "-m", "cli.main", "--home", str(home), *args]


def _env() -> dict[str, str]:
    # The made-up keys' passphrase must pass (sealed keys: imports stop at line 1 without).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CSPR_") or k.startswith("CSPR_KEY_PASSPHRASE")}
    return {**env, "PYTHONPATH": str(CODE)}


def _count(home: Path, table_name: str = "cspr_events") -> int:
    with sqlite3.connect(home / "ledger.sqlite") as conn:
        return conn.execute(f"SELECT count(*) FROM {table_name}").fetchone()[0]


COMMANDS = {
    "verify": ("verify",),
    "first nightly": ("jobs", "nightly", "--as-of", FIRST_NIGHT.isoformat()),
    "projections rebuild": ("projections", "rebuild"),
}
SHORT = {"verify": "verify", "nightly": "first nightly", "rebuild": "projections rebuild"}


def measure_ledger(label: str, src: Path, commands: list[str],
                   progress: Progress) -> dict[str, Any]:
    work = copy_home(src, OUT / "work" / f"memory-{label}")
    out: dict[str, Any] = {"label": label, "home": str(src), "events": _count(work),
                           "db_mb": round((work / "ledger.sqlite").stat().st_size / MB, 1),
                           "commands": {}}
    for name in commands:
        r = measure(cspr(work, *COMMANDS[name]))
        out["commands"][name] = r
        progress(f"{label}: {name}: exit {r['exit']}, {r['seconds']} s, maxrss "
                 f"{r['maxrss_mb']} MB, tree peak {r['tree_peak_mb']} MB, cpu {r['cpu_s']} s")
    return out


def import_file(path: Path, lines: int, seed: int, cases: int, bad: str) -> None:
    """``lines`` agency returns over open cases, the last one bad in the way ``bad`` says."""
    targets = [case_ref(seed, n) for n in open_cases(seed, cases)]
    base = {"agency": "Agency B", "completed_by": "Officer B", "involvement_from":
            "2024-01-10", "nature_of_involvement": "Made-up involvement notes."}
    with open(path, "w") as f:
        for i in range(lines - 1):
            f.write(json.dumps({"type": "agency-information-received",
                                "case": targets[i % len(targets)], "as": "ag1",
                                "occurred_at": "2026-11-03",
                                "data": {**base, "completed_by": f"Officer {i}"}}) + "\n")
        if bad == "bad input":
            f.write(json.dumps({"type": "agency-information-received", "case": targets[0],
                                "as": "ag1", "data": {**base,
                                                      "involvement_from": "2026-13-45"}}))
        else:  # §7.2: the threshold is decided once; this case's is decided already
            decided = next(case_ref(seed, n) for n in range(cases)
                           if any(s[1] == "threshold-decided" for s in case_plan(seed, n, 0)[1]))
            f.write(json.dumps({"type": "threshold-decided", "case": decided, "as": "p1",
                                "data": {"meets_threshold": True, "rationale": "Made-up rationale for a test.",
                                         "decided_by": ["A"]}}))
        f.write("\n")


def measure_import(label: str, src: Path, lines: int, seed: int, cases: int,
                   timeout: float, progress: Progress) -> list[dict[str, Any]]:
    out = []
    for bad in ("bad input", "refused rule"):
        work = copy_home(src, OUT / "work" / "memory-import")
        path = OUT / "work" / "memory-import.jsonl"
        import_file(path, lines, seed, cases, bad)
        before = _count(work), _count(work, "cspr_data_keys")
        progress(f"import of {lines} lines into {label} ({before[0]} events), last line: "
                 f"{bad}")
        r = measure(cspr(work, "import", str(path)), timeout)
        r.update(lines=lines, last_line=bad, ledger=label,
                 # events and data-key rows: nothing left behind by the refusal
                 unchanged=(_count(work), _count(work, "cspr_data_keys")) == before)
        out.append(r)
        progress(f"import ({bad}): exit {r['exit']}, {r['seconds']} s, maxrss "
                 f"{r['maxrss_mb']} MB, ledger unchanged: {r['unchanged']}")
    return out


def _git_state() -> str:
    if not (CODE / ".git").exists():
        commit = CODE / ".commit"  # a `git archive` export: say which commit it was
        return f"{CODE}" + (f" (export of {commit.read_text().strip()[:10]})"
                            if commit.exists() else "")
    try:
        head = subprocess.run(["git", "-C", str(CODE), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(CODE), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True,
                               text=True).stdout.split("\n")
        changed = sorted(line[3:] for line in dirty if line.strip())
        return f"{head}" + (f" + uncommitted changes in {len(changed)} files: "
                            f"{', '.join(changed)}" if changed else " (clean)")
    except OSError:
        return "unknown"


def run(args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    global CODE
    CODE = Path(args.code).resolve() if args.code else _ROOT
    warn_if_loaded(progress)
    out: dict[str, Any] = {"machine": machine(), "code": _git_state(),
                           "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                           "ledgers": [], "imports": []}
    homes: list[tuple[str, Path]] = []
    for spec in args.home or []:
        label, _, path = spec.partition("=")
        homes.append((label, Path(path)))
    if not homes:
        for n in args.sizes:
            built = ensure_ledger(n, args.cases, args.big_case_events, seed=args.seed,
                                  progress=progress)
            homes.append((f"{n // 1000}k", built.home_root))
    for label, src in homes if args.commands else []:
        out["ledgers"].append(measure_ledger(label, src, args.commands, progress))
    if len(out["ledgers"]) >= 2:
        small, big = (min(out["ledgers"], key=lambda x: x["events"]),
                      max(out["ledgers"], key=lambda x: x["events"]))
        out["ratios"] = {name: {k: round(big["commands"][name][k] /
                                         max(small["commands"][name][k], 0.1), 2)
                                for k in ("maxrss_mb", "tree_peak_mb")}
                         for name in args.commands}
        out["ratio_of"] = [small["label"], big["label"]]
    if not args.no_import:
        small_label, small_home = min(homes, key=lambda h: _count(h[1]))
        out["imports"] = measure_import(small_label, small_home, args.import_lines,
                                        args.seed, args.cases, args.import_timeout,
                                        progress)
    return out


def render(out: dict[str, Any]) -> str:
    lines = [f"code: {out['code']}", f"at: {out['at']}; load average at start "
             f"{out['machine']['loadavg_at_start']} on {out['machine']['cpus']} CPUs", ""]
    rows = []
    for led in out["ledgers"]:
        for name, r in led["commands"].items():
            rows.append([f"{led['label']} ({led['events']:,} events, {led['db_mb']} MB)",
                         name, r["exit"], r["seconds"], r.get("cpu_s", "-"), r["maxrss_mb"],
                         r["tree_peak_mb"]])
    lines.append(table(["ledger", "command", "exit", "s", "cpu s", "maxrss MB",
                        "tree peak MB"], rows, "llrrrrr"))
    if "ratios" in out:
        small, big = out["ratio_of"]
        lines += ["", f"ratio {big} / {small} (target <= {TARGET_RATIO}x)"]
        rows = [[name, f"{r['maxrss_mb']}x", f"{r['tree_peak_mb']}x",
                 verdict(max(r.values()) <= TARGET_RATIO)]
                for name, r in out["ratios"].items()]
        lines.append(table(["command", "maxrss", "tree peak", ""], rows, "lrrl"))
    if out["imports"]:
        lines += ["", f"import with a bad last line (target: refused in < {TARGET_IMPORT_S} s,"
                      " nothing left behind)"]
        rows = [[f"{r['lines']:,} lines into {r['ledger']}", r["last_line"],
                 "timeout" if r["timed_out"] else r["exit"], r["seconds"], r["maxrss_mb"],
                 r["tree_peak_mb"], r["unchanged"],
                 verdict(not r["timed_out"] and r["exit"] in (1, 2)
                         and r["seconds"] < TARGET_IMPORT_S and r["unchanged"])]
                for r in out["imports"]]
        lines.append(table(["import", "last line", "exit", "s", "maxrss MB", "tree peak MB",
                            "unchanged", ""], rows, "llrrrrll"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                        default=[200_000, 1_000_000],
                        help="events of the built ledgers (default 200000,1000000)")
    parser.add_argument("--cases", type=int, default=2_000,
                        help="generated cases of every built ledger (default 2,000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--big-case-events", type=int, default=1_000,
                        help="the built ledgers' extra big case (default 1,000)")
    parser.add_argument("--home", action="append", metavar="LABEL=DIR",
                        help="measure this existing home instead of built ledgers "
                             "(repeat; SQLite homes)")
    parser.add_argument("--code", metavar="DIR",
                        help="measure the cspr of this source tree, e.g. an export of an "
                             "older commit (default: this checkout)")
    parser.add_argument("--commands", default="verify,nightly,rebuild",
                        type=lambda v: [SHORT[c] for c in v.split(",") if c],
                        help="which to measure, in order (default verify,nightly,rebuild; "
                             "empty: none)")
    parser.add_argument("--import-lines", type=int, default=100_000)
    parser.add_argument("--import-timeout", type=float, default=900.0,
                        help="kill an import still running after this many seconds")
    parser.add_argument("--no-import", action="store_true")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return finish(run, parser.parse_args(argv), render)


if __name__ == "__main__":
    sys.exit(main())
