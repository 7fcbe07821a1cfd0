"""`cspr --help` and `cspr CMD --help` load no database or key code (issue 13).

Each check runs in a fresh interpreter: in this one the other tests have long since
imported everything. No timing is asserted (timings vary by machine); the modules that
make start-up slow are what is checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from cli.main import COMMANDS, cli

ROOT = Path(__file__).resolve().parents[2]

# What took `import cli.main` past a second: the event store, SQLAlchemy, the read models.
DATABASE_STACK = ("sqlalchemy", "eventsourcing_sqlalchemy", "projections", "ledger.app")
# The witness's own commands need its key code; nothing else's help does.
SLOW = (*DATABASE_STACK, "cryptography")

# The names `cspr --help` listed before commands were loaded lazily, in the same order.
NAMES = ["actions", "actor", "backup", "case", "checkpoint", "cosign", "deadlines", "demo",
         "directory", "evidence", "import", "init", "jobs", "projections", "record", "report",
         "restore", "rule-set", "schema", "serve", "verify", "witness"]

# Run in a fresh interpreter: `cspr --help`, then every `cspr ... --help` (the witness's
# last), noting after each stage which of SLOW are loaded; then the top-level help again
# once every command is loaded, as click would print it from the real commands.
_SCRIPT = """
import json, sys
import click
from click.testing import CliRunner
import cli.main

SLOW = %r

def loaded():
    return sorted(m for m in SLOW if m in sys.modules or any(
        k.startswith(m + ".") for k in sys.modules))

out = {"after_import": loaded()}
try:
    cli.main.cli.main(["--help"], prog_name="cspr", standalone_mode=False)
except SystemExit:
    pass
out["after_help"] = loaded()
runner = CliRunner()
lazy_help = runner.invoke(cli.main.cli, ["--help"], prog_name="cspr", terminal_width=80)
helps = {}

def walk(path, command):
    result = runner.invoke(cli.main.cli, [*path, "--help"], prog_name="cspr",
                           terminal_width=80)
    helps[" ".join(path)] = [result.exit_code, result.output]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            walk([*path, name], command.get_command(ctx, name))

group, ctx = cli.main.cli, click.Context(cli.main.cli)
for name in group.list_commands(ctx):
    if name != "witness":
        walk([name], group.get_command(ctx, name))
out["after_every_help_but_the_witness"] = loaded()
walk(["witness"], group.get_command(ctx, "witness"))
out["after_every_help"] = loaded()
out["helps"] = helps
out["lazy_help"] = [lazy_help.exit_code, lazy_help.output]
eager_help = runner.invoke(cli.main.cli, ["--help"], prog_name="cspr", terminal_width=80)
out["eager_help"] = [eager_help.exit_code, eager_help.output]
print(json.dumps(out))
""" % (SLOW,)


@pytest.fixture(scope="module")
def fresh() -> dict:
    done = subprocess.run([sys.executable, "-c", _SCRIPT], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    printed, _, last = done.stdout.rstrip("\n").rpartition("\n")
    return {**json.loads(last), "printed": printed}


def test_import_and_help_load_no_database_or_key_code(fresh: dict) -> None:
    assert fresh["after_import"] == []
    assert fresh["after_help"] == []
    assert fresh["printed"].startswith("Usage: cspr [OPTIONS] COMMAND [ARGS]...")


def test_no_command_help_loads_the_database_stack(fresh: dict) -> None:
    assert fresh["after_every_help_but_the_witness"] == []
    assert fresh["after_every_help"] == ["cryptography"]  # the witness's key code only


def test_the_command_list_is_the_same_names_in_the_same_order() -> None:
    assert cli.list_commands(click.Context(cli)) == NAMES


def test_the_lazy_listing_is_what_the_loaded_commands_give(fresh: dict) -> None:
    lazy_code, lazy = fresh["lazy_help"]
    eager_code, eager = fresh["eager_help"]
    assert lazy_code == eager_code == 0
    assert lazy == eager
    listing = lazy.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listing] == NAMES


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_summary_is_the_first_sentence_of_the_commands_own_help(name: str) -> None:
    real = cli.get_command(click.Context(cli), name)
    assert real is not None and real.name == name
    assert not real.hidden and not real.deprecated
    stand_in = click.Command(name, help=COMMANDS[name].summary)
    for limit in (10, 30, 45, 52, 60, 70, 10_000):  # every terminal width shortens alike
        assert stand_in.get_short_help_str(limit) == real.get_short_help_str(limit)


def _commands(path: list[str], command: click.Command) -> list[tuple[str, click.Command]]:
    found = [(" ".join(path), command)] if path else []
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, name
            found += _commands([*path, name], sub)
    return found


def test_every_command_help_works_and_is_that_commands(fresh: dict) -> None:
    expected = _commands([], cli)
    assert sorted(fresh["helps"]) == sorted(path for path, _ in expected)
    for path, command in expected:
        code, text = fresh["helps"][path]
        assert code == 0, (path, text)
        assert text.startswith(f"Usage: cspr {path} "), path
        flat = " ".join(text.split())
        assert " ".join(command.get_short_help_str(10_000).split()) in flat, path
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert param.opts[0] in text, (path, param.opts[0])
        assert "Traceback" not in text


@pytest.mark.skipif(not hasattr(click.exceptions, "NoSuchCommand"),
                    reason="click before 8.4 suggests no near name")
def test_a_mistyped_command_still_gets_a_suggestion_before_anything_is_loaded() -> None:
    done = subprocess.run([sys.executable, "-m", "cli.main", "verfy"], cwd=ROOT,
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    assert "No such command 'verfy'. Did you mean 'verify'?" in done.stderr
