#!/usr/bin/env python
"""Witness cosign of a checkpoint a million leaves ahead of the last one it cosigned.

    python bench/witness.py [--leaves 1000000] [--old 1000] [--repeat 20] [--cli-repeat 3]
                            [--json]

Issue 9's target: under 1 s. Built once, untimed: ``--leaves`` random leaf hashes, the RFC
9162 root at ``--old`` and at ``--leaves``, the consistency proof between them
(``ledger.merkle.consistency_proof`` over the whole list: seconds), checkpoints signed as
C2SP notes by a log key the witness pins, and a witness state folder (in a temporary
directory) that has cosigned the ``--old`` checkpoint. Timed, ``--repeat`` times: the core
the ``cspr witness cosign`` command calls, ``witness.cosign.cosign_checkpoint(state, key,
request, now)`` on the add-checkpoint body, in-process (no interpreter start-up or key
loading): parse, signature check, consistency proof, cosignature, and the atomic, synced
write of the new record. Before each run the record of the ``--old`` checkpoint is put back
(untimed). The proof's verification alone is timed too, to show where the time goes, and
the real ``cspr witness cosign`` command in its own process (``--cli-repeat`` runs), whose
time is mostly interpreter start-up and imports.

Progress goes to stderr, the table (or ``--json``) to stdout. Nothing asserts on time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, str(_ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from bench._common import Progress, finish, machine, summary, table, timed, verdict  # noqa: E402,E501
from ledger.merkle import consistency_proof, root_from_leaf_hashes, verify_consistency  # noqa: E402,E501
from ledger.note import Note, encode_vkey, format_note, sign_note  # noqa: E402
from ledger.tlog import Checkpoint, checkpoint_text, format_add_checkpoint  # noqa: E402
from witness.cosign import cosign_checkpoint  # noqa: E402
from witness.state import Latest, WitnessState  # noqa: E402

ORIGIN = "cspr-ledger/benchshire-safeguarding-partnership/0123456789abcdef"
TARGET_S = 1.0


def _signed(key: Ed25519PrivateKey, size: int, root: bytes) -> str:
    text = checkpoint_text(Checkpoint(ORIGIN, size, root))
    public = key.public_key().public_bytes_raw()
    return format_note(Note(text, [sign_note(text, ORIGIN, key.sign, public)]))


def _command_runs(state: WitnessState, at_old: Latest, request: str, tmp: Path,
                  repeat: int) -> list[float]:
    """Wall time of the real command in its own process, start-up included."""
    path = tmp / "request"
    path.write_text(request, encoding="utf-8")
    runs = []
    for _ in range(repeat):
        state.record(ORIGIN, at_old)
        t0 = time.perf_counter()
        # cspr-witness: the witness's own entry point (what its machine runs).
        subprocess.run([sys.executable, "-c", "from cli.witness import witness; witness()",
                        "cosign", "--state",
                        str(state.root), str(path), "--output", str(tmp / "out")],
                       cwd=_ROOT, check=True, stdout=subprocess.DEVNULL)
        runs.append(time.perf_counter() - t0)
    return runs


def run(args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    n, old = args.leaves, args.old
    progress(f"{n:,} random leaf hashes")
    blob = os.urandom(32 * n)
    leaves = [blob[i:i + 32] for i in range(0, len(blob), 32)]
    progress("roots and consistency proof (untimed)")
    build_s, _, (old_root, new_root, proof) = timed(lambda: (
        root_from_leaf_hashes(leaves[:old]), root_from_leaf_hashes(leaves),
        consistency_proof(leaves, old)))
    log_key = Ed25519PrivateKey.generate()
    first = format_add_checkpoint(0, [], _signed(log_key, old, old_root))
    request = format_add_checkpoint(old, proof, _signed(log_key, n, new_root))
    rounds: list[float] = []
    cpu: list[float] = []
    with tempfile.TemporaryDirectory(prefix="cspr-witness-bench-") as tmp:
        state = WitnessState.create(Path(tmp) / "state", "witness.example.invalid/bench",
                                    None)
        state.trust(encode_vkey(ORIGIN, log_key.public_key().public_bytes_raw()))
        key = state.private_key(None)
        now = int(time.time())
        cosign_checkpoint(state, key, first, now)
        at_old = state.latest(ORIGIN)
        assert at_old is not None
        progress(f"cosign {old:,} -> {n:,}, {args.repeat} runs")
        for i in range(args.repeat):
            state.record(ORIGIN, at_old)  # back to the old checkpoint, untimed
            wall, c, done = timed(lambda: cosign_checkpoint(state, key, request, now + 1 + i))
            assert done.size == n
            rounds.append(wall)
            cpu.append(c)
        progress(f"the same through 'cspr witness cosign', {args.cli_repeat} runs")
        command = _command_runs(state, at_old, request, Path(tmp), args.cli_repeat)
    verify_runs = [timed(lambda: verify_consistency(old, n, old_root, new_root, proof))[0]
                   for _ in range(args.repeat)]
    wall_s = summary(rounds)
    return {
        "machine": machine(), "leaves": n, "old_size": old, "proof_hashes": len(proof),
        "request_bytes": len(request.encode()), "build_seconds": round(build_s, 2),
        "cosign_wall_seconds": wall_s, "cosign_cpu_seconds": summary(cpu),
        "verify_consistency_seconds": summary(verify_runs),
        "command_wall_seconds": summary(command),
        "target_seconds": TARGET_S, "verdict": verdict(wall_s["max"] < TARGET_S),
    }


def render(out: dict[str, Any]) -> str:
    ms = lambda s: f"{s * 1000:.2f}"  # noqa: E731
    rows = [[label, out[key]["n"], ms(out[key]["min"]), ms(out[key]["median"]),
             ms(out[key]["max"])]
            for label, key in (("cosign_checkpoint, wall", "cosign_wall_seconds"),
                               ("cosign_checkpoint, CPU", "cosign_cpu_seconds"),
                               ("verify_consistency alone", "verify_consistency_seconds"),
                               ("cspr-witness cosign (process)", "command_wall_seconds"))]
    return "\n".join([
        f"witness cosign {out['old_size']:,} -> {out['leaves']:,} leaves "
        f"({out['proof_hashes']} proof hashes, request {out['request_bytes']} bytes; "
        f"tree built in {out['build_seconds']} s, untimed)",
        f"load average at start {out['machine']['loadavg_at_start']} on "
        f"{out['machine']['cpus']} CPUs",
        "",
        table(["what", "runs", "min ms", "median ms", "max ms"], rows),
        "",
        f"target: every in-process run < {out['target_seconds']:.0f} s: {out['verdict']} "
        "(the command adds interpreter start-up and imports)",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--old", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--cli-repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not 0 < args.old < args.leaves:
        parser.error("--old must be between 1 and --leaves")
    return finish(run, args, render)


if __name__ == "__main__":
    sys.exit(main())
