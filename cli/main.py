"""The ``cspr`` command: parse, call one service, print. Exit codes live in cli.errors.

Each subcommand's module is imported only when that subcommand runs (cli.lazy), so that
``cspr --help`` and ``cspr CMD --help`` start without the database and key code.
"""

from __future__ import annotations

from pathlib import Path

import click

from cli.context import Env, emit_json
from cli.lazy import Lazy, LazyGroup

# Each summary is the first sentence of the command's help, what `cspr --help` lists;
# tests/cli/test_startup_imports.py fails if one differs from the command's own.
COMMANDS = {
    "actions": Lazy("cli.reads:actions", "Improvement actions: original and current "
                    "deadline, status, escalations."),
    "actor": Lazy("cli.actors:actor", "Register, rotate, revoke and list the people and "
                  "systems who sign events."),
    "backup": Lazy("cli.backup:backup_cmd", "Write a consistent copy of the ledger's "
                   "database, while others may be writing."),
    "case": Lazy("cli.reads:case", "Where each case stands: list, show (as of any past "
                 "instant), decision history."),
    "checkpoint": Lazy("cli.checkpoints:checkpoint", "Sign a checkpoint (event count, head "
                       "hash, Merkle root) with the system key, as a JSON file and as a "
                       "C2SP signed note under the ledger's origin."),
    "cosign": Lazy("cli.cosign:cosign", "Co-sign the joint decision at ledger POSITION "
                   "with your own key (§8.9, §21.1)."),
    "deadlines": Lazy("cli.reads:deadlines", "Every statutory clock: start, due date, "
                      "status, when it was met."),
    "demo": Lazy("cli.demo:demo", "Build a made-up partnership's ledger over the past year, "
                 "run the nightly job over it, and show what it found."),
    "directory": Lazy("cli.directory:directory", "The agency directory: who receives each "
                      "agency's escalation letters, and the L&D chair who is copied in."),
    "evidence": Lazy("cli.evidence:evidence", "Evidence packs for an inspector, the DfE or "
                     "a challenge review: checked offline with the pack's verify.py and the "
                     "partnership's published system vkey."),
    "import": Lazy("cli.record:import_", "Append every line of a JSONL file (UTF-8; - for "
                   "stdin), all or none."),
    "init": Lazy("cli.actors:init", "Create the ledger, its master key, and the admin and "
                 "system actors."),
    "jobs": Lazy("cli.jobs:jobs", "Scheduled work (see cron/ for the crontab line and "
                 "systemd units)."),
    "projections": Lazy("cli.admin:projections", "The read models (case summary, clocks, "
                        "actions, decisions, chronology)."),
    "record": Lazy("cli.record:record", "Record one event on a case: cspr record TYPE "
                   "--case REF --data JSON."),
    "report": Lazy("cli.jobs:report", "Reports for the partnership's board and inspectors."),
    "restore": Lazy("cli.backup:restore_cmd", "Put a backup FILE back as the home's "
                    "database, then drop every data key the home's current master key "
                    "cannot open (cases erased after the backup), naming them."),
    "rule-set": Lazy("cli.admin:rule_set", "The timescales in force (wt2018-local, "
                     "wt2023)."),
    "serve": Lazy("cli.serve:serve", "Serve the web application (sign-in, Today, cases, "
                  "forms, co-signing) with waitress."),
    "verify": Lazy("cli.verify:verify_cmd", "Recompute the chain, check every signature, "
                   "signed head and role; exit 1 if anything is wrong."),
    "witness": Lazy("cli.witness:witness", "An independent witness: cosigns a ledger's "
                    "checkpoints only while they stay consistent with every checkpoint it "
                    "cosigned before (C2SP tlog-witness)."),
}


@click.group(cls=LazyGroup, lazy=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", envvar="CSPR_HOME", default="cspr-data", show_default=True,
              help="directory holding the SQLite file, keys/, outbox/ and reports/")
@click.option("--db", envvar="CSPR_DATABASE_URL", default=None,
              help="database URL (default sqlite:///<home>/ledger.sqlite)")
@click.option("--as", "actor", envvar="CSPR_ACTOR", default=None,
              help="the actor who records (signs) the events")
@click.pass_context
def cli(ctx: click.Context, home: str, db: str | None, actor: str | None) -> None:
    """cspr-ledger: a signed, tamper-evident ledger of Child Safeguarding Practice Reviews."""
    ctx.obj = Env(Path(home), db, actor)


@cli.command()
@click.argument("type_name", required=False)
def schema(type_name: str | None) -> None:
    """Print the JSON Schema of one event type, or of the whole catalogue."""
    from domain.catalogue import json_schema

    emit_json(json_schema(type_name))


if __name__ == "__main__":
    cli()
