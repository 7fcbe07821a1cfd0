"""``cspr verify``: recompute the chain and check every signature; needs no key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.context import Env, emit_json, pass_env


@click.command("verify")
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
    from service.evidence import load_checkpoint, verify
    from service.read_models import check_read_models
    from service.receipts import load_receipt
    from service.witnessing import witness_vkey

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
