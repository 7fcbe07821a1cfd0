#!/usr/bin/env python
"""Erasing one case's personal data (crypto-shredding) on ledgers of 1,000 and 5,000
cases, and of few and 1,000,000 events (issue 10).

    python bench/erasure.py [--ledgers 1000:0,5000:0,5000:1000000] [--runs 2]
                            [--home NAME=DIR ...] [--seed S] [--workers W] [--json]

Each ``CASES:EVENTS`` ledger is built or reused by ``bench/build_ledger.py`` (one data key
per generated case; ``EVENTS`` 0: the procedure steps alone) and copied under
``bench/out/work/``; ``--home`` adds an existing SQLite home. On each copy: ``--runs``
times ``cspr --as admin case erase REF --reason ... --cosigner bu1`` in its own process
(wall, CPU and peak RSS from ``wait4``); once ``service.erasure.erase_case`` in this
process, each step timed by wrapping the functions it and ``ledger.erasure.shred`` call
(the product is not changed); then a check that the erased rows are gone, every other
key opens under the new ``master.key`` and no staged or retired key file is left.

Target (issue 10): < 30 s on 1,000,000 events with 5,000 cases. The ledgers show that the
cost follows the data keys (cases), not the events. Report only: nothing asserts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

_ROOT = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, str(_ROOT))
# The built ledgers' made-up actors' keys are sealed under this made-up passphrase.
os.environ.setdefault("CSPR_KEY_PASSPHRASE", "bench made-up passphrase")

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from bench._common import (  # noqa: E402
    OUT, copy_home, finish, machine, summary, table, verdict, wait_measured,
    warn_if_loaded)
from bench.build_ledger import ensure_ledger  # noqa: E402
from ledger import erasure as shredding  # noqa: E402
from ledger.envelope import MASTER_KEY_FILE, unwrap  # noqa: E402
from ledger.schema import data_keys_table  # noqa: E402
from service import erasure as service  # noqa: E402
from service import passphrases  # noqa: E402
from service.home import Home  # noqa: E402
from service.writer import Writer  # noqa: E402

MB = 1024 * 1024
COSIGNER = "bu1"  # business_unit in the built ledgers (tests.helpers.ACTORS)
REASON = "bench: the retention period ended"
TARGET_S = 30.0


# --- the ledgers ----------------------------------------------------------------------


def _parse_ledgers(spec: str) -> list[tuple[int, int]]:
    try:
        pairs = [tuple(int(x) for x in part.split(":")) for part in spec.split(",") if part]
    except ValueError:
        raise SystemExit("--ledgers: CASES:EVENTS pairs separated by commas") from None
    if not pairs or any(len(p) != 2 or p[0] < 1 or p[1] < 0 for p in pairs):
        raise SystemExit("--ledgers: CASES:EVENTS pairs, CASES >= 1, EVENTS >= 0")
    return pairs  # type: ignore[return-value]


def _homes(args: Any, progress: Any) -> Iterator[tuple[str, Path]]:
    for cases, events in _parse_ledgers(args.ledgers):
        built = ensure_ledger(events, cases, args.big_case_events, args.seed,
                              args.workers, progress=progress)
        yield built.name, built.home_root
    for spec in args.home:
        name, _, path = spec.partition("=")
        if not path or not (Path(path) / "ledger.sqlite").exists():
            raise SystemExit("--home: NAME=DIR, DIR an SQLite home (keys/, ledger.sqlite)")
        yield name, Path(path)


def _facts(home: Path) -> dict[str, Any]:
    app = Home(home).open()
    try:
        with app.engine.connect() as conn:
            keys = conn.execute(select(func.count()).select_from(data_keys_table)).scalar_one()
            refs = sorted(r[0] for r in conn.execute(select(data_keys_table.c.case_ref)))
        return {"ledger_events": app.size(), "data_keys": keys, "refs": refs,
                "db_mb": round((home / "ledger.sqlite").stat().st_size / MB, 1)}
    finally:
        app.close()


def _victims(refs: list[str], n: int) -> list[str]:
    """``n`` cases spread over the key table (never the same one twice)."""
    step = max(1, len(refs) // (n + 1))
    return [refs[(i + 1) * step % len(refs)] for i in range(n)]


# --- 1. the command, as a user runs it ------------------------------------------------


def _command(home: Path, ref: str, log: Path) -> dict[str, Any]:
    env = {**os.environ, passphrases.variable(COSIGNER): os.environ["CSPR_KEY_PASSPHRASE"]}
    argv = [sys.executable, "-m", "cli.main", "--home", str(home), "--as", "admin", "case",
            "erase", ref, "--reason", REASON, "--cosigner", COSIGNER, "--json"]
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=_ROOT, env=env)
        _, wall, usage = wait_measured(proc, t0, None)
    return {"case": ref, "exit": proc.returncode, "seconds": round(wall, 3),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
            "maxrss_mb": round(usage.ru_maxrss * 1024 / MB, 1)}


def _startup() -> float:
    """Wall seconds to start Python and import the CLI: the floor of any ``cspr`` run."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import cli.main"], cwd=_ROOT, check=True)
    return round(time.perf_counter() - t0, 3)


