"""``cspr witness``: the independent witness's commands (parse, call witness/, print).

They need no ledger home, database or ledger key: ``--home`` is ignored. The clock is read
here, once per command.
"""

from __future__ import annotations

import base64
import os
import sys
import time
from pathlib import Path

import click

from cli.errors import CsprGroup
from cli.output import emit_json
from ledger.tlog import MAX_REQUEST_BYTES
from witness.cosign import cosign_checkpoint
from witness.errors import MalformedRequestError
from witness.key import PASSPHRASE_ENV
from witness.state import WitnessState

_STATE = click.option("--state", "state_dir", envvar="CSPR_WITNESS_STATE", required=True,
                      type=click.Path(file_okay=False),
                      help="the witness's state folder (its key, pinned keys, records)")


def _passphrase(ask: bool, confirm: bool) -> bytes | None:
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV].encode()
    if ask:
        return click.prompt("witness key passphrase", hide_input=True,
                            confirmation_prompt=confirm).encode()
    return None


@click.group(cls=CsprGroup)
def witness() -> None:
    """An independent witness: cosigns a ledger's checkpoints only while they stay
    consistent with every checkpoint it cosigned before (C2SP tlog-witness). Runs on
    its own machine, with its own key and --state folder; needs no ledger home."""


@witness.command("init")
@_STATE
@click.option("--name", required=True,
              help="the witness's key name, a schema-less URL (e.g. witness.example.org/w1)")
@click.option("--passphrase", is_flag=True,
              help=f"protect the key with a passphrase (prompted; or set {PASSPHRASE_ENV})")
@click.option("--json", "as_json", is_flag=True)
def init(state_dir: str, name: str, passphrase: bool, as_json: bool) -> None:
    """Create the state folder and the witness key; print its cosignature vkey, to be
    published and pinned by whoever checks the ledger."""
    os.umask(0o077)
    state = WitnessState.create(Path(state_dir), name, _passphrase(passphrase, True))
    if as_json:
        emit_json({"name": state.name, "vkey": state.vkey, "state": str(state.root),
                   "protected": state.key_protected()})
    else:
        click.echo(state.vkey)


@witness.command("trust")
@_STATE
@click.argument("vkey")
@click.option("--json", "as_json", is_flag=True)
def trust(state_dir: str, vkey: str, as_json: bool) -> None:
    """Pin a ledger's checkpoint key VKEY (as printed by 'cspr actor list --vkeys'); its
    name is the ledger's origin. Pin each new key when the ledger rotates its system key."""
    os.umask(0o077)
    key, added = WitnessState.open(Path(state_dir)).trust(vkey)
    if as_json:
        emit_json({"origin": key.name, "key_hash": key.key_hash.hex(), "added": added})
    else:
        click.echo(f"{'pinned' if added else 'already pinned'}: key {key.key_hash.hex()} "
                   "for its origin")


@witness.command("cosign")
@_STATE
@click.argument("request_file", type=click.File("rb"))
@click.option("--output", type=click.Path(dir_okay=False),
              help="write the cosigned checkpoint here (default: standard output)")
@click.option("--json", "as_json", is_flag=True)
def cosign(state_dir: str, request_file: click.utils.LazyFile, output: str | None,
           as_json: bool) -> None:
    """Cosign the checkpoint in REQUEST_FILE, an add-checkpoint body ('old N', the
    consistency proof from N, a blank line, the signed checkpoint; '-' reads standard
    input). Refused (exit 1, both checkpoints kept under evidence/) if it rolls back,
    splits the view or rewrites what was cosigned before."""
    os.umask(0o077)
    state = WitnessState.open(Path(state_dir))
    request = request_file.read(MAX_REQUEST_BYTES + 1)  # never more than the parser takes
    if len(request) > MAX_REQUEST_BYTES:
        raise MalformedRequestError("add-checkpoint request: larger than the limit")
    key = state.private_key(_passphrase(state.key_protected() and sys.stdin.isatty(), False))
    done = cosign_checkpoint(state, key, request, int(time.time()))
    if output:
        Path(output).write_text(done.note, encoding="utf-8")
    if as_json:
        emit_json({"origin": done.origin, "size": done.size, "timestamp": done.timestamp,
                   "root": base64.b64encode(done.root).decode(), "note": done.note,
                   "cosignature": done.cosignature, "output": output})
    elif not output:
        click.echo(done.note, nl=False)
    else:
        click.echo(f"cosigned size {done.size} at {done.timestamp}; written to {output}",
                   err=True)
