"""``cspr backup`` and ``cspr restore``: the database alone, never the keys."""

from __future__ import annotations

from pathlib import Path

import click

from cli.context import Env, emit_json, pass_env


@click.command("backup")
@click.option("--output", required=True, type=click.Path(dir_okay=False),
              help="the backup file to write (a SQLite file, 0600)")
@pass_env
def backup_cmd(env: Env, output: str) -> None:
    """Write a consistent copy of the ledger's database, while others may be writing.

    The master key is not in it: keep keys/ apart. A case erased after the backup stays
    erased when it is restored (its data key was wrapped by a master key that no longer
    exists). PostgreSQL: use pg_dump (the message says how)."""
    from service.backup import backup

    events = backup(env.home, Path(output))
    click.echo(f"backed up {events} events to {output} (no keys in it)")


@click.command("restore")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--home", "target", type=click.Path(file_okay=False),
              help="the home to restore into (default: the global --home); its "
                   "keys/master.key must be the current one")
@click.option("--replace", is_flag=True, help="replace the ledger already there")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def restore_cmd(env: Env, file: str | None, target: str | None, replace: bool,
                as_json: bool) -> None:
    """Put a backup FILE back as the home's database, then drop every data key the
    home's current master key cannot open (cases erased after the backup), naming them.

    Without FILE: only drop those keys, in the database --db names (after pg_restore)."""
    from service.backup import restore
    from service.home import Home

    home = Home(Path(target), env.home.db_url) if target else env.home
    done = restore(home, Path(file) if file else None, replace)
    if as_json:
        emit_json(done.as_json())
        return
    click.echo(f"restored {done.events} events into {home.root}; {done.keys_kept} data "
               f"keys kept, {len(done.dropped)} dropped (they no longer open: erased "
               "after the backup)")
    if done.dropped:
        click.echo(f"cases whose personal data stays erased: {', '.join(done.dropped)}")
