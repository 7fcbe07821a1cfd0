"""What every command shares: the home, the database, the acting actor, where passphrases
come from, output helpers."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from domain import limits
from domain.errors import InvalidFieldError, RuleViolationError
from cli.output import emit_json  # noqa: F401  (re-exported: every command prints JSON)

if TYPE_CHECKING:  # the database stack is loaded by the first command that opens it
    from ledger.app import LedgerApplication
    from ledger.reader import LedgerReader
    from service.home import Home


def ask_on_terminal(prompt: str, twice: bool) -> str:
    # On stderr, so --json output stays clean; hidden, and never repeated in any message.
    return click.prompt(prompt, hide_input=True, confirmation_prompt=twice, err=True)


@dataclass
class Env:
    root: Path
    db: str | None
    actor: str | None

    @cached_property
    def home(self) -> Home:
        """Made when a command first needs it, so that `--help` and commands without a
        ledger load neither the database stack nor the key code."""
        from service import passphrases
        from service.home import Home

        # Every key is found under the home, so every passphrase is asked for after this.
        # One not in the environment is asked only where someone can type it: under cron,
        # or with input piped in, the command is refused instead of waiting.
        passphrases.install(passphrases.Passphrases(
            ask=ask_on_terminal if sys.stdin is not None and sys.stdin.isatty() else None))
        return Home(self.root, self.db)

    def app(self) -> LedgerApplication:
        return self.home.open()

    def reader(self) -> LedgerReader | LedgerApplication:
        """The ledger for a command that reads the read models and the events' indexed
        columns only: opened without the event store (ledger.reader, issue 13). Closed
        when the command ends: a SQLite connection left open keeps the last writes in
        the -wal file, which a copy of the database file alone would miss."""
        reader = self.home.open_reader()
        click.get_current_context().call_on_close(reader.close)
        return reader

    def require_actor(self) -> str:
        if not self.actor:
            from ledger.errors import MissingActorError  # loads eventsourcing: not at start-up

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
