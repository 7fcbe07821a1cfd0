#!/usr/bin/env python
"""The nightly job on a generated ledger: first run, then the next night after 100 events.

    python bench/nightly.py [--events N] [--cases C] [--small-events M] [--no-small]
                            [--second-repeat K] [--seed S] [--workers W]
                            [--profile {cprofile,pyinstrument}] [--json]

The issue: "The nightly job on a generated ledger of 200,000 events over 2,000 cases: the
first run, and a second run for the next day with 100 new events. Target: the second run
under 2 s, and its cost growing with the new events and open clocks, not with the history."

For each ledger (built once by ``bench/build_ledger.py``, then copied under
``bench/out/work/``), in-process, with explicit clocks (no freezegun):

1. first run: ``run_nightly(app, home, as_of=3 Nov 2026, clock=<ticking from 01:30Z>,
   smtp_url="")``: rebuilds the read models from nothing, records every breach and
   escalation due (one transaction each), writes their letters to the outbox, verifies the
   whole ledger, signs the first checkpoint and writes the compliance report;
2. 100 new ``agency-information-received`` events during 3 Nov, over 100 open cases, one
   ``Writer.append`` each (untimed);
3. second run for 4 Nov (01:30Z): the issue's target. It changes the ledger, so it is
   repeated ``--second-repeat`` times (default 5), each on a fresh copy of the state left by
   steps 1-2; the median counts;
4. third run for 5 Nov with no new events (the fixed cost of a night: open clocks).

To test the growth claim the same steps run on a smaller ledger (default 50,000 events)
holding the *same* 2,000 cases (same seed: same procedure paths, dates and hence the same
open clocks) with shorter histories, and the same 100 new events; the second runs of the
two ledgers are interleaved (large, small, large, ...) so both see the same machine
weather. If the second run does not depend on the history, both take the same time. The
table shows the ratio, the growth exponent log(t_big / t_small) / log(size_big /
size_small) (0: independent of the history, 1: proportional to it; a large fixed cost
dilutes it, so it is for information), and the verdict's figure: the extra seconds the
larger history costs, summed over the phases' medians (steadier than the difference of
whole runs, whose noise here is +-0.3 s), at most a tenth of the 2 s target, with the
phases that grow.

Each run is split into its phases (exclusive time, by wrapping the names ``jobs.nightly``
and its parts call, in this process only). ``SMTP`` is off (``smtp_url=""``): letters are held in the
outbox. Progress on stderr, the table (or ``--json``) on stdout. Nothing asserts on time.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

_ROOT = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, str(_ROOT))

from bench._common import (  # noqa: E402
    OUT,
    Progress,
    copy_home,
    finish,
    machine,
    table,
    ticking_clock,
    timed,
    warn_if_loaded,
)
from bench.build_ledger import (  # noqa: E402
    FIRST_NIGHT,
    NEW_EVENTS_AT,
    SECOND_NIGHT,
    add_ledger_options,
    append_new_events,
    ensure_ledger,
    nightly_instant,
)
from bench.projections import Profiler  # noqa: E402
import jobs.nightly as nightly_module  # noqa: E402
from jobs.nightly import run_nightly  # noqa: E402
from projections import read  # noqa: E402
from service.calendar_england import england_calendar  # noqa: E402
from service.home import Home  # noqa: E402

TARGET_SECOND = 2.0     # s
# "Not growing with the history", made measurable: between two ledgers with the same cases,
# open clocks and new events, the second run of the one with 4x the history may take at most
# this much longer (a tenth of the target; run-to-run noise here is about +-0.1 s).
TARGET_HISTORY_DELTA = 0.1 * TARGET_SECOND
THIRD_NIGHT = SECOND_NIGHT + timedelta(days=1)


# --- phases: exclusive wall time of what jobs.nightly calls ----------------------------------


class Phases:
    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list[Any]] = []

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            frame = [name, time.perf_counter(), 0.0]  # name, start, children's time
            self._stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                self._stack.pop()
                spent = time.perf_counter() - frame[1]
                self.wall[name] += spent - frame[2]
                self.calls[name] += 1
                if self._stack:
                    self._stack[-1][2] += spent
        return timed_call


class _ReadProxy:
    def __init__(self, phases: Phases) -> None:
        self.clock_rows = phases.wrap("read models: clock_rows", read.clock_rows)
        self.action_rows = phases.wrap("read models: action_rows", read.action_rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(read, name)


# Where ``run_nightly``'s parts look each name up (jobs.nightly calls its parts, which call
# the rest), and the phase it is timed as. A name that has moved fails here, loudly.
_WRAPPED = {
    "jobs.nightly": {"write_letters": "write letters", "deliver_letters": "deliver (SMTP off)",
                     "refresh_clocks": "read models: clock_rows (changed cases)",
                     "create_checkpoint": "sign checkpoint", "save_checkpoint": "save checkpoint",
                     "write_report": "report: other", "load_actor_signer": "load system key"},
    "jobs.nightly_verify": {"verify_ledger": "verify since mark",
                            "check_read_models": "read models vs events (check)"},
    "jobs.nightly_report": {"compliance": "report: compliance", "to_html": "report: render",
                            "to_json": "report: render", "to_csv": "report: render"},
}


@contextlib.contextmanager
def instrumented(phases: Phases) -> Iterator[None]:
    """Wrap the names ``run_nightly`` and its parts look up in their modules."""
    m = nightly_module
    modules = {name: importlib.import_module(name) for name in _WRAPPED}
    originals = [(modules[mod], name, getattr(modules[mod], name))
                 for mod, names in _WRAPPED.items() for name in names]
    originals += [(m, name, getattr(m, name)) for name in ("Projector", "Writer", "read",
                                                           "detect")]
    P, W, detect = m.Projector, m.Writer, m.detect

    class TimedProjector(P):  # type: ignore[misc, valid-type]
        def __init__(self, *a: Any, **k: Any) -> None:
            phases.wrap("projector: create tables", super().__init__)(*a, **k)

        def update(self) -> Any:
            return phases.wrap("projector: update", super().update)()

    class TimedWriter(W):  # type: ignore[misc, valid-type]
        def append(self, *a: Any, **k: Any) -> Any:
            return phases.wrap("append breaches/escalations", super().append)(*a, **k)

    class DetectProxy:
        due_breaches = phases.wrap("detect due events", detect.due_breaches)
        due_escalations = phases.wrap("detect due events", detect.due_escalations)

    try:
        m.Projector, m.Writer = TimedProjector, TimedWriter
        m.read, m.detect = _ReadProxy(phases), DetectProxy
        for mod, names in _WRAPPED.items():
            for name, label in names.items():
                setattr(modules[mod], name, phases.wrap(label, getattr(modules[mod], name)))
        yield
    finally:
        for module, name, value in originals:
            setattr(module, name, value)


# --- the runs ---------------------------------------------------------------------------


def night(app: Any, home: Home, cal: Any, day: date, label: str, prof: Profiler,
          progress: Progress) -> dict[str, Any]:
    phases = Phases()
    clock = ticking_clock(nightly_instant(day))
    progress(f"{label}: nightly run for {day} ...")
    with instrumented(phases), prof(label.replace(" ", "-").replace(",", "")):
        wall, cpu, r = timed(lambda: run_nightly(app, home, as_of=day, calendar=cal,
                                                 clock=clock, smtp_url=""))
    clocks = read.clock_rows(app, day)
    open_clocks = sum(c["status"] in ("pending", "at_risk") for c in clocks)
    other = wall - sum(phases.wall.values())
    out = {
        "as_of": day.isoformat(), "seconds": round(wall, 3), "cpu_seconds": round(cpu, 3),
        "breaches_recorded": r.breaches_recorded,
        "escalations_recorded": r.escalations_recorded,
        "already_recorded": r.already_recorded, "messages_written": r.messages_written,
        "messages_held": r.messages_held, "events_verified": r.events_verified,
        "verify_ok": r.verify_ok, "verify_problems": len(r.problems),
        "checkpoint_size": r.checkpoint_size,
        "open_clocks": open_clocks, "clock_rows": len(clocks),
        "phases": {**{k: round(v, 4) for k, v in sorted(phases.wall.items(),
                                                          key=lambda kv: -kv[1])},
                   "other (run_nightly itself)": round(other, 4)},
        "phase_calls": dict(phases.calls),
    }
    progress(f"{label}: {wall:.2f} s (CPU {cpu:.2f} s): {r.breaches_recorded} breaches, "
             f"{r.escalations_recorded} escalations, {r.messages_written} letters, "
             f"{r.events_verified} events verified, {open_clocks} open clocks")
    top = list(out["phases"].items())[:4]
    progress(f"{label}: top phases " + ", ".join(f"{k} {v:.2f} s" for k, v in top))
    return out


class LedgerRuns:
    """The runs on one ledger: first run and new events once, then the second run as
    often as asked (each on a fresh copy of the state they left), then the third run."""

    def __init__(self, events: int, cases: int, args: argparse.Namespace, tag: str,
                 progress: Progress) -> None:
        self.tag, self.cases, self.args, self.progress = tag, cases, args, progress
        built = ensure_ledger(events, cases, args.big_case_events, args.seed, args.workers,
                              progress=progress)
        self.base = OUT / "work" / f"nightly-{built.name}"
        self.cal = england_calendar()
        self.prof = Profiler(args.profile, OUT / "profiles" / f"nightly-{built.name}")
        self.out: dict[str, Any] = {"key": built.key, "events": built.meta["ledger_size"],
                                    "cases": built.meta["cases"], "work_copy": str(self.base)}
        self.seconds: list[float] = []
        self.phase_runs: list[dict[str, float]] = []
        self.last: tuple[Any, Home] | None = None
        progress(f"[{tag}] copying the ledger to {self.base} ...")
        copy_home(built.home_root, self.base)

    def first(self) -> None:
        home = Home(self.base)
        app = home.open()
        self.out["first"] = night(app, home, self.cal, FIRST_NIGHT, f"[{self.tag}] first run",
                                  self.prof, self.progress)
        w, _, new = timed(lambda: append_new_events(app, home, self.args.seed, self.cases, 100,
                                                    100, NEW_EVENTS_AT))
        app.close()
        self.out["new_events"] = {**new, "append_seconds": round(w, 3)}
        self.progress(f"[{self.tag}] appended 100 new events over {new['cases']} cases in "
                      f"{w:.2f} s")

    def second(self) -> None:
        if self.last is not None:
            self.last[0].close()
        k = len(self.seconds) + 1
        work = copy_home(self.base, self.base.with_name(self.base.name + "-second"))
        home = Home(work)
        app = home.open()
        r = night(app, home, self.cal, SECOND_NIGHT,
                  f"[{self.tag}] second run {k}/{self.args.second_repeat}", self.prof,
                  self.progress)
        self.seconds.append(r["seconds"])
        self.phase_runs.append(r["phases"])
        r["repeats"] = list(self.seconds)
        r["median_seconds"] = round(statistics.median(self.seconds), 3)
        names = {p for phases in self.phase_runs for p in phases}
        r["median_phases"] = {p: round(statistics.median(ph.get(p, 0.0)
                                                         for ph in self.phase_runs), 4)
                              for p in names}
        self.out["second"] = r  # phases of the last repetition; times of every one
        self.last = (app, home)

    def third(self) -> dict[str, Any]:
        assert self.last is not None
        app, home = self.last
        self.out["third"] = night(app, home, self.cal, THIRD_NIGHT,
                                  f"[{self.tag}] third run, nothing new", self.prof,
                                  self.progress)
        app.close()
        return self.out


def run(args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    warn_if_loaded(progress)
    out: dict[str, Any] = {"machine": machine(), "profile": args.profile,
                           "target_second_seconds": TARGET_SECOND}
    ledgers = [LedgerRuns(args.events, args.cases, args, "large", progress)]
    if args.small_events and not args.no_small:
        ledgers.append(LedgerRuns(args.small_events, args.cases, args, "small", progress))
    for led in ledgers:
        led.first()
    # Interleaved (large, small, large, small ...): both see the same machine weather.
    for _ in range(args.second_repeat):
        for led in ledgers:
            led.second()
    for led, key in zip(ledgers, ("large", "small")):
        out[key] = led.third()
    second = out["large"]["second"]["median_seconds"]
    out["verdict_second"] = "PASS" if second < TARGET_SECOND else "MISS"
    if "small" in out:
        small = out["small"]
        big_r, small_r = out["large"]["second"], small["second"]
        t_big, t_small = second, small_r["median_seconds"]
        size_ratio = out["large"]["events"] / small["events"]
        exponent = math.log(t_big / t_small) / math.log(size_ratio) if size_ratio > 1 else 0
        phase_delta = {p: round(big_r["median_phases"].get(p, 0)
                                - small_r["median_phases"].get(p, 0), 4)
                       for p in set(big_r["median_phases"]) | set(small_r["median_phases"])}
        delta = sum(phase_delta.values())
        out["growth"] = {
            "history_ratio": round(size_ratio, 2), "second_run_ratio": round(t_big / t_small, 3),
            "exponent": round(exponent, 3), "total_median_delta_seconds": round(t_big - t_small, 3),
            "delta_seconds": round(delta, 3),
            "delta_per_100k_events": round(delta / (out["large"]["events"] - small["events"])
                                           * 100_000, 3),
            "phase_delta": dict(sorted(phase_delta.items(), key=lambda kv: -kv[1])),
            "target_delta_seconds": TARGET_HISTORY_DELTA,
            "verdict": "PASS" if delta <= TARGET_HISTORY_DELTA else "MISS"}
    return out


def render(out: dict[str, Any]) -> str:
    mach = out["machine"]
    ledgers = [k for k in ("large", "small") if k in out]
    lines = [f"cspr-ledger nightly bench: {mach['cpus']} CPUs, Python {mach['python']}, "
             f"SQLAlchemy {mach['sqlalchemy']}, load average at start "
             f"{mach['loadavg_at_start']}; SMTP off (letters held in the outbox)"]
    if out.get("profile"):
        lines.append(f"PROFILED with {out['profile']}: figures are inflated")
    lines.append("")
    rows = []
    for k in ledgers:
        led = out[k]
        for run_name in ("first", "second", "third"):
            r = led[run_name]
            target = verdict = ""
            wall = f"{r['seconds']:.2f}"
            if run_name == "second":
                target = f"< {TARGET_SECOND:.0f} s"
                verdict = "PASS" if r["median_seconds"] < TARGET_SECOND else "MISS"
                wall = (f"{r['median_seconds']:.2f} (median of "
                        + "/".join(f"{x:.2f}" for x in r["repeats"]) + ")")
            rows.append([f"{led['events']:,} events: {run_name} run", r["as_of"],
                         wall, f"{r['cpu_seconds']:.2f}",
                         r["breaches_recorded"] + r["escalations_recorded"],
                         r["messages_written"],
                         f"{r['events_verified']}{'' if r['verify_ok'] else ' NOT OK'}",
                         r["open_clocks"],
                         target, verdict])
    lines.append(table(["run", "as of", "wall s", "CPU s", "recorded", "letters",
                        "verified", "open clocks", "target", "verdict"], rows, "llrrrrrrrl"))
    if "growth" in out:
        g = out["growth"]
        grow = ", ".join(f"{p} {d:+.3f}" for p, d in g["phase_delta"].items() if abs(d) >= 0.01)
        lines += ["", table(
            ["second run against the history (same cases, open clocks, new events)", "value",
             "target", "verdict"],
            [[f"history x{g['history_ratio']}: second run (median) x",
              f"{g['second_run_ratio']:.2f}", "", ""],
             ["growth exponent log(t ratio) / log(history ratio)", f"{g['exponent']:.2f}", "",
              ""],
             ["difference of the median runs (s)", f"{g['total_median_delta_seconds']:.3f}", "",
              ""],
             [f"extra seconds with x{g['history_ratio']} history, sum of per-phase medians "
              f"({g['delta_per_100k_events']:.3f} s per 100k events)",
              f"{g['delta_seconds']:.3f}", f"<= {g['target_delta_seconds']:.1f}", g["verdict"]]],
            "lrrl"),
            f"per-phase median differences, large - small (|d| >= 10 ms): "
            f"{grow or 'none'}"]
    names: list[str] = []
    for k in ledgers:
        for run_name in ("first", "second", "third"):
            for p in out[k][run_name]["phases"]:
                if p not in names:
                    names.append(p)
    def phases(k: str, r: str) -> dict[str, float]:
        return out[k][r]["median_phases" if r == "second" else "phases"]

    label = {"first": "first", "second": "second (med)", "third": "third"}
    header = ["phase (exclusive wall s)"] + [f"{out[k]['events'] // 1000}k {label[r]}"
                                             for k in ledgers
                                             for r in ("first", "second", "third")]
    rows = [[p] + [f"{phases(k, r).get(p, 0):.3f}" for k in ledgers
                   for r in ("first", "second", "third")] for p in names]
    lines += ["", table(header, rows), "", f"total run time {out['total_seconds']} s"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_ledger_options(parser)
    parser.add_argument("--small-events", type=int, default=50_000,
                        help="events of the smaller ledger, same cases (default 50,000)")
    parser.add_argument("--no-small", action="store_true", help="skip the smaller ledger")
    parser.add_argument("--second-repeat", type=int, default=5,
                        help="second runs per ledger, each on a fresh copy of the same state; "
                             "the median counts (default 5)")
    parser.add_argument("--profile", choices=["cprofile", "pyinstrument"], default=None,
                        help="profile each run into bench/out/profiles/")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.second_repeat < 1:
        parser.error("--second-repeat must be positive")
    if args.small_events >= args.events and not args.no_small:
        parser.error("--small-events must be smaller than --events (or pass --no-small)")
    return finish(run, args, render)


if __name__ == "__main__":
    sys.exit(main())
