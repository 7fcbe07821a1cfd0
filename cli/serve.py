"""``cspr serve``: the web service over this home's ledger, served by waitress (issue 12).

Meant to run behind an HTTPS reverse proxy (docs/deploy.md): it listens on the loopback
address by default and marks its cookies Secure, so over plain http a browser would not
send them back; --insecure-cookies is for trying it locally over http only.
"""

from __future__ import annotations

import time
from typing import Any

import click

from cli.context import Env, pass_env


def warm_up(ledger: Any) -> None:
    """Bring the read models up to date before listening, so the first person to open a
    page does not wait for it (13 s over 200,000 events never projected, bench/web.py).
    Events recorded later, by this server or by cron's nightly, are projected by the
    next request that reads them (service.queries.Queries.projector), a few at a time."""
    from projections.projector import Projector
    from service.calendar_england import england_calendar

    click.echo("bringing the read models up to date before serving...", err=True)
    t0 = time.monotonic()
    report = Projector(ledger, england_calendar()).update()
    click.echo(f"read models up to date at position {report.position} "
               f"({_count(report.events_read, 'event')} read, "
               f"{_count(report.cases_updated, 'case')} updated, "
               f"{time.monotonic() - t0:.1f} s)", err=True)
    if report.failed_cases:
        click.echo(f"{len(report.failed_cases)} case(s) could not be read and are left out "
                   "of the pages that list cases: run 'cspr verify --projections'", err=True)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on (the HTTPS proxy's side)")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True,
              help="port to listen on")
@click.option("--insecure-cookies", is_flag=True,
              help="send cookies over plain http too (local trials only, never in service)")
@click.option("--idle-timeout", type=click.IntRange(1, 24 * 60), default=30,
              show_default=True, help="minutes of inactivity before a session ends")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True,
              help="requests served at once")
@click.option("--trusted-proxy", default=None, metavar="ADDRESS",
              help="the proxy's address, whose X-Forwarded-For and X-Forwarded-Proto are "
              "believed (docs/deploy.md)")
@pass_env
def serve(env: Env, host: str, port: int, insecure_cookies: bool, idle_timeout: int,
          threads: int, trusted_proxy: str | None) -> None:
    """Serve the web application (sign-in, Today, cases, forms, co-signing) with waitress.

    Each person signs in with their actor name, passphrase and a TOTP code, and types
    their passphrase again to sign. See docs/deploy.md for the HTTPS proxy in front, the
    cookies, the Content-Security-Policy and where sign-ins are logged
    (<home>/logs/sign-in.jsonl). Stop it with Ctrl-C.
    """
    import waitress

    from web.app import create_app
    from web.context import EXTENSION

    app = create_app(env.home, config={"SECURE_COOKIES": not insecure_cookies,
                                       "IDLE_TIMEOUT_MINUTES": idle_timeout})
    ledger = app.extensions[EXTENSION].ledger()  # an uninitialised home is refused now
    warm_up(ledger)
    proxy = {}
    if trusted_proxy:
        proxy = {"trusted_proxy": trusted_proxy, "trusted_proxy_count": 1,
                 "trusted_proxy_headers": "x-forwarded-for x-forwarded-proto",
                 "clear_untrusted_proxy_headers": True}
    click.echo(f"serving {app.extensions[EXTENSION].partnership() or 'the ledger'} on "
               f"http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    waitress.serve(app, host=host, port=port, threads=threads, ident="cspr", **proxy)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
