"""Commands that look after the ledger rather than a case: projections, rule sets."""

from __future__ import annotations

import click

from cli.context import Env, emit_json, pass_env
from cli.display import read_only_note
from domain.catalogue import RULE_SETS


@click.group()
def projections() -> None:
    """The read models (case summary, clocks, actions, decisions, chronology)."""


def _run(env: Env, rebuild: bool, as_json: bool) -> None:
    from projections.projector import Projector, UnreadableCasesError
    from service.calendar_england import england_calendar

    projector = Projector(env.app(), england_calendar())
    report = projector.rebuild() if rebuild else projector.update()
    out = {"events_read": report.events_read, "cases": report.cases_updated,
           "position": report.position, "failed_cases": report.failed_cases}
    if as_json:
        emit_json(out)
    else:
        click.echo(f"{'rebuilt from' if rebuild else 'read'} {out['events_read']} events: "
                   f"{out['cases']} cases updated, position {out['position']}")
    read_only_note(report.read_only_note())  # a replica: nothing updated, said why
    if report.failed_cases:
        raise UnreadableCasesError(report.failed_cases)


@projections.command("rebuild")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def projections_rebuild(env: Env, as_json: bool) -> None:
    """Drop the read models and rebuild them from the ledger."""
    _run(env, True, as_json)


@projections.command("update")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def projections_update(env: Env, as_json: bool) -> None:
    """Bring the read models up to date (read commands do this themselves)."""
    _run(env, False, as_json)


@click.group("rule-set")
def rule_set() -> None:
    """The timescales in force (wt2018-local, wt2023)."""


@rule_set.command("adopt")
@click.argument("name", type=click.Choice(RULE_SETS))
@click.option("--effective-from", required=True,
              help="cases opened (referral received) on or after this date use it")
@pass_env
def rule_set_adopt(env: Env, name: str, effective_from: str) -> None:
    """Adopt a rule set for cases opened from a date (signed by admin)."""
    from service.queries import parse_day
    from service.recording import record_event

    parse_day(effective_from, "effective_from")
    r = record_event(env.app(), env.home, env.acting("admin"), "rule-set-adopted", None,
                     {"rule_set": name, "effective_from": effective_from})
    click.echo(f"rule set {name} adopted from {effective_from} (position {r.position})")
