"""``cspr jobs nightly`` and ``cspr report compliance``."""

from __future__ import annotations

from pathlib import Path

import click

from cli.context import Env, emit_json, pass_env
from cli.display import read_only_note
from cli.retention import retention_report


@click.group()
def jobs() -> None:
    """Scheduled work (see cron/ for the crontab line and systemd units)."""


@jobs.command("nightly")
@click.option("--as-of", help="the London date at whose end clocks are judged (default today)")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def nightly(env: Env, as_of: str | None, as_json: bool) -> None:
    """Verify what is new, record breached timescales and due escalations, send the
    letters, sign a checkpoint and write the compliance report. Safe to run twice. Exits
    1 while a verify finding is unacknowledged (nothing is then recorded) or a case could
    not be processed (every other case was)."""
    from jobs.nightly import run_nightly
    from service.queries import parse_day

    env.only_as("system", "jobs nightly")
    result = run_nightly(env.app(), env.home, parse_day(as_of))
    if as_json:
        emit_json(result.as_json())
    elif result.verify_ok:
        click.echo(f"nightly run for {result.as_of}: {result.breaches_recorded} breaches and "
                   f"{result.escalations_recorded} escalations recorded "
                   f"({result.already_recorded} already recorded); "
                   f"{result.messages_written} letters written, {result.messages_sent} sent; "
                   f"{result.events_verified} new events verified; checkpoint at "
                   f"{result.checkpoint_size}; report {result.report}")
    if not result.verify_ok:
        found = ", ".join(f"position {a['position']} ({a['kind']})" for a in result.alarms)
        click.echo(f"INTEGRITY ALARM: {len(result.alarms)} unacknowledged verify "
                   f"finding(s): {found}. Nothing was recorded and no checkpoint signed; "
                   "run 'cspr verify', then acknowledge each finding with 'cspr --as admin "
                   "record integrity-alarm-acknowledged' (docs/cron.md)", err=True)
    if result.letter_warnings:  # issue 11 item 11: codes and references only
        click.echo(f"LETTERS NOT ADDRESSED AS THE DIRECTORY INTENDS: "
                   f"{len(result.letter_warnings)} warning(s), "
                   f"{result.letters_unaddressed} letter(s) sent to the admin address for "
                   "want of an agency entry; see 'cspr directory list' (docs/cron.md)",
                   err=True)
    if result.failed_cases:
        click.echo(f"CASES NOT PROCESSED: {', '.join(result.failed_cases)}: their events "
                   "cannot be processed; every other case was (docs/cron.md)", err=True)
    if not result.ok:
        raise SystemExit(1)


@click.group()
def report() -> None:
    """Reports for the partnership's board and inspectors."""


report.add_command(retention_report)


def _period_report(command):  # the options every period report takes
    for option in reversed((
            click.option("--from", "since", required=True, help="first day of the period"),
            click.option("--to", "until", required=True, help="last day of the period"),
            click.option("--format", "fmt", type=click.Choice(["csv", "json", "html"]),
                         default="html", show_default=True),
            click.option("--output", type=click.Path(dir_okay=False),
                         help="write here (default stdout)"),
            pass_env)):
        command = option(command)
    return command


def _emit(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text)
        click.echo(f"written {output}")
    else:
        click.echo(text, nl=False)


@report.command("compliance")
@_period_report
def compliance_report(env: Env, since: str, until: str, fmt: str, output: str | None) -> None:
    """Timeliness per clock, the breaches, and overdue actions with their escalations."""
    from service.compliance_report import compliance_text
    from service.queries import Queries, parse_day

    start, end = parse_day(since, "from"), parse_day(until, "to")
    q = Queries(env.app())
    _emit(compliance_text(q, start, end, fmt), output)
    read_only_note(q.read_only_note)


@report.command("annual")
@_period_report
def annual_report(env: Env, since: str, until: str, fmt: str, output: str | None) -> None:
    """The annual report (§23.1, §22): referrals, decisions and their timeliness, reviews
    commissioned, completed and published, findings and improvements, actions completed,
    overdue, escalated and not implemented with the reasons, and learning from cases below
    threshold (§14). No personal data."""
    from domain.errors import InvalidFieldError
    from jobs.annual import annual_from_ledger
    from jobs.annual_render import to_csv, to_html, to_json
    from service.queries import parse_day

    start, end = parse_day(since, "from"), parse_day(until, "to")
    if start > end:
        raise InvalidFieldError("from", "a day on or before --to", "after --to")
    app = env.app()
    note = _read_only_note(app)
    rep = annual_from_ledger(app, start, end)
    _emit({"csv": to_csv, "json": to_json, "html": to_html}[fmt](rep), output)
    read_only_note(note)


def _read_only_note(app) -> str | None:
    """On a read-only copy, how far its read models reach (service.queries.Queries)."""
    from ledger.read_only import refuses_writes

    if not refuses_writes(app.engine):
        return None
    from projections.projector import Projector
    from service.calendar_england import england_calendar

    return Projector(app, england_calendar()).update().read_only_note()
