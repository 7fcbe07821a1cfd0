"""JSON output, kept apart from cli.context so that the witness's own command
(``cspr-witness``) starts without loading the ledger's database stack."""

from __future__ import annotations

import json
from typing import Any

import click


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))
