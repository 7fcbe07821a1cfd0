"""The README's tour runs, command by command and in order, on a fresh demo home.

The commands are read from README.md's ``sh`` blocks between "## A short tour" and the
end-of-tour marker, so the README cannot drift from what works. They run in one bash
process (the tour keeps shell state: its exports, and ``$before``), where ``cspr`` is the
real command in a subprocess (tests.helpers.cspr_argv) and the working directory holds
the demo's home as ``demo-data`` and the repository's ``docs/``. Only the commands in
SKIPPED do not run, each for the reason given.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from service.home import Home
from tests.helpers import cspr_argv

ROOT = Path(__file__).resolve().parents[2]
END_OF_TOUR = "<!-- end of the tour"

SKIPPED = {
    "make demo": "the test builds the demo itself with `cspr demo` on a fresh home, which "
                 "is what the Makefile's demo target runs; make would also (re)build .venv",
    ". .venv/bin/activate": "cspr is already the command under test: a shell function "
                            "running this checkout in the test's Python",
}


def tour_commands(readme: str) -> list[str]:
    """Each shell command of the tour, as written (continuation lines and multi-line
    quoted --data included), without its comment."""
    tour = readme[readme.index("## A short tour"):readme.index(END_OF_TOUR)]
    blocks = [b.split("\n", 1)[1] for b in tour.split("```")[1::2] if b.startswith("sh\n")]
    commands: list[str] = []
    for block in blocks:
        pending = ""
        for line in block.splitlines():
            pending = f"{pending}\n{line}" if pending else line
            if pending.endswith("\\"):
                continue
            try:
                words = shlex.split(pending, comments=True)
            except ValueError:  # a quotation still open: the command goes on
                continue
            if words:
                commands.append(_without_comment(pending))
            pending = ""
        assert not pending, f"unfinished command in the README: {pending!r}"
    return commands


def _without_comment(command: str) -> str:
    """The command up to the comment on its last line (comments never hold a quote here)."""
    *head, last = command.split("\n")
    return "\n".join([*head, re.split(r"\s#", last)[0].rstrip()])


def test_the_tour_is_found_and_names_what_it_skips() -> None:
    commands = tour_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert commands[0] == "make demo"
    assert set(SKIPPED) <= set(commands)
    assert "cspr import docs/examples/events.jsonl" in commands
    assert any("--occurred-by" in c for c in commands)


def _run_tour(tmp_path: Path, home: Home, commands: list[str]) -> list[tuple[str, int, str]]:
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    # The README's own `export CSPR_HOME=demo-data` must choose the home, so the function
    # gives no --home; the database URL is the one thing the README leaves to the reader.
    argv = cspr_argv(home)
    i = argv.index("--home")
    argv = argv[:i] + argv[i + 2:]
    out = tmp_path / "out"
    out.mkdir()
    script = [f"cspr() {{ {shlex.join(argv)} \"$@\"; }}"]
    ran = [c for c in commands if c not in SKIPPED]
    for n, command in enumerate(ran):
        script.append(f"{{ {command}\n}} >{out}/{n} 2>&1; echo $? >{out}/{n}.rc")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSPR_")}
    subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, check=True,
                   timeout=900)
    return [(c, int((out / f"{n}.rc").read_text()), (out / f"{n}").read_text())
            for n, c in enumerate(ran)]


def test_every_tour_command_exits_0_in_order(tmp_path: Path, db_url: str | None) -> None:
    home = Home(tmp_path / "demo-data", db_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSPR_")}
    built = subprocess.run(cspr_argv(home, "demo"), env=env, capture_output=True,
                           text=True, timeout=600)
    assert built.returncode == 0, built.stderr

    commands = tour_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    results = _run_tour(tmp_path, home, commands)
    failed = [f"{c}\n  exit {rc}: {out}" for c, rc, out in results if rc != 0]
    assert not failed, "\n".join(failed)

    said = {c: out for c, _, out in results}
    assert "bu1" in said["cspr actor list"] and "scrut" in said["cspr actor list"]
    assert "imported 4 events" in said["cspr import docs/examples/events.jsonl"]
    now = said["cspr case show C-2025-001"]
    assert "threshold-decided" in now
    # Occurred by Fri 19 Dec 2025: the referral (18 Dec) and the report to partners
    # (19 Dec), not the threshold decision (Mon 22 Dec), though all were recorded today.
    world = said["cspr case show C-2025-001 --occurred-by 2025-12-19"]
    assert ", 2 events," in world and "threshold-decided" not in world
    # Recorded by $before: the same two; the decision was recorded after it.
    ledger = said['cspr case show C-2025-001 --as-of "$before"']
    assert ", 2 events," in ledger and "threshold-decided" not in ledger
    assert "EXAMPLE-2026-001" in said["cspr case list"]
