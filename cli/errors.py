"""The only place failures become exit codes (CLI.md): 2 bad input, 1 refused."""

from __future__ import annotations

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
