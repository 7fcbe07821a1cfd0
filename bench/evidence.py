#!/usr/bin/env python
"""Exporting an evidence pack of one big case, and checking it with the pack's verify.py
(issue 10).

    python bench/evidence.py [--events N] [--cases C] [--big-case-events B]
                             [--seed S] [--workers W] [--json]

On a working copy of a ledger built by ``bench/build_ledger.py`` (default 30,000 events
over 300 cases, plus one case of 1,000 events), each as a real process:

1. ``cspr evidence export --case BIG``: read the case's and the key events, stream every
   leaf of the ledger once to compute all the inclusion proofs (evidence.tree), sign a
   new checkpoint, verify the pack with its own verify.py, render index.html, zip;
2. the same again: now the ledger's latest checkpoint covers the case and is reused;
3. ``python verify.py PACK --vkey VKEY``, the pack's own file;
4. ``cspr evidence export --from --to`` of the day the generated cases were recorded
   (a period pack of about N events).

Reported: wall seconds and peak RSS of each. Targets (issue 10, on a 1,000,000-event
ledger): export and verify.py of a 1,000-event case < 2 s each, a 10,000-event period
pack < 10 s. Report only: nothing asserts, nothing runs under pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, str(_ROOT))

from bench._common import (  # noqa: E402
    OUT, copy_home, finish, machine, run_measured as _run, table, verdict, warn_if_loaded)
from bench.build_ledger import add_ledger_options, ensure_ledger  # noqa: E402



def run(args: Any, progress: Any) -> dict[str, Any]:
    os.environ.setdefault("CSPR_KEY_PASSPHRASE", "bench made-up passphrase")
    warn_if_loaded(progress)
    built = ensure_ledger(args.events, args.cases, args.big_case_events, args.seed,
                          args.workers, progress=progress)
    work = OUT / "work" / "evidence"
    home = copy_home(built.home_root, work / "home")
    for old in work.glob("pack*"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    cspr = [sys.executable, "-m", "cli.main", "--home", str(home)]
    results: dict[str, Any] = {}
    for name, scope in (("case export (new checkpoint)", ["--case", built.big_ref]),
                        ("case export (reused checkpoint)", ["--case", built.big_ref])):
        pack = work / f"pack-{len(results)}"
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
    day = built.meta["big_case"]["recorded_from"][:10]
    period = work / "pack-period"
    results["period export"] = _run([*cspr, "evidence", "export", "--from", day, "--to",
                                     day, "--output", str(period), "--json"],
                                    work / "period.json")
    period_events = json.loads((work / "period.json").read_text() or "{}").get("events")
    results["verify.py of the period pack"] = _run(
        [sys.executable, "-I", str(period / "verify.py"), str(period), "--vkey", vkey],
        work / "verify-period.out")
    size = json.loads((work / "pack-0.json").read_text())["checkpoint_size"]
    case_ok = all(results[k]["exit"] == 0 and results[k]["seconds"] < 2.0 for k in (
        "case export (new checkpoint)", "verify.py of the case pack"))
    return {"machine": machine(), "ledger_events": size, "case": built.big_ref,
            "case_events": built.meta["big_case"]["events"],
            "period_events": period_events, "results": results,
            "case_under_2s": case_ok}


def render(out: dict[str, Any]) -> str:
    rows = [[k, v["exit"], v["seconds"], v["maxrss_mb"]] for k, v in out["results"].items()]
    return (table(["step", "exit", "seconds", "maxrss MB"], rows) +
            f"\n\nledger of {out['ledger_events']} events; case {out['case']} of "
            f"{out['case_events']} events; period pack of {out['period_events']} events\n"
            f"case export and verify.py each < 2 s (here): {verdict(out['case_under_2s'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_ledger_options(parser, events=30_000, cases=300)
    parser.add_argument("--json", action="store_true")
    return finish(run, parser.parse_args(argv), render)


if __name__ == "__main__":
    sys.exit(main())
