"""What every command shares: the home, the database, the acting actor, output helpers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import click

from domain import limits
from domain.errors import InvalidFieldError
from ledger.app import LedgerApplication
from ledger.errors import MissingActorError
from service.home import Home


@dataclass
class Env:
    home: Home
    actor: str | None

    def app(self) -> LedgerApplication:
        return self.home.open()

    def require_actor(self) -> str:
        if not self.actor:
            raise MissingActorError()
        # Checked before the name is used to find a key file; not repeated back if wrong.
        if re.fullmatch(limits.ACTOR_PATTERN, self.actor) is None:
            raise InvalidFieldError("--as", limits.ACTOR_HELP, "invalid")
        return self.actor


pass_env = click.make_pass_decorator(Env)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> None:
    """A plain aligned table: what a scrutineer reads on a terminal or in a printout."""
    if not rows:
        click.echo("(none)")
        return
    cells = [[("" if r.get(k) is None else str(r.get(k))) for k, _ in columns] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, (_, h) in enumerate(columns)]
    click.echo("  ".join(h.ljust(w) for (_, h), w in zip(columns, widths)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for c in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip())
