#!/usr/bin/env python
"""Read-model speed on a generated ledger: rebuild, incremental update, as-of replay.

    python bench/projections.py [--events N] [--cases C] [--big-case-events B] [--seed S]
                                [--workers W] [--update-rounds K] [--asof-repeat R]
                                [--profile {cprofile,pyinstrument}] [--json]

The issue's targets, on a ledger of 200,000 events over 2,000 cases (SQLite):

- rebuild every projection (``Projector.rebuild``): at least 20,000 events/s;
- bring them up to date after 100 new events (``Projector.update``): under 0.5 s;
- ``case show --as-of`` on a case of 1,000 events: under 50 ms, in-process, excluding
  interpreter start.

Beside them, report only: the check of ``cspr verify --projections`` (every read model
rebuilt into a scratch database and compared row by row, projections.check) right after
the rebuild, as a ratio to the rebuild's time; and the clocks of every case computed the
way the fold does (each clock reading only the facts it names, issue 13) against the
domain's scan of all of a case's facts for every clock, on the same facts in this process:
CPU ratio, rule matches, and whether every case agrees.

The ledger comes from ``bench/build_ledger.py`` (built once, then reused) and every
measurement runs on a fresh copy of it under ``bench/out/work/``. Everything is timed
in-process with ``time.perf_counter`` (CPU time beside it). Updates: each round appends
100 ``agency-information-received`` events through ``Writer.append`` (untimed, one
transaction each, over 100 distinct open cases: the most cases 100 events can touch), then
times ``update()``; one more round puts the 100 events on a single case. The as-of replay
is ``Queries(app).view(case, as_of_instant=...).as_json()``, what ``cspr case show --as-of``
runs after opening the ledger, timed three ways: with the calendar and ledger already open
(a service), with a new ``Queries`` that builds the England calendar as the CLI does, and
including ``Home.open()`` too. The verdict uses the CLI path (new ``Queries``, app open).

Progress goes to stderr, the table (or ``--json``) to stdout. Nothing asserts on time.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from datetime import datetime, timedelta
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
    summary,
    table,
    timed,
    verdict,
    warn_if_loaded,
)
from bench._clock_fold import measure_fold  # noqa: E402
from bench.build_ledger import (  # noqa: E402
    NEW_EVENTS_AT,
    add_ledger_options,
    append_new_events,
    ensure_ledger,
)
from domain.calendar import london_date  # noqa: E402
from ledger.mapper import format_instant  # noqa: E402
from projections.case_view import CaseView  # noqa: E402
from projections.check import check_projections  # noqa: E402
from projections.projector import Projector  # noqa: E402
from projections.rule_sets import RuleSetHistory  # noqa: E402
from projections.source import case_facts  # noqa: E402
from service.calendar_england import england_calendar  # noqa: E402
from service.home import Home  # noqa: E402
from service.queries import Queries  # noqa: E402

TARGET_REBUILD = 20_000  # events/s
TARGET_UPDATE = 0.5      # s
TARGET_ASOF = 0.050      # s


class Profiler:
    """Optional profiling of each measured call; the figures are then inflated."""

    def __init__(self, kind: str | None, folder: Path) -> None:
        self.kind, self.folder = kind, folder
        if kind:
            folder.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        if self.kind == "cprofile":
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            try:
                yield
            finally:
                prof.disable()
                prof.dump_stats(self.folder / f"{name}.prof")
                text = io.StringIO()
                pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(40)
                (self.folder / f"{name}.txt").write_text(text.getvalue())
        elif self.kind == "pyinstrument":
            from pyinstrument import Profiler as Pyi

            prof = Pyi(interval=0.0005)
            prof.start()
            try:
                yield
            finally:
                prof.stop()
                (self.folder / f"{name}.txt").write_text(
                    prof.output_text(unicode=False, color=False, show_all=False))
                (self.folder / f"{name}.html").write_text(prof.output_html())
        else:
            yield


def measure_rebuild(app: Any, cal: Any, repeat: int, prof: Profiler,
                    progress: Progress) -> dict[str, Any]:
    projector = Projector(app, cal)
    runs = []
    for i in range(repeat):
        progress(f"rebuild {i + 1}/{repeat} ...")
        with prof(f"rebuild-{i + 1}"):
            wall, cpu, report = timed(projector.rebuild)
        runs.append({"seconds": round(wall, 3), "cpu_seconds": round(cpu, 3),
                     "events_read": report.events_read,
                     "cases_updated": report.cases_updated,
                     "events_per_s": round(report.events_read / wall, 1)})
        progress(f"rebuild {i + 1}/{repeat}: {report.events_read} events, "
                 f"{report.cases_updated} cases in {wall:.2f} s "
                 f"({report.events_read / wall:.0f} events/s, CPU {cpu:.2f} s)")
    best = max(runs, key=lambda r: r["events_per_s"])
    return {"runs": runs, "best": best, "target_events_per_s": TARGET_REBUILD,
            "verdict": verdict(best["events_per_s"] >= TARGET_REBUILD)}


def measure_check(app: Any, cal: Any, rebuild: dict[str, Any], prof: Profiler,
                  progress: Progress) -> dict[str, Any]:
    """What ``cspr verify --projections`` adds to a verify: a rebuild of every read model
    into a scratch database and the row-by-row comparison, against a plain rebuild."""
    progress("projection check (verify --projections) ...")
    with prof("check"):
        wall, cpu, result = timed(lambda: check_projections(app, cal))
    ratio = wall / rebuild["best"]["seconds"]
    progress(f"projection check: {result.rows_compared} rows compared in {wall:.2f} s "
             f"(CPU {cpu:.2f} s), {ratio:.2f}x the rebuild; "
             f"{'all agree' if result.ok else 'DIFFERENCES'}")
    return {"seconds": round(wall, 3), "cpu_seconds": round(cpu, 3),
            "rows_compared": result.rows_compared, "ok": result.ok,
            "ratio_to_rebuild": round(ratio, 2)}


def measure_updates(app: Any, home: Home, cal: Any, seed: int, cases: int, rounds: int,
                    prof: Profiler, progress: Progress) -> dict[str, Any]:
    projector = Projector(app, cal)
    wall, cpu, report = timed(projector.update)
    noop = {"seconds": round(wall, 4), "events_read": report.events_read}
    progress(f"update with nothing new: {wall * 1000:.1f} ms")
    plan = [(100, f"100 events over 100 cases, round {i + 1}") for i in range(rounds)]
    plan.append((1, "100 events on 1 case"))
    runs = []
    for i, (spread, label) in enumerate(plan):
        at = NEW_EVENTS_AT + timedelta(hours=i)
        w_wall, _, new = timed(lambda: append_new_events(app, home, seed, cases, 100,
                                                         spread, at))
        with prof(f"update-{i + 1}-spread{spread}"):
            wall, cpu, report = timed(projector.update)
        runs.append({"label": label, "spread": spread, "seconds": round(wall, 4),
                     "cpu_seconds": round(cpu, 4), "events_read": report.events_read,
                     "cases_updated": report.cases_updated,
                     "append_seconds": round(w_wall, 3)})
        progress(f"update ({label}): {report.events_read} events, "
                 f"{report.cases_updated} cases in {wall * 1000:.0f} ms (appending them "
                 f"took {w_wall:.2f} s)")
    spread_runs = [r["seconds"] for r in runs if r["spread"] == 100]
    stats = summary(spread_runs)
    return {"noop": noop, "runs": runs, "spread_100": stats, "target_seconds": TARGET_UPDATE,
            "verdict": verdict(stats["median"] < TARGET_UPDATE)}


def _samples(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    fn()  # warm-up: statement cache, page cache, imports
    times, out = [], None
    for _ in range(repeat):
        wall, _, out = timed(fn)
        times.append(wall)
    return times, out


def measure_asof(app: Any, home: Home, cal: Any, big: dict[str, Any], repeat: int,
                 prof: Profiler, progress: Progress) -> dict[str, Any]:
    ref = big["ref"]
    end = datetime.fromisoformat(big["recorded_to"])
    mid_index = (len(big["chunks"]) - 1) // 2
    mid = datetime.fromisoformat(big["chunks"][mid_index])
    service_q = Queries(app, calendar=cal)
    shapes: dict[str, tuple[Callable[[], Any], datetime]] = {
        "service: Queries kept, calendar built": (
            lambda: service_q.view(ref, as_of_instant=end).as_json(), end),
        "CLI path: new Queries (builds calendar)": (
            lambda: Queries(app).view(ref, as_of_instant=end).as_json(), end),
        "CLI path + Home.open()": (
            lambda: Queries(home.open()).view(ref, as_of_instant=end).as_json(), end),
        "CLI path, as of mid-history": (
            lambda: Queries(app).view(ref, as_of_instant=mid).as_json(), mid),
    }
    out: dict[str, Any] = {"case": ref, "as_of_end": end.isoformat(),
                           "as_of_mid": mid.isoformat()}
    rows = {}
    for label, (fn, _) in shapes.items():
        times, view = _samples(fn, repeat)
        rows[label] = {**summary(times), "events_folded": view["events"],
                       "clocks": len(view["clocks"]), "decisions": len(view["decisions"])}
        progress(f"as-of ({label}): median {rows[label]['median'] * 1000:.1f} ms over "
                 f"{view['events']} events")
    # Where the CLI path's time goes: its four steps, timed one by one.
    until = format_instant(end)
    facts = case_facts(app, ref, until)
    rule_set = RuleSetHistory.load(app).for_case(facts)
    view = CaseView.fold(ref, facts, rule_set, cal, london_date(end))
    steps = {
        "RuleSetHistory.load (rule set in force)": lambda: RuleSetHistory.load(app),
        "case_facts (read + decode the case's rows)": lambda: case_facts(app, ref, until),
        "CaseView.fold (clocks)": lambda: CaseView.fold(ref, facts, rule_set, cal,
                                                        london_date(end)),
        "as_json (decisions, rows)": view.as_json,
    }
    out["steps"] = {label: summary(_samples(fn, repeat)[0]) for label, fn in steps.items()}
    with prof("asof-cli-path"):
        for _ in range(max(1, repeat // 2)):
            Queries(app).view(ref, as_of_instant=end).as_json()
    cal_times, _ = _samples(england_calendar, repeat)
    out["calendar_build"] = summary(cal_times)
    out["shapes"] = rows
    headline = rows["CLI path: new Queries (builds calendar)"]
    out["headline"] = "CLI path: new Queries (builds calendar)"
    out["target_seconds"] = TARGET_ASOF
    out["verdict"] = verdict(headline["median"] < TARGET_ASOF)
    return out


def run(args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    warn_if_loaded(progress)
    mach = machine()
    built = ensure_ledger(args.events, args.cases, args.big_case_events, args.seed,
                          args.workers, progress=progress)
    work = OUT / "work" / f"projections-{built.name}"
    progress(f"copying the ledger to {work} ...")
    copy_home(built.home_root, work)
    home = Home(work)
    app = home.open()
    prof = Profiler(args.profile, OUT / "profiles" / f"projections-{built.name}")
    cal_wall, _, cal = timed(england_calendar)
    out: dict[str, Any] = {
        "ledger": {"key": built.key, "events": built.meta["ledger_size"],
                   "cases": built.meta["cases"], "big_case": built.big_ref,
                   "db_mb": round(built.meta["db_bytes"] / 1e6, 1), "work_copy": str(work)},
        "machine": mach, "profile": args.profile,
    }
    out["rebuild"] = measure_rebuild(app, cal, args.rebuild_repeat, prof, progress)
    out["check"] = measure_check(app, cal, out["rebuild"], prof, progress)
    out["fold"] = measure_fold(app, cal, progress)
    out["update"] = measure_updates(app, home, cal, args.seed, args.cases,
                                    args.update_rounds, prof, progress)
    out["asof"] = measure_asof(app, home, cal, built.meta["big_case"], args.asof_repeat,
                               prof, progress)
    out["calendar_first_build_seconds"] = round(cal_wall, 4)
    app.close()
    return out


def render(out: dict[str, Any]) -> str:
    led, mach = out["ledger"], out["machine"]
    rb, up, asof = out["rebuild"], out["update"], out["asof"]
    best = rb["best"]
    head = asof["shapes"][asof["headline"]]
    lines = [
        f"cspr-ledger projections bench: {led['events']:,} events ({led['cases']:,} generated "
        f"cases + {led['big_case']}), SQLite {led['db_mb']} MB; {mach['cpus']} CPUs, "
        f"Python {mach['python']}, SQLAlchemy {mach['sqlalchemy']}, load average at start "
        f"{mach['loadavg_at_start']}",
    ]
    if out.get("profile"):
        lines.append(f"PROFILED with {out['profile']}: figures are inflated")
    lines += ["", table(
        ["measurement", "figure", "target", "verdict"],
        [[f"rebuild, {best['events_read']:,} events", f"{best['events_per_s']:,.0f} events/s "
          f"({best['seconds']:.2f} s)", f">= {TARGET_REBUILD:,} events/s", rb["verdict"]],
         [f"verify --projections check, {out['check']['rows_compared']:,} rows",
          f"{out['check']['seconds']:.2f} s ({out['check']['ratio_to_rebuild']:.2f}x "
          "the rebuild)", "report only",
          "agree" if out["check"]["ok"] else "DIFFER"],
         [f"clocks of {out['fold']['cases']:,} cases, each clock reading its own facts",
          f"{out['fold']['speedup']:.1f}x less CPU, "
          f"{out['fold']['matches']['indexed']:,} rule matches (domain scan "
          f"{out['fold']['matches']['domain scan']:,})", "report only",
          "agree" if not out["fold"]["differ"] else f"{out['fold']['differ']} DIFFER"],
         ["update after 100 new events (100 cases), median",
          f"{up['spread_100']['median']:.3f} s", f"< {TARGET_UPDATE} s", up["verdict"]],
         [f"as-of replay, {head['events_folded']}-event case, median",
          f"{head['median'] * 1000:.1f} ms", f"< {TARGET_ASOF * 1000:.0f} ms", asof["verdict"]]],
        "lrrr"), ""]
    rows = [[f"rebuild run {i + 1}", r["events_read"], r["cases_updated"], f"{r['seconds']:.3f}",
             f"{r['cpu_seconds']:.3f}", f"{r['events_per_s']:,.0f} ev/s"]
            for i, r in enumerate(rb["runs"])]
    rows.append(["update, nothing new", up["noop"]["events_read"], 0,
                 f"{up['noop']['seconds']:.4f}", "", ""])
    rows += [[f"update: {r['label']}", r["events_read"], r["cases_updated"],
              f"{r['seconds']:.4f}", f"{r['cpu_seconds']:.4f}", ""] for r in up["runs"]]
    lines += [table(["detail", "events", "cases", "wall s", "CPU s", ""], rows, "lrrrrr"), ""]
    rows = [[label, s["events_folded"], f"{s['median'] * 1000:.1f}", f"{s['min'] * 1000:.1f}",
             f"{s['max'] * 1000:.1f}", s["n"]] for label, s in asof["shapes"].items()]
    cb = asof["calendar_build"]
    rows.append(["england_calendar() alone", "", f"{cb['median'] * 1000:.1f}",
                 f"{cb['min'] * 1000:.1f}", f"{cb['max'] * 1000:.1f}", cb["n"]])
    rows += [[f"  step: {label}", "", f"{st['median'] * 1000:.1f}", f"{st['min'] * 1000:.1f}",
              f"{st['max'] * 1000:.1f}", st["n"]] for label, st in asof["steps"].items()]
    lines += [table([f"as-of replay of {asof['case']}", "events", "median ms", "min ms",
                     "max ms", "n"], rows, "lrrrrr"), "",
              f"total run time {out['total_seconds']} s"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_ledger_options(parser)
    parser.add_argument("--rebuild-repeat", type=int, default=1,
                        help="rebuilds to time; the best counts (default 1)")
    parser.add_argument("--update-rounds", type=int, default=3,
                        help="rounds of 100 new events over 100 cases (default 3)")
    parser.add_argument("--asof-repeat", type=int, default=20,
                        help="timed as-of replays per shape, after one warm-up (default 20)")
    parser.add_argument("--profile", choices=["cprofile", "pyinstrument"], default=None,
                        help="profile each measurement into bench/out/profiles/")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if min(args.rebuild_repeat, args.update_rounds, args.asof_repeat) < 1:
        parser.error("repeats and rounds must be positive")
    return finish(run, args, render)


if __name__ == "__main__":
    sys.exit(main())
