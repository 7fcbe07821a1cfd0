"""``cspr evidence``: export an evidence pack of one case or one period, and verify one
(the same code as the pack's own verify.py, imported from here, not a copy)."""

from __future__ import annotations

from pathlib import Path

import click

from cli.context import Env, emit_json, pass_env
from domain.errors import InvalidFieldError


@click.group()
def evidence() -> None:
    """Evidence packs for an inspector, the DfE or a challenge review: checked offline
    with the pack's verify.py and the partnership's published system vkey."""


@evidence.command("export")
@click.option("--case", "case_ref", help="the case whose events the pack holds")
@click.option("--from", "start", metavar="DATE", help="first day (London) of a period pack")
@click.option("--to", "end", metavar="DATE", help="last day (London) of a period pack")
@click.option("--since-checkpoint", type=click.Path(dir_okay=False), metavar="FILE",
              help="the checkpoint the recipient already holds (note or JSON): the pack "
                   "proves the ledger only grew since")
@click.option("--output", required=True, type=click.Path(), metavar="DIR",
              help="the pack's folder (must not exist); DIR.zip is written beside it")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def export(env: Env, case_ref: str | None, start: str | None, end: str | None,
           since_checkpoint: str | None, output: str, as_json: bool) -> None:
    """Export the events of --case REF, or of --from DATE --to DATE, with the key events,
    a signed checkpoint (a new one, signed by system or --as, if the latest does not
    cover them), an inclusion proof per event, index.html and verify.py. Personal data
    is left out."""
    from service.packs import Scope, export_pack
    from service.queries import parse_day

    if (case_ref is None) == (start is None and end is None) or \
            (case_ref is None and (start is None or end is None)):
        raise InvalidFieldError("--case", "either --case REF, or both --from and --to",
                                "missing or both")
    if case_ref is not None:
        scope = Scope("case", case=case_ref)
    else:
        first, last = parse_day(start, "--from"), parse_day(end, "--to")
        if last < first:
            raise InvalidFieldError("--to", "a day on or after --from", "before --from")
        scope = Scope("period", start=first, end=last)
    since = Path(since_checkpoint) if since_checkpoint else None
    done = export_pack(env.app(), env.home, scope, Path(output), since,
                       by=env.acting("system"))
    summary = {"folder": str(done.folder), "zip": str(done.zip), "events": done.events,
               "key_events": done.key_events, "checkpoint_size": done.size,
               "new_checkpoint": done.new_checkpoint}
    if as_json:
        emit_json(summary)
    else:
        click.echo(f"pack of {done.events} events (and {done.key_events} key events) "
                   f"under a checkpoint of {done.size} events written to {done.folder} "
                   f"and {done.zip}")


@evidence.command("verify")
@click.argument("pack", type=click.Path(exists=True))
@click.option("--vkey", "vkeys", multiple=True, envvar="CSPR_SYSTEM_VKEY", metavar="VKEY",
              help="the system key's vkey, pinned out of band (default: every system key "
                   "of the ledger at --home, read-only)")
@click.option("--witness", "witnesses", multiple=True, metavar="VKEY",
              help="also require this witness's cosignature of the checkpoint")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def verify(env: Env, pack: str, vkeys: tuple[str, ...], witnesses: tuple[str, ...],
           as_json: bool) -> None:
    """Check PACK (folder or .zip) exactly as its verify.py does; exit 1 with each
    problem and its position."""
    from evidence import verify_pack
    from service.witnessing import system_vkeys

    if not vkeys:
        app = env.home.open_for_verification()
        try:
            vkeys = tuple(v["vkey"] for v in system_vkeys(app))
        finally:
            app.close()
    args = [pack, *[a for v in vkeys for a in ("--vkey", v)],
            *[a for w in witnesses for a in ("--witness", w)], *(["--json"] if as_json else [])]
    code = verify_pack.main(args)
    if code == 2:
        raise InvalidFieldError("--vkey", "a C2SP vkey (name+keyhash+base64key)", "invalid")
    raise SystemExit(code)
