"""The ``cspr`` command: parse, call one service, print. Exit codes live in cli.errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.context import Env, emit_json, pass_env, table
from cli.errors import CsprGroup
from cli.admin import projections, rule_set
from cli.backup import backup_cmd, restore_cmd
from cli.erase import case_erase
from cli.retention import retention_report
from cli.checkpoints import checkpoint, show_vkeys
from cli.evidence import evidence
from cli.jobs import jobs, report
from cli.keys import PASSPHRASE_RULE, actor_protect, typed
from cli.reads import actions, case, deadlines
from cli.record import import_, record
from cli.witness import witness
from domain.catalogue import RULE_SETS, ROLES, json_schema
from service import actors as actor_service
from service.evidence import load_checkpoint, verify
from service.witnessing import witness_vkey
from service.demo import run_demo
from service.home import Home
from service.receipts import load_receipt
from service.queries import Queries
from service.read_models import check_read_models


@click.group(cls=CsprGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", envvar="CSPR_HOME", default="cspr-data", show_default=True,
              help="directory holding the SQLite file, keys/, outbox/ and reports/")
@click.option("--db", envvar="CSPR_DATABASE_URL", default=None,
              help="database URL (default sqlite:///<home>/ledger.sqlite)")
@click.option("--as", "actor", envvar="CSPR_ACTOR", default=None,
              help="the actor who records (signs) the events")
@click.pass_context
def cli(ctx: click.Context, home: str, db: str | None, actor: str | None) -> None:
    """cspr-ledger: a signed, tamper-evident ledger of Child Safeguarding Practice Reviews."""
    ctx.obj = Env(Home(Path(home), db), actor)


@cli.command(epilog=PASSPHRASE_RULE)
@click.option("--partnership", required=True, help="the safeguarding partnership's name")
@click.option("--rule-set", type=click.Choice(RULE_SETS), default="wt2018-local",
              show_default=True, help="the timescales this partnership works to")
@pass_env
def init(env: Env, partnership: str, rule_set: str) -> None:
    """Create the ledger, its master key, and the admin and system actors. The admin key
    is sealed under admin's passphrase; the system key is kept in clear (0600) for cron."""
    env.only_as("admin", "init")  # admin registers itself: nobody else exists yet
    receipts = actor_service.init_ledger(env.home, partnership, rule_set)
    click.echo(f"initialised {env.home.root} ({len(receipts)} events; keys in "
               f"{env.home.keys})")


@cli.group()
def actor() -> None:
    """Register, rotate, revoke and list the people and systems who sign events."""


_ASK = click.option("--passphrase", is_flag=True,
                    help="ask for NAME's new passphrase (twice) even if a "
                         "CSPR_KEY_PASSPHRASE variable is set")


@actor.command("add", epilog=PASSPHRASE_RULE)
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@_ASK
@pass_env
def actor_add(env: Env, name: str, roles: tuple[str, ...], passphrase: bool) -> None:
    """Create a key pair for NAME, sealed under NAME's passphrase, and register its public
    key and roles (signed by admin, or by the --as actor, who must hold the admin role
    and give their own passphrase)."""
    r = actor_service.add_actor(env.app(), env.home, name, list(roles), typed(passphrase),
                                by=env.acting("admin"))
    click.echo(f"registered {name} at position {r.position}; private key in "
               f"{actor_service.private_key_path(env.home, name)}")


@actor.command("rotate", epilog=PASSPHRASE_RULE)
@click.argument("name")
@_ASK
@pass_env
def actor_rotate(env: Env, name: str, passphrase: bool) -> None:
    """Replace NAME's key (the new one sealed under NAME's passphrase); events it signed
    before stay valid under the old key."""
    r = actor_service.rotate_actor(env.app(), env.home, name, typed(passphrase),
                                   by=env.acting("admin"))
    click.echo(f"rotated {name} at position {r.position}")


@actor.command("revoke")
@click.argument("name")
@click.option("--reason", required=True)
@pass_env
def actor_revoke(env: Env, name: str, reason: str) -> None:
    """Stop NAME signing from now on; its earlier events stay valid."""
    r = actor_service.revoke_actor(env.app(), env.home, name, reason,
                                   by=env.acting("admin"))
    click.echo(f"revoked {name} at position {r.position}")


actor.add_command(actor_protect)


@actor.command("list")
@click.option("--vkeys", is_flag=True, help="also the C2SP vkey of every system key, "
              "current and retired, with the positions it was in force: what a witness "
              "and an inspector pin (read-only: runs on a copy with no keys)")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def actor_list(env: Env, vkeys: bool, as_json: bool) -> None:
    """List the registered actors, their roles and key ids."""
    if vkeys:
        show_vkeys(env, as_json)
        return
    rows = actor_service.list_actors(env.app())
    if as_json:
        emit_json(rows)
    else:
        table([{**r, "roles": ",".join(r["roles"])} for r in rows],
              [("actor", "ACTOR"), ("roles", "ROLES"), ("key_id", "KEY ID"),
               ("revoked", "REVOKED")])


