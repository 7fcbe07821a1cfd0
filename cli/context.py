"""What every command shares: the home, the database, the acting actor, output helpers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import click

from domain import limits
from domain.errors import InvalidFieldError, RuleViolationError
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

    def acting(self, default: str) -> str:
        """Who signs a command that has a usual signer (admin, system): --as if given, so
        that the writer refuses an actor without the role instead of signing for them."""
        if self.actor is None:
            return default
        return self.require_actor()

    def only_as(self, signer: str, command: str) -> None:
        """For a command that can sign only as one actor (init bootstraps admin; the
        nightly is the system's): another --as is refused, never silently replaced."""
        if self.actor is not None and self.actor != signer:
            raise SignsOnlyAsError(command, signer)


class SignsOnlyAsError(RuleViolationError):
    def __init__(self, command: str, signer: str) -> None:
        # The --as value is not repeated: it was typed, and could be anything.
        super().__init__(f"'{command}' signs only as '{signer}': run it without --as or "
                         f"with --as {signer}")


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
