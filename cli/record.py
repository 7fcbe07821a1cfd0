"""``cspr record TYPE`` (one subcommand per catalogue type, so ``--help`` lists its fields)
and ``cspr import``."""

from __future__ import annotations

import sys
from typing import Any

import click

from domain.catalogue import EVENT_TYPES, describe
from domain.errors import UnknownEventTypeError
from service.recording import import_lines, parse_data, record_event
from cli.context import Env, emit_json, pass_env

RECORDABLE = [n for n, t in EVENT_TYPES.items() if t.stream in ("case", "review", "action")]


def _read_data(data: str | None, data_file: str | None) -> dict[str, Any]:
    if data is not None and data_file is not None:
        raise click.UsageError("give --data or --data-file, not both")
    if data_file is not None:
        text = sys.stdin.read() if data_file == "-" else open(data_file).read()
        return parse_data(text)
    return parse_data(data if data is not None else "{}")


def _make_command(type_name: str) -> click.Command:
    et = EVENT_TYPES[type_name]

    @click.pass_obj
    def run(env: Env, case: str, data: str | None, data_file: str | None,
            occurred_at: str | None, as_json: bool) -> None:
        receipt = record_event(env.app(), env.home, env.require_actor(), type_name, case,
                               _read_data(data, data_file), occurred_at)
        if as_json:
            emit_json(receipt.as_json())
        else:
            click.echo(f"recorded {receipt.type} on {receipt.case} at position "
                       f"{receipt.position} ({receipt.hash[:16]}…)")

    params = [
        click.Option(["--case"], required=True, help="the case reference"),
        click.Option(["--data"], help="the event's fields as a JSON object"),
        click.Option(["--data-file"], help="read the JSON object from a file, or - for stdin"),
        click.Option(["--occurred-at"], help="when it happened (ISO date or date-time; "
                                             "default now; never in the future)"),
        click.Option(["--json", "as_json"], is_flag=True, help="print the receipt as JSON"),
    ]
    return click.Command(type_name, callback=run, params=params, help=describe(type_name),
                         short_help=et.help, context_settings={"max_content_width": 100})


class RecordGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return RECORDABLE

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in RECORDABLE:
            raise UnknownEventTypeError(name, tuple(RECORDABLE))
        return _make_command(name)


@click.group(cls=RecordGroup)
def record() -> None:
    """Record one event on a case: cspr record TYPE --case REF --data JSON.

    TYPE is a kebab-case name from the event catalogue; `cspr record TYPE --help` lists
    its fields. Exit 2 for bad input, 1 when a rule of the procedure refuses it; nothing
    is appended in either case.
    """


@click.command("import")
@click.argument("file", type=click.File("r"))
@click.option("--json", "as_json", is_flag=True, help="print the receipts as JSON")
@pass_env
def import_(env: Env, file: Any, as_json: bool) -> None:
    """Append every line of a JSONL file, all or none.

    Each line is {"type", "case", "data", "occurred_at"?, "as"?}; "as" defaults to --as.
    """
    receipts = import_lines(env.app(), env.home, file, env.actor)
    if as_json:
        emit_json([r.as_json() for r in receipts])
    else:
        click.echo(f"imported {len(receipts)} events")
