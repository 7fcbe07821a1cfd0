"""``cspr record TYPE`` (one subcommand per catalogue type, so ``--help`` lists its fields)
and ``cspr import``."""

from __future__ import annotations

import io
import json
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from domain import limits
from domain.catalogue import BY_THEIR_COMMANDS, EVENT_TYPES, ROLES
from domain.errors import InvalidFieldError, UnknownEventTypeError
from cli.context import Env, emit_json, pass_env

if TYPE_CHECKING:
    from ledger.heads import Head

CASE_STREAMS = ("case", "review", "action")
RECORDABLE = [n for n, t in EVENT_TYPES.items()
              if t.stream in CASE_STREAMS and n not in BY_THEIR_COMMANDS]
# The ledger-stream events a person records with `record`, which have no case: an admin's
# acknowledgement of a verify finding (issue 8) and the agency directory (issue 11; also
# `cspr directory agency` and `cspr directory ld-chair`).
WITHOUT_CASE = ["integrity-alarm-acknowledged", "agency-directory-entry-recorded",
                "ld-chair-contact-recorded"]


def _unreadable(option: str, problem: str, what: str) -> InvalidFieldError:
    # The path is not repeated back: it was typed, and a file name can be anything.
    return InvalidFieldError(option, what, problem)


def _read_text(path: str, option: str, limit: int) -> str:
    """The UTF-8 text of ``path`` (``-``: stdin), at most ``limit`` bytes, or exit 2."""
    what = f"a readable UTF-8 text file (or - for stdin) of at most {limit} bytes"
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(limit + 1)
        else:
            with open(path, "rb") as f:
                raw = f.read(limit + 1)
    except FileNotFoundError:
        raise _unreadable(option, "no such file", what) from None
    except IsADirectoryError:
        raise _unreadable(option, "a directory, not a file", what) from None
    except OSError as e:  # permission, a device that cannot be read, ...
        raise _unreadable(option, f"cannot be read ({type(e).__name__})", what) from None
    if len(raw) > limit:
        raise _unreadable(option, "too large", what)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _unreadable(option, "not UTF-8 text", what) from None


def _read_data(data: str | None, data_file: str | None) -> dict[str, Any]:
    from service.recording import parse_data

    if data is not None and data_file is not None:
        raise click.UsageError("give --data or --data-file, not both")
    if data_file is not None:
        return parse_data(_read_text(data_file, "--data-file", limits.DATA_MAX_BYTES))
    return parse_data(data if data is not None else "{}")


def _open_lines(path: str) -> Any:
    """The import file as UTF-8 text lines, whatever the locale; exit 2 if unreadable.

    A file is read twice (import validates every line before writing); stdin cannot be,
    and import_lines spools it. Bytes that are not UTF-8 surface while reading, as the
    import's exit 2 naming the file. A leading byte-order mark is skipped.
    """
    what = "a readable UTF-8 text file of JSON lines (or - for stdin)"
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig")
    try:
        return open(path, encoding="utf-8-sig")
    except FileNotFoundError:
        raise _unreadable("file", "no such file", what) from None
    except IsADirectoryError:
        raise _unreadable("file", "a directory, not a file", what) from None
    except OSError as e:
        raise _unreadable("file", f"cannot be read ({type(e).__name__})", what) from None


def _make_command(type_name: str) -> click.Command:
    et = EVENT_TYPES[type_name]

    @click.pass_obj
    def run(env: Env, case: str, data: str | None, data_file: str | None,
            occurred_at: str | None, as_json: bool, receipt_file: str | None) -> None:
        from service.receipts import check_receipt_target, write_receipt
        from service.recording import record_event

        if receipt_file:
            check_receipt_target(Path(receipt_file))
        receipt = record_event(env.app(), env.home, env.require_actor(), type_name, case,
                               _read_data(data, data_file), occurred_at)
        if receipt_file:
            write_receipt(Path(receipt_file), receipt.head)
        if as_json:
            emit_json(receipt.as_json())
        else:
            where = f" on {receipt.case}" if receipt.case else ""
            click.echo(f"recorded {receipt.type}{where} at position "
                       f"{receipt.position} ({receipt.hash[:16]}…)")
            _echo_head(receipt.head)

    params = [
        click.Option(["--case"], required=et.stream in CASE_STREAMS,
                     help="the case reference" if et.stream in CASE_STREAMS else
                     "none: this event is about the whole ledger (a case given is refused)"),
        click.Option(["--data"], help="the event's fields as a JSON object"),
        click.Option(["--data-file"], help="read the JSON object from a file, or - for stdin"),
        click.Option(["--occurred-at"], help="when it happened (ISO date or date-time; "
                                             "default now; never in the future)"),
        click.Option(["--json", "as_json"], is_flag=True, help="print the receipt as JSON"),
        _RECEIPT_OPTION,
    ]
    return click.Command(type_name, callback=run, params=params, help=_help(type_name),
                         short_help=et.help)