# --- 2. the same, in this process, step by step ----------------------------------------


class Spans:
    """Wall/CPU spans of wrapped calls, in call order, plus marks (e.g. each commit)."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, float, float, float]] = []  # label, start, end, cpu
        self.marks: list[tuple[str, float]] = []

    def wrap(self, owner: Any, name: str, label: str) -> Callable[[], None]:
        original = getattr(owner, name)

        def timed(*a: Any, **k: Any) -> Any:
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return original(*a, **k)
            finally:
                self.spans.append((label, t0, time.perf_counter(), time.process_time() - c0))

        setattr(owner, name, timed)
        return lambda: setattr(owner, name, original)

    def all(self, label: str) -> list[tuple[str, float, float, float]]:
        return [s for s in self.spans if s[0] == label]


@contextmanager
def _instrumented(spans: Spans) -> Iterator[None]:
    undo = [spans.wrap(service, "make_intent", "checks"),
            spans.wrap(service, "load_actor_signer", "admin key opened"),
            spans.wrap(service, "erasure_record", "erasure record read"),
            spans.wrap(passphrases, "open_signer", "co-signer key opened"),
            spans.wrap(Writer, "append", "signed event appended"),
            spans.wrap(service, "shred", "shred"),
            spans.wrap(shredding, "write_key_file", "stage"),
            spans.wrap(shredding, "_lock", "lock"),
            spans.wrap(shredding, "_rewrap", "rewrap"),
            spans.wrap(shredding, "_finish", "finish"),
            spans.wrap(shredding, "destroy_key_file", "destroy")]
    try:
        yield
    finally:
        for u in reversed(undo):
            u()


def _phases(home: Path, ref: str) -> dict[str, Any]:
    spans = Spans()
    app = Home(home).open()
    event.listen(app.engine, "commit", lambda conn: spans.marks.append(
        ("commit", time.perf_counter())))
    try:
        with _instrumented(spans):
            t0, c0 = time.perf_counter(), time.process_time()
            done = service.erase_case(app, Home(home), ref, REASON, COSIGNER, by="admin")
            total, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        app.close()
    ms = lambda a, b: round((b - a) * 1000, 1)  # noqa: E731
    one = {label: spans.all(label)[0] for label in (
        "checks", "admin key opened", "erasure record read", "signed event appended",
        "shred", "stage", "finish", "destroy")}
    # load_actor_signer opens the admin's key through open_signer too: the co-signer's is
    # the call that starts after it.
    one["co-signer key opened"] = next(s for s in spans.all("co-signer key opened")
                                       if s[1] >= one["admin key opened"][2])
    (lock1, lock2), (rewrap1, rewrap2) = spans.all("lock")[:2], spans.all("rewrap")[:2]
    commit = next(t for label, t in spans.marks if rewrap1[2] <= t <= one["finish"][1])
    rows = {
        "checks (make_intent)": ms(*one["checks"][1:3]),
        "admin key opened (passphrase KDF)": ms(*one["admin key opened"][1:3]),
        "erasure record read (case facts)": ms(*one["erasure record read"][1:3]),
        "co-signer key opened (passphrase KDF)": ms(*one["co-signer key opened"][1:3]),
        "signed event appended (Writer.append)": ms(*one["signed event appended"][1:3]),
        "shred: stage new master key": ms(*one["stage"][1:3]),
        "shred: write lock": ms(*lock1[1:3]),
        "shred: re-wrap other cases' keys": ms(*rewrap1[1:3]),
        "shred: delete the case's row": ms(rewrap1[2], commit),
        "shred: commit": ms(commit, one["finish"][1]),
        "shred: promote new master key": ms(one["finish"][1], lock2[1]),
        "shred: sweep (lock, re-check every row, commit)": ms(lock2[1], one["destroy"][1]),
        "shred: destroy old master key": ms(*one["destroy"][1:3]),
    }
    rows["other (loading the case, opening the ledger's keys)"] = round(
        total * 1000 - sum(rows.values()), 1)
    return {"case": ref, "seconds": round(total, 3), "cpu_seconds": round(cpu, 3),
            "steps_ms": rows, "rewrap_cpu_ms": round(rewrap1[3] * 1000, 1),
            "rewrapped": done.shredded.rewrapped, "shred_seconds": round(
                one["shred"][2] - one["shred"][1], 3)}


# --- 3. afterwards ---------------------------------------------------------------------


def _check(home: Path, erased: list[str]) -> dict[str, Any]:
    master = AESGCM((home / "keys" / MASTER_KEY_FILE).read_bytes())
    app = Home(home).open()
    try:
        with app.engine.connect() as conn:
            rows = conn.execute(select(data_keys_table.c.case_ref, data_keys_table.c.wrapped))
            rows = [(r[0], bytes(r[1])) for r in rows]
    finally:
        app.close()
    held = {ref for ref, _ in rows}
    return {"erased_rows_gone": not held & set(erased),
            "others_open_under_master": sum(unwrap(master, r, w) is not None
                                            for r, w in rows) == len(rows),
            "no_key_left_behind": not any((home / "keys" / n).exists() for n in (
                shredding.STAGED, shredding.RETIRED, shredding.STAGED + ".tmp"))}


# --- the run -------------------------------------------------------------------------


def _measure(name: str, src: Path, runs: int, progress: Any) -> dict[str, Any]:
    work = OUT / "work" / f"erasure-{name}"
    t0 = time.perf_counter()
    home = copy_home(src, work / "home")
    progress(f"{name}: working copy in {time.perf_counter() - t0:.1f} s")
    facts = _facts(home)
    refs = _victims(facts.pop("refs"), runs + 1)
    commands = []
    for ref in refs[:runs]:
        commands.append(_command(home, ref, work / f"erase-{len(commands)}.out"))
        progress(f"{name}: cspr case erase {commands[-1]}")
    if any(c["exit"] != 0 for c in commands):
        raise SystemExit(f"{name}: cspr case erase failed; its output is under {work}")
    phases = _phases(home, refs[runs])
    progress(f"{name}: in-process erase_case {phases['seconds']} s")
    check = _check(home, refs)
    shutil.rmtree(work)  # a 1M-event copy is a gigabyte
    return {"name": name, **facts, "commands": commands, "phases": phases, "check": check,
            "wall": summary(c["seconds"] for c in commands),
            "cpu": summary(c["cpu_seconds"] for c in commands)}


def run(args: Any, progress: Any) -> dict[str, Any]:
    warn_if_loaded(progress)
    homes = list(_homes(args, progress))
    startup = _startup()
    ledgers = [_measure(name, home, args.runs, progress) for name, home in homes]
    ok = all(c["exit"] == 0 for lg in ledgers for c in lg["commands"])
    big = [lg for lg in ledgers if lg["ledger_events"] >= 1_000_000]
    return {"machine": machine(), "startup_seconds": startup, "ledgers": ledgers,
            "all_exit_0": ok, "checks_pass": all(all(lg["check"].values()) for lg in ledgers),
            "target_met": None if not big else ok and all(
                lg["wall"]["max"] < TARGET_S for lg in big)}


def render(out: dict[str, Any]) -> str:
    lgs = out["ledgers"]
    head = ["", *[lg["name"] for lg in lgs]]
    rows = [["events in the ledger", *[f"{lg['ledger_events']:,}" for lg in lgs]],
            ["data keys (cases with personal data)", *[f"{lg['data_keys']:,}" for lg in lgs]],
            ["database MB", *[lg["db_mb"] for lg in lgs]],
            ["cspr case erase: wall s (median, max)",
             *[f"{lg['wall']['median']}, {lg['wall']['max']}" for lg in lgs]],
            ["cspr case erase: CPU s (median)", *[lg["cpu"]["median"] for lg in lgs]],
            ["cspr case erase: peak RSS MB",
             *[max(c["maxrss_mb"] for c in lg["commands"]) for lg in lgs]],
            ["in-process erase_case: wall s", *[lg["phases"]["seconds"] for lg in lgs]]]
    for step in lgs[0]["phases"]["steps_ms"]:
        rows.append([f"  {step}, ms", *[lg["phases"]["steps_ms"][step] for lg in lgs]])
    rows.append(["  re-wrap, us per key (CPU)", *[
        round(lg["phases"]["rewrap_cpu_ms"] * 1000 / max(1, lg["phases"]["rewrapped"]), 1)
        for lg in lgs]])
    rows.append(["afterwards: keys gone, others open, no key file left",
                 *[all(lg["check"].values()) for lg in lgs]])
    return (table(head, rows, "l" + "r" * len(lgs)) +
            f"\n\nPython start + `import cli.main`: {out['startup_seconds']} s wall\n"
            f"every command exit 0: {out['all_exit_0']}\n"
            f"< {TARGET_S:.0f} s on a 1,000,000-event ledger: " +
            (verdict(out["target_met"]) if out["target_met"] is not None else "not measured"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ledgers", default="1000:0,5000:0,5000:1000000",
                        help="CASES:EVENTS of each built ledger, comma-separated (EVENTS 0: "
                             "the procedure steps only; default 1000:0,5000:0,5000:1000000)")
    parser.add_argument("--home", action="append", default=[], metavar="NAME=DIR",
                        help="also measure a copy of this existing SQLite home")
    parser.add_argument("--runs", type=int, default=2,
                        help="erasures by the real command per ledger (default 2)")
    parser.add_argument("--big-case-events", type=int, default=1_000,
                        help="the built ledgers' extra big case (default 1,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    return finish(run, parser.parse_args(argv), render)


if __name__ == "__main__":
    sys.exit(main())
