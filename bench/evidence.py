#!/usr/bin/env python
"""Exporting evidence packs of one big case and of one period, and checking them with the
pack's verify.py (issue 10).

    python bench/evidence.py [--events N] [--cases C] [--big-case-events B]
                             [--period-events P] [--seed S] [--workers W] [--json]

On a working copy of a ledger built by ``bench/build_ledger.py`` (default 30,000 events
over 300 cases, plus one case of 1,000 events recorded last), as a partnership's ledger
stands on an ordinary day: the nightly signed a checkpoint before the big case was
recorded (which also stores the subtree hashes, ledger.merkle_cache); then, each as a real
process:

1. ``cspr evidence export --case BIG``: the case's 1,000 events are newer than the last
   checkpoint, so the export signs a new one: proofs from the stored subtree hashes up to
   the last checkpoint (checked by a consistency proof against its root) and from the
   events after it, the pack verified with its own verify.py, index.html, zip;
2. the same again: now the latest checkpoint covers the case and is reused;
3. ``python verify.py PACK --vkey VKEY``, the pack's own file;
4. P agency returns are recorded on a later day (one transaction each, over 500 cases:
   the bench's own process, not measured), then ``cspr evidence export --from --to`` of
   that day (a period pack of P events, new checkpoint) and its verify.py;
5. in the bench's process: the inclusion proofs of 1,000 positions drawn at random over
   the whole ledger (the worst case for the stored hashes: no two events share a block).

Reported: wall seconds and peak RSS of each. Targets (issue 10, on a 1,000,000-event
ledger): export and verify.py of a 1,000-event case < 2 s each, a 10,000-event period
pack < 10 s. Report only: nothing asserts, nothing runs under pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, str(_ROOT))

from bench._common import (  # noqa: E402
    OUT, copy_home, finish, machine, run_measured as _run, table, verdict, warn_if_loaded)
from bench.build_ledger import (  # noqa: E402
    NEW_EVENTS_AT, add_ledger_options, append_new_events, ensure_ledger)


def run(args: Any, progress: Any) -> dict[str, Any]:
    os.environ.setdefault("CSPR_KEY_PASSPHRASE", "bench made-up passphrase")
    warn_if_loaded(progress)
    built = ensure_ledger(args.events, args.cases, args.big_case_events, args.seed,
                          args.workers, progress=progress)
    work = OUT / "work" / "evidence"
    home = copy_home(built.home_root, work / "home")
    for old in work.glob("pack*"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    results: dict[str, Any] = {}
    before_big = built.meta["ledger_size"] - built.meta["big_case"]["events"]
    results["last night's checkpoint (first: stores the subtree hashes)"] = _in_process(
        lambda: _checkpoint(home, before_big))
    progress(f"checkpoint of the first {before_big} events signed")
    cspr = [sys.executable, "-m", "cli.main", "--home", str(home)]
    for name, scope in (("case export (new checkpoint)", ["--case", built.big_ref]),
                        ("case export (reused checkpoint)", ["--case", built.big_ref])):
        pack = work / f"pack-{len(results) - 1}"
        results[name] = _run([*cspr, "evidence", "export", *scope, "--output", str(pack),
                              "--json"], work / f"{pack.name}.json")
        progress(f"{name}: {results[name]}")
    vkeys = _run([*cspr, "actor", "list", "--vkeys", "--json"], work / "vkeys.json")
    assert vkeys["exit"] == 0
    vkey = json.loads((work / "vkeys.json").read_text())["system_vkeys"][-1]["vkey"]
    pack = work / "pack-0"
    results["verify.py of the case pack"] = _run(
        [sys.executable, "-I", str(pack / "verify.py"), str(pack), "--vkey", vkey],
        work / "verify.out")
    progress(f"verify.py: {results['verify.py of the case pack']}")
    progress(f"recording {args.period_events} agency returns on a later day ...")
    _append(home, args)
    day = NEW_EVENTS_AT.date().isoformat()
    period = work / "pack-period"
    results["period export (new checkpoint)"] = _run(
        [*cspr, "evidence", "export", "--from", day, "--to", day, "--output", str(period),
         "--json"], work / "period.json")
    period_events = json.loads((work / "period.json").read_text() or "{}").get("events")
    results["verify.py of the period pack"] = _run(
        [sys.executable, "-I", str(period / "verify.py"), str(period), "--vkey", vkey],
        work / "verify-period.out")
    progress(f"period pack: {results['period export (new checkpoint)']}")
    results["proofs of 1,000 positions spread over the ledger"] = _in_process(
        lambda: _spread_proofs(home, 1000, args.seed))
    size = json.loads((work / "period.json").read_text())["checkpoint_size"]
    case_ok = all(results[k]["exit"] == 0 and results[k]["seconds"] < 2.0 for k in (
        "case export (new checkpoint)", "case export (reused checkpoint)",
        "verify.py of the case pack"))
    period_ok = all(results[k]["exit"] == 0 and results[k]["seconds"] < 10.0 for k in (
        "period export (new checkpoint)", "verify.py of the period pack"))
    return {"machine": machine(), "ledger_events": size, "case": built.big_ref,
            "case_events": built.meta["big_case"]["events"],
            "period_events": period_events, "results": results,
            "case_under_2s": case_ok, "period_under_10s": period_ok}


def _in_process(step: Any) -> dict[str, Any]:
    t0 = time.perf_counter()
    step()
    return {"exit": 0, "seconds": round(time.perf_counter() - t0, 2), "maxrss_mb": None}


def _checkpoint(home_root: Path, upto: int) -> None:
    from service.evidence import create_checkpoint
    from service.home import Home

    home = Home(home_root)
    create_checkpoint(home.open(), home, upto=upto)


def _append(home_root: Path, args: Any) -> None:
    from service.home import Home

    home = Home(home_root)
    append_new_events(home.open(), home, args.seed, args.cases, count=args.period_events,
                      spread=500)


def _spread_proofs(home_root: Path, count: int, seed: int) -> None:
    from service.home import Home
    from service.pack_checkpoint import reusable_checkpoint
    from service.pack_proofs import pack_proofs

    app = Home(home_root).open()
    cp = reusable_checkpoint(app, 1, 0)
    positions = set(random.Random(seed).sample(range(1, cp["size"] + 1),
                                               min(count, cp["size"])))
    pack_proofs(app, cp["size"], positions, None, bytes.fromhex(cp["root_hash"]))


def render(out: dict[str, Any]) -> str:
    rows = [[k, v["exit"], v["seconds"], v["maxrss_mb"] or "(bench process)"]
            for k, v in out["results"].items()]
    return (table(["step", "exit", "seconds", "maxrss MB"], rows) +
            f"\n\nledger of {out['ledger_events']} events; case {out['case']} of "
            f"{out['case_events']} events; period pack of {out['period_events']} events\n"
            f"case export and verify.py each < 2 s (here): {verdict(out['case_under_2s'])}\n"
            f"period export and verify.py each < 10 s (here): "
            f"{verdict(out['period_under_10s'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_ledger_options(parser, events=30_000, cases=300)
    parser.add_argument("--period-events", type=int, default=10_000,
                        help="agency returns recorded on the period pack's day (default "
                             "10,000)")
    parser.add_argument("--json", action="store_true")
    return finish(run, parser.parse_args(argv), render)


if __name__ == "__main__":
    sys.exit(main())