# Folded to fit an 80-column terminal after click's two-space indent.
_HELP_WIDTH = 76


def _paragraph(*lines: str) -> str:
    """One paragraph of help that click prints as laid out here ("\\b": no refolding),
    each line folded with its continuation indented under it."""
    folded = [textwrap.fill(line, _HELP_WIDTH, break_on_hyphens=False,
                            subsequent_indent=" " * (len(line) - len(line.lstrip()) + 2))
              for line in lines]
    return "\b\n" + "\n".join(folded)


def _field_paragraph(f: Any, prefix: str = "") -> list[str]:
    marks = ("" if f.required else "?") + (" P" if f.personal else "")
    default = f" (default {json.dumps(f.default)})" if f.default is not None else ""
    lines = [f"{prefix}{f.name}{marks}: {f.help}{default}", f"  expects {f.expected()}"]
    for sub in f.fields:  # an object's own fields, e.g. child.name
        lines += ["  " + line for line in _field_paragraph(sub, f"{f.name}.")]
    return lines


def _help(type_name: str) -> str:
    """The catalogue's description of TYPE (as `domain.catalogue.describe` gives it), laid
    out for a terminal: each field its own paragraph, so descriptions never run together."""
    t = EVENT_TYPES[type_name]
    head = [f"{t.name}: {t.help}",
            f"recorded by: {', '.join(r for r in ROLES if r in t.roles)}"]
    if t.rules:
        head.append(f"rules: {t.rules}")
    paragraphs = [_paragraph(*head), _paragraph("fields (? optional, P personal data):")]
    paragraphs += [_paragraph(*_field_paragraph(f)) for f in t.fields]
    conditions = [f"{target} is required when {condition} is {json.dumps(when)}"
                  for target, (condition, when) in t.required_when]
    if conditions:
        paragraphs.append(_paragraph(*conditions))
    return "\n\n".join(paragraphs)


class RecordGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return RECORDABLE + WITHOUT_CASE

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in RECORDABLE + WITHOUT_CASE:
            raise UnknownEventTypeError(name, tuple(RECORDABLE + WITHOUT_CASE))
        return _make_command(name)


@click.group(cls=RecordGroup)
def record() -> None:
    """Record one event on a case: cspr record TYPE --case REF --data JSON.

    TYPE is a kebab-case name from the event catalogue; `cspr record TYPE --help` lists
    its fields. Exit 2 for bad input, 1 when a rule of the procedure refuses it; nothing
    is appended in either case.
    """


_RECEIPT_OPTION = click.Option(
    ["--receipt", "receipt_file"], metavar="FILE",
    help="also write the signed head of this write to FILE: keep it, and `cspr verify "
         "--receipt FILE` proves later that the ledger still holds it")


def _echo_head(head: Head | None) -> None:
    if head is not None:
        click.echo(f"signed head: position {head.position}, chain {head.chain_hash[:16]}…, "
                   f"signed by {head.actor} (keep it with --receipt FILE)")


@click.command("import", params=[_RECEIPT_OPTION])
@click.argument("file")
@click.option("--json", "as_json", is_flag=True, help="print the receipts as JSON")
@pass_env
def import_(env: Env, file: str, as_json: bool, receipt_file: str | None) -> None:
    """Append every line of a JSONL file (UTF-8; - for stdin), all or none.

    Each line is {"type", "case", "data", "occurred_at"?, "as"?}; "as" defaults to --as.
    Each actor named signs with their own key, opened with their own passphrase:
    CSPR_KEY_PASSPHRASE_<ACTOR>, else CSPR_KEY_PASSPHRASE, else asked once per actor
    on the terminal (see 'cspr actor protect --help').
    The last receipt carries the import's signed head ("receipt").
    """
    from service.receipts import check_receipt_target, write_receipt
    from service.recording import import_lines

    if receipt_file:
        check_receipt_target(Path(receipt_file))
    with _open_lines(file) as lines:
        receipts = import_lines(env.app(), env.home, lines, env.actor)
    head = receipts[-1].head if receipts else None
    if receipt_file:
        write_receipt(Path(receipt_file), head)
    if as_json:
        emit_json([r.as_json() for r in receipts])
    else:
        click.echo(f"imported {len(receipts)} events")
        _echo_head(head)
