"""A command group that imports a subcommand's module only when that subcommand runs.

Loading every command's services (SQLAlchemy, the event store, cryptography) took over a
second before ``cspr`` could even print its help (issue 13). Each lazy subcommand is named
with the module that defines it and the first sentence of its help: ``cspr --help`` lists
that sentence instead of importing the module to read it. tests/cli/test_startup_imports.py
checks every sentence against the real command, so the two cannot drift apart.
"""

from __future__ import annotations

import importlib
from typing import Any, Mapping, NamedTuple

import click

from cli.errors import CsprGroup

# click 8.4+ suggests near names ("Did you mean ...?") from the commands it holds, which
# here are only the ones loaded so far; older click has no such exception (catch nothing).
_NO_SUCH_COMMAND: Any = getattr(click.exceptions, "NoSuchCommand", ())


class Lazy(NamedTuple):
    target: str  # "module:attribute", the click command it names
    summary: str  # the first sentence of the command's help, as `cspr --help` lists it


class LazyGroup(CsprGroup):
    def __init__(self, *args: Any, lazy: Mapping[str, Lazy] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            self.add_command(self.load(name), name)
        return super().get_command(ctx, name)

    def load(self, name: str) -> click.Command:
        module, _, attribute = self.lazy[name].target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[name].target} is not a click command")
        return command

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except _NO_SUCH_COMMAND as e:
            raise _NO_SUCH_COMMAND(e.command_name, e.message,
                                   possibilities=self.list_commands(ctx), ctx=e.ctx) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # As click's own listing, except that a command not loaded yet is not imported to
        # read its short help: a stand-in holding its summary gives the same text,
        # shortened the same way for the terminal's width.
        rows: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            if name in self.lazy and name not in self.commands:
                command: click.Command | None = click.Command(name,
                                                              help=self.lazy[name].summary)
            else:
                command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit))
                                    for name, command in rows])
