"""Shared helpers of the benches: progress on stderr, working copies of built ledgers,
a ticking fixed clock, timing, machine facts and plain-text tables.

Scripts in this folder must not be imported by their bare name: run as
``python bench/x.py`` this folder comes first on ``sys.path``, and ``bench/ledger.py`` and
``bench/projections.py`` would shadow the packages of the same name. Each script removes
this folder from ``sys.path`` and imports its siblings as ``bench._common`` and
``bench.build_ledger`` (``bench`` is a namespace package under the repository root).
"""

from __future__ import annotations

import json

import os
import platform
import shutil
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable, Iterable

ROOT = Path(__file__).resolve().parent.parent
# CSPR_BENCH_OUT moves every bench's builds and working copies elsewhere (the smoke test
# in tests/bench/ runs the scripts into a temporary folder, never into the repository's).
OUT = Path(os.environ.get("CSPR_BENCH_OUT") or ROOT / "bench" / "out").resolve()
# CSPR_BENCH_CHEAP_KEYS=1 (the smoke test's tiny runs): made-up keys sealed in a bench
# process cost the test suite's cheaper scrypt guess, not 0.1-0.4 s per key per process
# (each key file records its cost, so the CLI commands a bench runs open them as cheaply).
# Never for figures: a command that opens a key would be measured without that cost.
CHEAP_KEYS = os.environ.get("CSPR_BENCH_CHEAP_KEYS") == "1"
if CHEAP_KEYS:
    from ledger import keyfile

    keyfile.SCRYPT_N = 2 ** 10


class Progress:
    """``progress("message")`` prints ``[  12.3s] message`` on stderr, flushed."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.start:7.1f}s] {message}", file=sys.stderr,
              flush=True)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start


def ticking_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at ``start`` and moves with the wall clock (freezegun's
    ``tick=True``, without freezegun): fixed dates, yet every call a later instant."""
    t0 = time.perf_counter()
    return lambda: start + timedelta(seconds=time.perf_counter() - t0)


def copy_home(src: Path, dst: Path) -> Path:
    """A fresh working copy of a built home (keys, SQLite file) at ``dst``."""
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    return dst


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "platform": platform.platform(), "loadavg_at_start": round(os.getloadavg()[0], 2),
        **{p: version(p) for p in ("eventsourcing", "eventsourcing-sqlalchemy",
                                   "sqlalchemy")},
    }


def warn_if_loaded(progress: Progress) -> None:
    load = os.getloadavg()[0]
    if load > 0.7:
        progress(f"warning: 1-minute load average is {load:.2f} on {os.cpu_count()} CPUs: "
                 f"other processes share the machine, expect noisy (slower) figures")


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result) of one call."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, time.process_time() - c0, out


def summary(samples: Iterable[float]) -> dict[str, float]:
    s = sorted(samples)
    return {"n": len(s), "min": round(s[0], 6), "median": round(statistics.median(s), 6),
            "max": round(s[-1], 6)}


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def table(header: list[str], rows: list[list[Any]], align: str | None = None) -> str:
    """A plain-text table; ``align`` is one letter per column, ``l`` or ``r``."""
    cells = [[str(c) for c in header]] + [["" if c is None else str(c) for c in r]
                                          for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    align = align or "l" + "r" * (len(header) - 1)
    out = []
    for n, r in enumerate(cells):
        out.append("  ".join(c.ljust(w) if a == "l" else c.rjust(w)
                             for c, w, a in zip(r, widths, align)).rstrip())
        if n == 0:
            out.append("-" * len(out[0]))
    return "\n".join(out)



def wait_measured(proc: "subprocess.Popen[bytes]", t0: float, timeout: float | None,
                  poll: float = 0.02) -> tuple[bool, float, resource.struct_rusage]:
    """Wait for ``proc`` (killed after ``timeout`` seconds from ``t0``), reaping it with
    wait4 so its own CPU time and peak RSS come back: (timed_out, wall seconds, usage)."""
    deadline = None if timeout is None else t0 + timeout
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if deadline is not None and time.perf_counter() > deadline:
            proc.kill()
            timed_out = True
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(poll)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait4 again
    return timed_out, wall, usage


def run_measured(argv: list[str], out: Path) -> dict[str, Any]:
    """Run a command from the repository root, its output to ``out``: exit code, wall
    seconds and its own peak memory."""
    t0 = time.perf_counter()
    with open(out, "wb") as f:
        proc = subprocess.Popen(argv, stdout=f, stderr=subprocess.PIPE, cwd=ROOT)
        _, wall, usage = wait_measured(proc, t0, None)
    return {"exit": proc.returncode, "seconds": round(wall, 2),
            "maxrss_mb": round(usage.ru_maxrss / 1024, 1)}

# A child's ru_maxrss starts from its parent's resident set (Linux keeps the high-water
# mark across exec): measured from a bench that has loaded the ledger (100 MB and more),
# every command would report at least the bench's own size. This small process forks the
# command instead and writes the command's own peak (KB) and wall seconds to a file.
_SPAWNER = """import os, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(p.pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(f"{usage.ru_maxrss} {time.perf_counter() - t0}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def own_peak(argv: list[str], report: Path) -> list[str]:
    """``argv`` run through the spawner above, which writes ``report``."""
    return [sys.executable, "-c", _SPAWNER, str(report), *argv]


def read_own_peak(report: Path) -> tuple[float, float] | None:
    """(peak RSS in MB, wall seconds) of the command, as the spawner saw them."""
    try:
        kb, wall = report.read_text().split()
    except (OSError, ValueError):
        return None  # killed before it wrote (a timeout)
    return round(int(kb) / 1024, 1), round(float(wall), 3)


def precompile() -> None:
    """Byte-compile the project's packages, as an installed copy is: with
    PYTHONDONTWRITEBYTECODE set (this machine sets it) an editable install compiles
    every module of ours again in every process, about 0.15 s a command."""
    import compileall

    for package in ("ledger", "domain", "projections", "jobs", "service", "cli", "witness",
                    "evidence"):
        compileall.compile_dir(ROOT / package, quiet=1)


def finish(run: Callable[[Any, "Progress"], dict[str, Any]], args: Any,
           render: Callable[[dict[str, Any]], str]) -> int:
    """Run a bench, time it, and print its table (or JSON with --json)."""
    progress = Progress()
    precompile()
    out = run(args, progress)
    out["total_seconds"] = round(progress.elapsed(), 1)
    progress(f"done in {out['total_seconds']} s")
    print(json.dumps(out, indent=2) if args.json else render(out))
    return 0
