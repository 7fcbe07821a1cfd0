"""``cspr report retention``: cases past the partnership's retention period."""

from __future__ import annotations

import click

from cli.context import Env, emit_json, pass_env, table


@click.command("retention")
@click.option("--older-than", "days", required=True, type=int, metavar="DAYS",
              envvar="CSPR_RETENTION_DAYS",
              help="the partnership's retention period, in days (its policy: no default)")
@click.option("--as-of", help="the London date the period is counted back from (default "
              "today)")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def retention_report(env: Env, days: int, as_of: str | None, as_json: bool) -> None:
    """Cases whose last event is older than the retention period and whose personal
    data is not erased yet, each with the command that erases it (an admin and a
    co-signer run it)."""
    from jobs.retention import retention
    from service.queries import Queries, parse_day

    q = Queries(env.app())
    rows = [r.as_json() for r in retention(q.app, days, parse_day(as_of) or q.today)]
    if as_json:
        emit_json(rows)
        return
    table(rows, [("case", "CASE"), ("last_event_on", "LAST EVENT"), ("days_since", "DAYS"),
                 ("has_personal_data", "PERSONAL DATA"), ("status", "STATUS")])
    for r in rows:
        click.echo(f"  {r['erase_command']}")
