"""``cspr checkpoint``: sign a checkpoint (JSON and C2SP note), offer it to a witness,
and record the witness's cosignature back in the ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cli.context import Env, emit_json, pass_env, table
from domain.errors import InvalidFieldError

_NOTE_LIMIT = 64 * 1024  # a cosigned checkpoint is a few hundred bytes


@click.group("checkpoint", invoke_without_command=True)
@click.option("--output", type=click.Path(dir_okay=False),
              help="write the checkpoint (JSON) here")
@click.option("--note", "note_file", type=click.Path(dir_okay=False),
              help="write the checkpoint as a C2SP signed note here (what a witness "
                   "cosigns and 'verify --checkpoint' also takes)")
@click.option("--proof-from", type=click.IntRange(min=0), metavar="SIZE",
              help="print the tlog-witness add-checkpoint request for the new checkpoint: "
                   "a consistency proof from SIZE, the size the witness last cosigned (0 "
                   "the first time), then the signed note; give it to 'cspr witness cosign'")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def checkpoint(ctx: click.Context, output: str | None, note_file: str | None,
               proof_from: int | None, as_json: bool) -> None:
    """Sign a checkpoint (event count, head hash, Merkle root) with the system key, as a
    JSON file and as a C2SP signed note under the ledger's origin."""
    if ctx.invoked_subcommand is not None:
        if output or note_file or proof_from is not None or as_json:
            raise click.UsageError("these options sign a new checkpoint; give them "
                                   "without a subcommand")
        return
    from service.evidence import create_checkpoint
    from service.witnessing import checkpoint_for_witness

    env = ctx.find_object(Env)
    by = env.acting("system")
    for option, path in (("--output", output), ("--note", note_file)):
        _check_target(option, path)  # before anything is signed or appended
    request = None
    if proof_from is None:
        cp = create_checkpoint(env.app(), env.home, by=by)
    else:
        cp, request = checkpoint_for_witness(env.app(), env.home, proof_from, by=by)
    if output:
        Path(output).write_text(json.dumps(cp, indent=2, sort_keys=True) + "\n")
    if note_file:
        Path(note_file).write_text(cp["note"])
    if as_json:
        emit_json(cp if request is None else {**cp, "add_checkpoint": request})
    elif request is not None:
        click.echo(request, nl=False)
    elif not output and not note_file:
        emit_json(cp)
    if not as_json and (output or note_file):
        click.echo(f"checkpoint of {cp['size']} events written to "
                   f"{' and '.join(f for f in (output, note_file) if f)}",
                   err=request is not None)


def _check_target(option: str, path: str | None) -> None:
    from service.targets import check_writable

    if path is not None:
        check_writable(Path(path), option)


@checkpoint.command("cosigned")
@click.argument("note_file", type=click.File("rb"))
@click.option("--witness", "vkey", required=True, envvar="CSPR_WITNESS_VKEY",
              metavar="VKEY",
              help="the witness's vkey (as 'cspr witness init' printed it)")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def cosigned(env: Env, note_file: Any, vkey: str, as_json: bool) -> None:
    """Record that the witness cosigned one of the ledger's checkpoints: NOTE_FILE is
    the note 'cspr witness cosign' gave back. Checked first (this ledger's origin, a
    checkpoint it signed of that size and root, a cosignature that verifies under
    --witness); appended as a signed checkpoint-cosigned event (by system, or --as)."""
    from service.witnessing import record_cosignature, witness_vkey

    key = witness_vkey(vkey)
    text = note_file.read(_NOTE_LIMIT + 1)
    if len(text) > _NOTE_LIMIT:
        raise InvalidFieldError("note", "a cosigned checkpoint note of at most 64 KiB",
                                "too large")
    recorded = record_cosignature(env.app(), env.home, text, key, by=env.acting("system"))
    if as_json:
        emit_json({"position": recorded.position, "size": recorded.size,
                   "recorded": recorded.new})
    elif recorded.new:
        click.echo(f"cosignature of the checkpoint of {recorded.size} events recorded at "
                   f"position {recorded.position}")
    else:
        click.echo(f"this cosignature was already recorded, at position "
                   f"{recorded.position}")


def show_vkeys(env: Env, as_json: bool) -> None:
    """``cspr actor list --vkeys``: the actors, then every system key's vkey (its name is
    the ledger's origin) with the positions it was in force. Read-only, no key needed."""
    from service.actors import list_actors
    from service.witnessing import system_vkeys

    app = env.home.open_for_verification()
    try:
        actors, vkeys = list_actors(app), system_vkeys(app)
    finally:
        app.close()
    if as_json:
        emit_json({"actors": actors, "system_vkeys": vkeys})
        return
    table([{**r, "roles": ",".join(r["roles"])} for r in actors],
          [("actor", "ACTOR"), ("roles", "ROLES"), ("key_id", "KEY ID"),
           ("revoked", "REVOKED")])
    click.echo("\nsystem keys, as C2SP vkeys (pin them to check checkpoint notes):")
    # A key retired at position p signed what came before p: checkpoints of fewer events.
    table([{**v, "positions": f"{v['from_position']}.." + (
        "" if v["until_position"] is None else str(v["until_position"] - 1))}
           for v in vkeys],
          [("positions", "IN FORCE"), ("key_id", "KEY ID"), ("vkey", "VKEY")])