for _command in (record, import_, case, deadlines, actions, projections, rule_set, jobs,
                 report, witness, checkpoint, backup_cmd, restore_cmd):
    cli.add_command(_command)
case.add_command(case_erase)
cli.add_command(evidence)
report.add_command(retention_report)


@cli.command("verify")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(dir_okay=False),
              help="also prove the ledger only grew since this checkpoint (the JSON file, "
                   "or the C2SP note, cosigned or not)")
@click.option("--receipt", "receipt_files", multiple=True, type=click.Path(dir_okay=False),
              help="also prove the ledger still holds this receipt (from record/import "
                   "--receipt); repeatable")
@click.option("--witness", "witness_vkeys", multiple=True, metavar="VKEY",
              help="also require the checkpoints cosigned by this witness (its vkey, "
                   "pinned out of band), and the --checkpoint note too; repeatable")
@click.option("--projections", "check_views", is_flag=True,
              help="also rebuild every read model from the events in a scratch database "
                   "and report each row that differs")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def verify_cmd(env: Env, checkpoint_file: str | None, receipt_files: tuple[str, ...],
               witness_vkeys: tuple[str, ...], as_json: bool, check_views: bool) -> None:
    """Recompute the chain, check every signature, signed head and role; exit 1 if
    anything is wrong.

    Needs no key: a copy of the database is enough, and it is only read."""
    cp = load_checkpoint(Path(checkpoint_file)) if checkpoint_file else None
    receipts = [load_receipt(Path(f)) for f in receipt_files]
    witnesses = [witness_vkey(v, "--witness") for v in witness_vkeys]
    app = env.home.open_for_verification()
    try:
        size = app.size()
        show = not as_json and size > 5000 and click.get_text_stream("stderr").isatty()
        with click.progressbar(length=size, label="verifying", file=click.get_text_stream(
                "stderr")) if show else _NoBar() as bar:
            report = verify(app, cp, progress=bar.update, receipts=receipts,
                            witnesses=witnesses)
        views = check_read_models(app, report) if check_views else None
    finally:
        app.close()  # SQLite removes its -wal and -shm files when the last connection goes
    if as_json:
        emit_json({**report.as_json(), **({"projections": views.as_json()} if views else {})})
    else:
        for p in sorted(report.problems, key=lambda p: p.position):
            seen = ("" if p.acknowledged_at is None
                    else f" (acknowledged at position {p.acknowledged_at})")
            click.echo(f"position {p.position}: {p.kind}: {p.detail}{seen}")
        status = "intact" if report.ok else f"{len(report.problems)} problem(s)"
        click.echo(f"{report.events_checked} events checked: {status}")
        if views is not None:
            click.echo(views.summary())
    raise SystemExit(0 if report.ok else 1)


class _NoBar:
    def __enter__(self) -> "_NoBar":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def update(self, n: int) -> None:
        return None


@cli.command()
@pass_env
def demo(env: Env) -> None:
    """Build a made-up partnership's ledger over the past year, run the nightly job over
    it, and show what it found. Use a fresh --home."""
    env.only_as("admin", "demo")  # it records as its own made-up actors
    results = run_demo(env.home, click.echo)
    last = results[-2]
    app = env.app()
    q = Queries(app)
    click.echo("\ncases:")
    table(q.case_list(), [("case", "CASE"), ("stage", "STAGE"), ("opened_on", "OPENED"),
                          ("breached", "BREACHED"), ("at_risk", "AT RISK")])
    click.echo("\nbroken or at-risk clocks today:")
    table([r for r in q.deadlines(None, None) if r["status"] in ("breached", "at_risk")
           or r["recorded_late"]],
          [("case", "CASE"), ("clock", "CLOCK"), ("action", "ACTION"), ("due_on", "DUE"),
           ("status", "STATUS")])
    click.echo("\nactions:")
    table([{**a, "escalations": ", ".join(f"{e['level']} {e['on']}" for e in a["escalations"])}
           for a in q.actions(None, None)],
          [("case", "CASE"), ("action", "ACTION"), ("deadline", "DEADLINE"),
           ("status", "STATUS"), ("escalations", "ESCALATIONS")])
    report = verify(app)
    click.echo(f"\nverify: {report.events_checked} events, "
               f"{'intact' if report.ok else 'PROBLEMS'}; letters in {env.home.outbox}; "
               f"board report {last.report}")


@cli.command()
@click.argument("type_name", required=False)
def schema(type_name: str | None) -> None:
    """Print the JSON Schema of one event type, or of the whole catalogue."""
    emit_json(json_schema(type_name))


if __name__ == "__main__":
    cli()
