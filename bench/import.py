#!/usr/bin/env python
"""How long ``cspr import`` takes to refuse a long file whose last line is bad, and to
import a good one (issue 8: "a 100k-line import with a bad last line refused in under
15 s").

    python bench/import.py [--lines 100000] [--events 200000] [--cases 2000]
                           [--home DIR] [--code DIR] [--json]

Into a copy of a ledger built by ``build_ledger.py`` (or the SQLite home ``--home``, which
must hold that build's cases and actors), ``--lines`` agency returns spread over the open
cases, the last line bad in one of three ways, each found at a different depth:

- ``bad JSON``: the line does not parse (exit 2, found by the parser);
- ``bad field``: a date that does not exist (exit 2, found by field validation);
- ``rule violation``: a second threshold decision on a case that has one (§7.2, exit 1,
  found only by checking the procedure's rules against the ledger).

Then the same lines all good, imported into a fresh copy (exit 0). Each run is the real
command in its own process: wall time, CPU time (user + system, from ``wait4``) and peak
RSS. After a refusal the ledger must be unchanged (events and data keys). ``--code DIR``
runs the ``cspr`` of another source tree too (e.g. ``git archive <commit> | tar -x -C
DIR``) and prints the ratio. Report only: nothing asserts; the load average at start is
printed, and CPU time is steadier than wall time on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, str(_ROOT))

from bench._common import (  # noqa: E402
    OUT, Progress, copy_home, finish, machine, table, verdict, wait_measured,
    warn_if_loaded)
from bench.build_ledger import case_plan, case_ref, ensure_ledger, open_cases  # noqa: E402

TARGET_S = 15.0
MB = 1024 * 1024
KINDS = ("bad JSON", "bad field", "rule violation")
BASE = {"agency": "Agency B", "completed_by": "Officer B", "involvement_from": "2024-01-10",
        "nature_of_involvement": "Made-up involvement notes."}


def write_file(path: Path, lines: int, seed: int, cases: int, last: str | None) -> None:
    """``lines`` agency returns over the open cases; the last one bad as ``last`` says
    (None: all good)."""
    targets = [case_ref(seed, n) for n in open_cases(seed, cases)]
    good = lines if last is None else lines - 1
    with open(path, "w", encoding="utf-8") as f:
        for i in range(good):
            f.write(json.dumps({"type": "agency-information-received",
                                "case": targets[i % len(targets)], "as": "ag1",
                                "occurred_at": "2026-11-03",
                                "data": {**BASE, "completed_by": f"Officer {i}"}}) + "\n")
        if last == "bad JSON":
            f.write('{"type": "agency-information-received", "case": \n')
        elif last == "bad field":
            f.write(json.dumps({"type": "agency-information-received", "case": targets[0],
                                "as": "ag1", "data": {**BASE,
                                                      "involvement_from": "2026-13-45"}}) + "\n")
        elif last == "rule violation":  # §7.2: this case's threshold is decided already
            decided = next(case_ref(seed, n) for n in range(cases)
                           if any(s[1] == "threshold-decided"
                                  for s in case_plan(seed, n, 0)[1]))
            f.write(json.dumps({"type": "threshold-decided", "case": decided, "as": "p1",
                                "data": {"meets_threshold": True, "rationale": "Made-up rationale for a test.",
                                         "decided_by": ["A"]}}) + "\n")


def counts(home: Path) -> tuple[int, int]:
    with sqlite3.connect(home / "ledger.sqlite") as conn:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore
                     for t in ("cspr_events", "cspr_data_keys"))


def run(code: Path, home: Path, path: Path, timeout: float) -> dict[str, Any]:
    """``cspr import`` of ``path`` from the source tree ``code``: exit, times, peak RSS."""
    # A developer's own CSPR_HOME and the like must not leak in; the made-up keys'
    # passphrase must (the keys are sealed: without it every import stops at line 1).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CSPR_") or k.startswith("CSPR_KEY_PASSPHRASE")}
    env["PYTHONPATH"] = str(code)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "--home", str(home), "import",
                             str(path)], cwd=code, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    timed_out, wall, usage = wait_measured(proc, t0, timeout)
    err = proc.stderr.read().decode("utf-8", "replace").strip().splitlines()  # type: ignore
    return {"exit": None if timed_out else proc.returncode, "wall_s": round(wall, 2),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "maxrss_mb": round(usage.ru_maxrss * 1024 / MB, 1),
            "message": err[-1][:160] if err else ""}


def measure(codes: list[tuple[str, Path]], src: Path, args: Any,
            progress: Progress) -> list[dict[str, Any]]:
    """Each kind of last line, for each source tree in turn (interleaved, so that both
    see the same load on a shared machine)."""
    out = []
    work = OUT / "work" / "import-bench"
    path = OUT / "work" / "import-bench.jsonl"
    copy_home(src, work)
    for kind in (*KINDS, None):
        write_file(path, args.lines, args.seed, args.cases, kind)
        for label, code in codes:
            if kind is None:  # a refusal leaves the copy as it was; a good import does not
                copy_home(src, work)
            before = counts(work)
            r = run(code, work, path, args.timeout)
            after = counts(work)
            r.update(code=label, last_line=kind or "(all good)", lines=args.lines,
                     ledger_events=before[0],
                     unchanged=after == before if kind else None,
                     appended=after[0] - before[0])
            out.append(r)
            progress(f"{label}: {r['last_line']}: exit {r['exit']}, {r['wall_s']} s wall, "
                     f"{r['cpu_s']} s CPU, {r['maxrss_mb']} MB")
    return out


def bench(args: Any, progress: Progress) -> dict[str, Any]:
    warn_if_loaded(progress)
    if args.home:
        src = Path(args.home)
    else:
        src = ensure_ledger(args.events, args.cases, args.big_case_events, seed=args.seed,
                            progress=progress).home_root
    out: dict[str, Any] = {"machine": machine(), "home": str(src), "runs": []}
    codes = [("this tree", _ROOT)]
    if args.code:
        codes.append(("--code", Path(args.code).resolve()))
    out["runs"] = measure(codes, src, args, progress)
    return out


def render(out: dict[str, Any]) -> str:
    runs = out["runs"]
    rows = [[r["code"], r["last_line"], r["exit"], r["wall_s"], r["cpu_s"], r["maxrss_mb"],
             {True: "yes", False: "NO", None: ""}[r["unchanged"]],
             verdict(r["exit"] is not None and r["wall_s"] < TARGET_S)
             if r["last_line"] != "(all good)" else ""] for r in runs]
    lines = [f"cspr import of {runs[0]['lines']} lines into a ledger of "
             f"{runs[0]['ledger_events']} events ({out['home']})",
             f"python {out['machine']['python']}, {out['machine']['cpus']} CPUs, load "
             f"{out['machine']['loadavg_at_start']} at start; target: refused in < "
             f"{TARGET_S:g} s", "",
             table(["code", "last line", "exit", "wall s", "CPU s", "maxrss MB",
                    "unchanged", "< 15 s"], rows, "llrrrrll")]
    mine = {r["last_line"]: r for r in runs if r["code"] == "this tree"}
    other = {r["last_line"]: r for r in runs if r["code"] == "--code"}
    if other:
        lines += ["", "CPU time, --code / this tree:"]
        lines += [f"  {k}: {other[k]['cpu_s'] / mine[k]['cpu_s']:.1f}x" for k in mine
                  if k in other and mine[k]["cpu_s"]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--cases", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--big-case-events", type=int, default=1_000,
                        help="the built ledger's extra big case (default 1,000)")
    parser.add_argument("--home", help="an existing SQLite home built with these cases")
    parser.add_argument("--code", help="another source tree to measure as well")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="kill an import still running after this many seconds")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.lines < 2:
        parser.error("--lines must be at least 2")
    return finish(bench, args, render)


if __name__ == "__main__":
    sys.exit(main())
