"""``cspr directory``: the agency directory that addresses the escalation letters (issue 11
item 11): record an agency's Head of Service and Chief Officer, or the L&D chair, from a
date, and list what is in force on a day."""

from __future__ import annotations

from typing import Any

import click

from cli.context import Env, emit_json, pass_env, table
from cli.display import read_only_note


@click.group()
def directory() -> None:
    """The agency directory: who receives each agency's escalation letters, and the L&D
    chair who is copied in.

    A letter (§13.4, §21.2) goes to the Head of Service or the Chief Officer of the
    action's agency in force on the escalation's date, copied to the L&D chair; an agency
    with no entry then gets its letter sent to the admin address with a warning
    (docs/cron.md). Agency names match ignoring case and repeated spaces.
    """


def _record(env: Env, type_name: str, data: str | None, data_file: str | None,
            as_json: bool) -> None:
    from cli.record import _read_data
    from service.recording import record_event

    receipt = record_event(env.app(), env.home, env.require_actor(), type_name, None,
                           _read_data(data, data_file))
    if as_json:
        emit_json(receipt.as_json())
    else:  # the names and addresses are not repeated: they were typed, and reach logs
        click.echo(f"recorded {receipt.type} at position {receipt.position} "
                   f"({receipt.hash[:16]}…)")


def _recording(command: Any) -> Any:  # the options both recording commands take
    for option in reversed((
            click.option("--data", help="the event's fields as a JSON object"),
            click.option("--data-file",
                         help="read the JSON object from a file, or - for stdin"),
            click.option("--json", "as_json", is_flag=True, help="print the receipt as JSON"),
            pass_env)):
        command = option(command)
    return command


@directory.command("agency")
@_recording
def agency(env: Env, data: str | None, data_file: str | None, as_json: bool) -> None:
    """Record an agency's Head of Service and Chief Officer from a date.

    \b
    --data '{"agency": "Agency A",
             "head_of_service": {"name": ..., "email": ...},
             "chief_officer": {"name": ..., "email": ...},
             "effective_from": "YYYY-MM-DD"}'

    A later effective_from replaces the agency's entry from that date. Signed by --as
    (admin, business_unit or ld_chair). Each field is described by 'cspr schema
    agency-directory-entry-recorded'; an email address is checked strictly (exit 2).
    """
    _record(env, "agency-directory-entry-recorded", data, data_file, as_json)


@directory.command("ld-chair")
@_recording
def ld_chair(env: Env, data: str | None, data_file: str | None, as_json: bool) -> None:
    """Record the L&D sub-group chair copied into every escalation letter, from a date.

    --data '{"name": ..., "email": ..., "effective_from": "YYYY-MM-DD"}'. Signed by --as
    (admin, business_unit or ld_chair).
    """
    _record(env, "ld-chair-contact-recorded", data, data_file, as_json)


def _person(p: dict[str, str]) -> str:
    return f"{p['name']} <{p['email']}>"


def _rows(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "head_of_service": _person(e["head_of_service"]),
             "chief_officer": _person(e["chief_officer"])} for e in entries]


_COLUMNS = [("agency", "AGENCY"), ("head_of_service", "HEAD OF SERVICE"),
            ("chief_officer", "CHIEF OFFICER"), ("effective_from", "FROM")]


@directory.command("list")
@click.option("--as-of", help="the London date whose directory is shown (default today)")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def list_(env: Env, as_of: str | None, as_json: bool) -> None:
    """The directory in force on a date, the entries taking effect later, and the agencies
    of open actions that have no entry (their letters would go to the admin address)."""
    from service.directory import Directory
    from service.queries import Queries, parse_day

    q = Queries(env.app())
    day = parse_day(as_of) or q.today
    open_agencies = [a["agency"] for a in q.actions(None, None) if a["status"] != "completed"]
    listing = Directory.load(q.app).listing(day, open_agencies)
    read_only_note(q.read_only_note)  # the open actions came from the read models
    if as_json:
        emit_json(listing)
        return
    chair = listing["ld_chair"]
    click.echo(f"Agency directory in force on {listing['as_of']}")
    click.echo("L&D sub-group chair: " + (
        f"{_person(chair)} (from {chair['effective_from']})" if chair else
        "none recorded (letters are copied to the admin address)"))
    click.echo()
    table(_rows(listing["agencies"]), _COLUMNS)
    if listing["upcoming"] or listing["upcoming_ld_chairs"]:
        click.echo("\nTaking effect later:")
        if listing["upcoming"]:
            table(_rows(listing["upcoming"]), _COLUMNS)
        for c in listing["upcoming_ld_chairs"]:
            click.echo(f"L&D sub-group chair from {c['effective_from']}: {_person(c)}")
    if listing["unlisted"]:
        click.echo("\nAgencies of open actions with no entry in force (their escalation "
                   "letters go to the admin address): " + "; ".join(listing["unlisted"]))
