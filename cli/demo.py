"""``cspr demo``: a made-up partnership's ledger, to see the product work end to end."""

from __future__ import annotations

import click

from cli.context import Env, pass_env, table
from cli.display import named


@click.command()
@pass_env
def demo(env: Env) -> None:
    """Build a made-up partnership's ledger over the past year, run the nightly job over
    it, and show what it found. Use a fresh --home."""
    from service.demo import run_demo
    from service.evidence import verify
    from service.queries import Queries

    env.only_as("admin", "demo")  # it records as its own made-up actors
    results = run_demo(env.home, click.echo)
    last = results[-2]
    app = env.app()
    q = Queries(app)
    click.echo("\ncases:")
    table(q.case_list(), [("case", "CASE"), ("stage", "STAGE"), ("opened_on", "OPENED"),
                          ("breached", "BREACHED"), ("at_risk", "AT RISK"),
                          ("escalations", "ESCALATIONS")])
    click.echo("\nbroken or at-risk clocks today:")
    table(named([r for r in q.deadlines(None, None) if r["status"] in ("breached", "at_risk")
                 or r["recorded_late"]]),
          [("case", "CASE"), ("name", "CLOCK"), ("action", "ACTION"), ("due_on", "DUE"),
           ("status", "STATUS")])
    click.echo("\nactions:")
    table([{**a, "escalations": ", ".join(f"{e['level']} {e['on']}" for e in a["escalations"])}
           for a in q.actions(None, None)],
          [("case", "CASE"), ("action", "ACTION"), ("deadline", "DEADLINE"),
           ("status", "STATUS"), ("escalations", "ESCALATIONS")])
    report = verify(app)
    click.echo(f"\nverify: {report.events_checked} events, "
               f"{'intact' if report.ok else 'PROBLEMS'}; letters in {env.home.outbox}; "
               f"board report {last.report}")
