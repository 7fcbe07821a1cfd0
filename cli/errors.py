"""The only place failures become exit codes (CLI.md): 2 bad input, 1 refused.

Every failure the product knows is a named ``CsprError``. Anything else is a bug or an
environment problem (a full disk, a lost database connection); it still must not print a
traceback, whose frames may hold the values being recorded (personal data), so it ends in
a one-line message naming only the exception's type, and exit 1. ``CSPR_DEBUG=1`` lets a
developer see the traceback instead.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from domain.errors import CsprError, InvalidInputError, RuleViolationError


class CsprGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidInputError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(2)
        except RuleViolationError as e:
            click.echo(f"refused: {e}", err=True)
            sys.exit(1)
        except CsprError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)
        except click.exceptions.BadParameter as e:
            # click's message quotes the value typed, which may be anything (a child's
            # name in the wrong option); say only what was expected. Still exit 2.
            e.message = _expected(e.param)
            raise
        except (click.exceptions.ClickException, click.exceptions.Exit,
                click.exceptions.Abort):
            raise  # click's own usage errors (exit 2), --help, Ctrl-C: click reports them
        except Exception as e:
            if os.environ.get("CSPR_DEBUG") == "1":
                raise
            # The type only: str(e) may quote a value (a key, a path, a row).
            click.echo(f"error: unexpected failure ({type(e).__name__}); set CSPR_DEBUG=1 "
                       "to see the traceback", err=True)
            sys.exit(1)


def _expected(param: click.Parameter | None) -> str:
    kind = getattr(param, "type", None)
    if isinstance(kind, click.Choice):
        return "expected one of: " + ", ".join(map(str, kind.choices))
    return f"expected {getattr(kind, 'name', 'another value')}"
