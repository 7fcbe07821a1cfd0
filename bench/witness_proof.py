#!/usr/bin/env python
"""Offering a checkpoint far ahead to the witness, and the witness cosigning it (issue 9).

    python bench/witness_proof.py [--events N] [--cases C] [--big-case-events B]
                                  [--seed S] [--workers W] [--old SIZE] [--json]

On a working copy of a ledger built by ``bench/build_ledger.py`` (default 1,000,000
events), a witness cosigns the ledger at ``--old`` events (default 1,000; the ledger
signs a checkpoint there first, storing its compact range). Then, each as the real
``cspr`` in its own process:

1. ``cspr checkpoint --proof-from OLD``: sign a checkpoint of the whole ledger and print
   the add-checkpoint request (the consistency proof from OLD computed from the
   database: every event after OLD is read once to extend the stored tree and once more
   for the proof's subtrees);
2. ``cspr witness cosign`` of that request, on the witness's own state folder.

Reported: wall seconds and peak RSS of each (target: the cosign under 1 s, as the issue
asks; the ledger side should stay seconds and flat in memory), and whether the witness
accepted. Report only: nothing asserts, nothing runs under pytest.
"""

from __future__ import annotations

import argparse
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
    OUT, copy_home, finish, machine, run_measured, table, verdict, warn_if_loaded)
from bench.build_ledger import add_ledger_options, ensure_ledger  # noqa: E402
from service.evidence import create_checkpoint  # noqa: E402
from service.home import Home  # noqa: E402
from service.witnessing import add_checkpoint_request, system_vkeys  # noqa: E402



def _run(args: list[str], out: Path) -> dict[str, Any]:
    return run_measured([sys.executable, "-m", "cli.main", *args], out)


def run(args: Any, progress: Any) -> dict[str, Any]:
    os.environ.setdefault("CSPR_KEY_PASSPHRASE", "bench made-up passphrase")
    warn_if_loaded(progress)
    built = ensure_ledger(args.events, args.cases, args.big_case_events, args.seed,
                          args.workers, progress=progress)
    work = OUT / "work" / "witness-proof"
    home = Home(copy_home(built.home_root, work / "home"))
    state = work / "witness"
    if state.exists():
        shutil.rmtree(state)
    app = home.open()
    try:
        first = create_checkpoint(app, home, upto=args.old)
        first_request = add_checkpoint_request(app, first, 0)
        vkey = system_vkeys(app)[-1]["vkey"]
        size = app.size()
    finally:
        app.close()
    (work / "first.request").write_text(first_request)
    _run(["witness", "init", "--state", str(state), "--name", "witness.example/bench"],
         work / "witness.vkey")
    _run(["witness", "trust", "--state", str(state), vkey], work / "trust.out")
    _run(["witness", "cosign", "--state", str(state), str(work / "first.request")],
         work / "first.cosigned")
    progress(f"witness cosigned the ledger at {args.old}; offering {size + 1} events")
    offer = _run(["--home", str(home.root), "checkpoint", "--proof-from", str(args.old)],
                 work / "offer.request")
    progress(f"checkpoint --proof-from: {offer}")
    cosign = _run(["witness", "cosign", "--state", str(state), str(work / "offer.request")],
                  work / "offer.cosigned")
    progress(f"witness cosign: {cosign}")
    return {"machine": machine(), "ledger_events": size, "old": args.old,
            "proof_lines": len((work / "offer.request").read_text().split("\n\n")[0]
                               .splitlines()) - 1,
            "offer": offer, "cosign": cosign,
            "cosign_under_1s": cosign["exit"] == 0 and cosign["seconds"] < 1.0}


def render(out: dict[str, Any]) -> str:
    rows = [["cspr checkpoint --proof-from", out["offer"]["exit"], out["offer"]["seconds"],
             out["offer"]["maxrss_mb"]],
            ["cspr witness cosign", out["cosign"]["exit"], out["cosign"]["seconds"],
             out["cosign"]["maxrss_mb"]]]
    return (table(["command", "exit", "seconds", "maxrss MB"], rows) +
            f"\n\nledger of {out['ledger_events']} events, witness last cosigned "
            f"{out['old']}; proof of {out['proof_lines']} hashes\n"
            f"witness cosign < 1 s: {verdict(out['cosign_under_1s'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_ledger_options(parser, events=1_000_000, cases=10_000)
    parser.add_argument("--old", type=int, default=1_000,
                        help="the size the witness cosigned first (default 1000)")
    parser.add_argument("--json", action="store_true")
    return finish(run, parser.parse_args(argv), render)


if __name__ == "__main__":
    sys.exit(main())
