#!/usr/bin/env python
"""The web service's pages and forms, timed server side (issue 12).

    python bench/web.py [--events N] [--cases C] [--big-case-events B] [--runs R]
                        [--seed S] [--workers W] [--postgres-url URL [--drop-postgres]]
                        [--json]

On a working copy of a ledger built by ``bench/build_ledger.py`` (default 200,000 events
over 2,000 cases, plus one case of 1,000 events), in this one process: the app of
``web.app.create_app`` over that home (insecure cookies, a ticking test clock that starts
on the morning after the build), a person (bu1, the business unit) signed in through the
real pages with Flask's test client (passphrase, then TOTP enrolment, as
tests/web/conftest.SignIn does), the read models brought up to date as `cspr serve` does
before it listens (cli.serve.warm_up, timed), then R runs of each, ``time.perf_counter``
around the client call (what the server does for one request: routing, session, the
page's reads, rendering; no network, no browser):

1. ``GET /today``; baseline: ``web.today.today_json()`` in an app context (the queries the
   page wraps, without session checks or the template); and ``GET /cases?status=breached``,
   the list Today's counts link to (no target: shown for scale);
2. ``GET /cases/<the big case>``; baseline: ``web.case_data.case_page`` over a fresh
   ``Queries`` (the same reads, no template);
3. ``POST /record/reported-to-partners`` on a fresh case (its referral appended beforehand,
   untimed; the form's page loaded untimed for its CSRF token): validation, the key opened
   with the typed passphrase, signing, append, the 303 redirect. The passphrase's key
   derivation is timed inside each POST (``signer_for`` as web.record calls it, wrapped in
   this process) and subtracted from that POST, and timed alone too (stated);
   baseline: ``Writer.append`` of the same event on another fresh case with the key
   already open (the service path the form wraps).

The first request of each page (it opens the ledger) is reported apart. ``--postgres-url``
runs it all on PostgreSQL: the ledger's rows copied once into a template database kept for
reuse (bench/_postgres.py, as bench/scale.py; ``--drop-postgres`` drops it after), worked
on as ``cspr_bench_<tag>_<ledger>_web``, dropped after. Targets (issue 12): pages < 200 ms
median, a submission < 300 ms apart from the key derivation. Load average shown at start
and end. Report only: nothing asserts, nothing runs under pytest.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

_ROOT = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, str(_ROOT))
PASSPHRASE = "bench made-up passphrase"  # what build_ledger seals the made-up keys under
os.environ.setdefault("CSPR_KEY_PASSPHRASE", PASSPHRASE)

from werkzeug.datastructures import MultiDict  # noqa: E402

from bench._common import (  # noqa: E402
    OUT, copy_home, finish, machine, table, verdict, warn_if_loaded)
from bench import _postgres as pg  # noqa: E402
from bench.build_ledger import add_ledger_options, ensure_ledger  # noqa: E402
from cli.serve import warm_up  # noqa: E402
from service.home import Home  # noqa: E402
from service.queries import Queries  # noqa: E402
from service.calendar_england import england_calendar  # noqa: E402
from service.writer import Writer, make_intent  # noqa: E402
from tests.scenario import data  # noqa: E402
from tests.web.conftest import SignIn, csrf_token  # noqa: E402
from web import context  # noqa: E402
from web.app import create_app  # noqa: E402
from web.case_data import case_page  # noqa: E402
from web.signing import signer_for  # noqa: E402
from web.today import today_json  # noqa: E402
from web import record as web_record  # noqa: E402

ACTOR = "bu1"
# The morning after the build (its last record is on 2 Nov 2026): later than every record.
START = datetime(2026, 11, 3, 9, 0, tzinfo=timezone.utc)
REFERRAL = {"aware_on": "2025-12-18", "received_on": "2025-12-18", "incident_on": "2025-12-17"}
# reported-to-partners as a browser posts it: "on" and "occurred_at" as three boxes each.
REPORTED = [("on", "19"), ("on", "12"), ("on", "2025"),
            ("occurred_at", "19"), ("occurred_at", "12"), ("occurred_at", "2025")]


class BenchClock:
    """The app's clock: START moving with the wall clock, plus an offset SignIn moves
    (a TOTP code is used once per 30-second step)."""

    def __init__(self, start: datetime) -> None:
        self.start, self.t0, self.offset = start, time.perf_counter(), timedelta()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.perf_counter() - self.t0) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


def stats(samples: list[float]) -> dict[str, Any]:
    """Milliseconds: n, median, p90 (nearest rank), min, max."""
    s = sorted(x * 1000 for x in samples)
    p90 = s[max(0, -(-9 * len(s) // 10) - 1)]
    return {"n": len(s), "median_ms": round(statistics.median(s), 2),
            "p90_ms": round(p90, 2), "min_ms": round(s[0], 2), "max_ms": round(s[-1], 2)}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _get(client: Any, path: str) -> Callable[[], Any]:
    def call() -> Any:
        r = client.get(path)
        if r.status_code != 200:
            raise RuntimeError(f"GET {path} answered {r.status_code}")
        return r
    return call


def working_home(built: Any, args: Any, progress: Any) -> Home:
    """A fresh working copy of the built home: its SQLite file, or (``--postgres-url``) its
    keys and a working copy of the PostgreSQL template."""
    root = OUT / "work" / "web" / ("home" if args.postgres_url is None else "home-postgres")
    if args.postgres_url is None:
        return Home(copy_home(built.home_root, root))
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    shutil.copytree(built.home_root / "keys", root / "keys")
    template = pg.ensure_copy(built.key, built.home_root, args.postgres_url, progress)
    return Home(root, pg.working_copy(args.postgres_url, template,
                                      pg.database_name(built.key, "_web")))


def run(args: Any, progress: Any) -> dict[str, Any]:
    compileall.compile_dir(_ROOT / "web", quiet=1)  # as _common.precompile, for web/
    warn_if_loaded(progress)
    built = ensure_ledger(args.events, args.cases, args.big_case_events, args.seed,
                          args.workers, progress=progress)
    try:
        return _run(built, working_home(built, args, progress), args, progress)
    finally:
        if args.postgres_url is not None:
            pg.drop(args.postgres_url, pg.database_name(built.key, "_web"))
            if args.drop_postgres:
                pg.drop(args.postgres_url, pg.database_name(built.key))


def _run(built: Any, home: Home, args: Any, progress: Any) -> dict[str, Any]:
    clock = BenchClock(START)
    app = create_app(home, clock=clock, config={"TESTING": True, "SECURE_COOKIES": False})
    client = app.test_client()
    t_sign_in, _ = timed(lambda: SignIn(clock)(client, ACTOR, passphrase=PASSPHRASE))
    progress(f"{ACTOR} signed in (passphrase, TOTP enrolment) in {t_sign_in:.2f} s")
    big = built.big_ref
    case_path = "/cases/" + quote(big, safe="")
    with app.app_context():
        t_warm, _ = timed(lambda: warm_up(context.ledger()))
    progress(f"read models brought up to date (cspr serve's warm-up) in {t_warm:.1f} s")
    out: dict[str, Any] = {"machine": machine(), "ledger": built.key,
                           "database": "postgresql" if home.db_url else "sqlite",
                           "warm_up_seconds": round(t_warm, 2),
                           "ledger_events": built.meta["ledger_size"],
                           "cases": built.meta["cases"], "big_case": big,
                           "big_case_events": built.meta["big_case"]["events"],
                           "runs": args.runs, "sign_in_seconds": round(t_sign_in, 3)}
    first: dict[str, float] = {}
    for name, path in (("today", "/today"), ("case", case_path)):
        first[name], page = timed(_get(client, path))
        out[f"{name}_page_bytes"] = len(page.get_data())
    out["first_request_ms"] = {k: round(v * 1000, 1) for k, v in first.items()}
    progress(f"first requests: {out['first_request_ms']} ms")

    samples: dict[str, list[float]] = {k: [] for k in (
        "today", "today_data", "list", "case", "case_data", "post", "post_kdf", "kdf",
        "writer_append")}
    with app.app_context():
        for _ in range(args.runs):  # page and its baseline interleaved: the same load
            samples["today"].append(timed(_get(client, "/today"))[0])
            with app.test_request_context("/today"):
                samples["today_data"].append(timed(today_json)[0])
            samples["list"].append(timed(_get(client, "/cases?status=breached"))[0])
            samples["case"].append(timed(_get(client, case_path))[0])
            samples["case_data"].append(timed(lambda: case_page(
                Queries(context.ledger(), clock(), england_calendar()), big))[0])
        progress("pages timed")

        ledger = context.ledger()
        signer = signer_for(home, ACTOR, PASSPHRASE)
        signers = {ACTOR: signer}
        # The key derivation inside each POST, timed where web.record calls it (a wrapper
        # in this process only): the rest of the request is the POST less that call.
        inside: list[float] = []

        def timed_signer_for(*a: Any) -> Any:
            t, got = timed(lambda: signer_for(*a))
            inside.append(t)
            return got

        web_record.signer_for = timed_signer_for
        stamp = f"{os.getpid()}"
        for i in range(args.runs):
            for kind in ("web", "svc"):
                ref = f"WB-{stamp}-{kind}-{i:03d}"
                Writer(ledger, clock).append([make_intent(
                    "incident-referred", ref, data("incident-referred", **REFERRAL),
                    "2025-12-18", ACTOR, clock())], signers)
            web_ref = f"WB-{stamp}-web-{i:03d}"
            page = client.get(f"/record/reported-to-partners?case={quote(web_ref)}")
            form = MultiDict(REPORTED + [("case", web_ref),
                                         ("passphrase", PASSPHRASE),
                                         ("csrf_token", csrf_token(page.get_data(True)))])
            samples["kdf"].append(timed(lambda: signer_for(home, ACTOR, PASSPHRASE))[0])
            inside.clear()
            t, r = timed(lambda: client.post("/record/reported-to-partners", data=form))
            if r.status_code != 303 or len(inside) != 1:
                raise RuntimeError(f"the form answered {r.status_code}, not 303")
            samples["post"].append(t)
            samples["post_kdf"].append(inside[0])
            intent = make_intent("reported-to-partners", f"WB-{stamp}-svc-{i:03d}",
                                 data("reported-to-partners", on="2025-12-19"),
                                 "2025-12-19", ACTOR, clock())
            samples["writer_append"].append(timed(
                lambda: Writer(ledger, clock).append([intent], signers))[0])
        progress("form submissions timed")
    context_state = app.extensions[context.EXTENSION]
    context_state.close()

    out["timings"] = {k: stats(v) for k, v in samples.items()}
    out["loadavg_at_end"] = round(os.getloadavg()[0], 2)
    web_record.signer_for = signer_for
    out["post_minus_kdf"] = stats([p - k for p, k in zip(samples["post"],
                                                         samples["post_kdf"])])
    t = out["timings"]
    out["ratios"] = {
        "today page / today_json": round(
            t["today"]["median_ms"] / t["today_data"]["median_ms"], 2),
        "case page / case_page data": round(
            t["case"]["median_ms"] / t["case_data"]["median_ms"], 2),
        "POST minus KDF / Writer.append": round(
            out["post_minus_kdf"]["median_ms"] / t["writer_append"]["median_ms"], 2),
    }
    out["targets"] = {
        "today < 200 ms median": verdict(t["today"]["median_ms"] < 200),
        "case < 200 ms median": verdict(t["case"]["median_ms"] < 200),
        "POST minus KDF < 300 ms median": verdict(out["post_minus_kdf"]["median_ms"] < 300),
    }
    return out


def render(out: dict[str, Any]) -> str:
    t = out["timings"]
    names = {
        "today": "GET /today", "today_data": "  baseline: today_json()",
        "list": "GET /cases?status=breached (Today's link)",
        "case": f"GET /cases/{out['big_case']} ({out['big_case_events']} events)",
        "case_data": "  baseline: case_page(Queries)",
        "post": "POST /record/reported-to-partners (whole)",
        "post_kdf": "  of which: key derivation (signer_for in the POST)",
        "kdf": "  key derivation alone (signer_for, before each POST)",
        "writer_append": "  baseline: Writer.append, key already open",
    }
    rows = [[names[k], v["n"], v["median_ms"], v["p90_ms"], v["min_ms"], v["max_ms"]]
            for k, v in t.items()]
    p = out["post_minus_kdf"]
    rows.insert(8, ["  POST minus its own key derivation", p["n"], p["median_ms"],
                    p["p90_ms"], p["min_ms"], p["max_ms"]])
    head = (f"ledger {out['ledger']} on {out['database']}: {out['ledger_events']} events, "
            f"{out['cases']} cases; {out['runs']} runs each; read models brought up to "
            f"date before serving in {out['warm_up_seconds']} s; first requests (ms): "
            f"{out['first_request_ms']}; load average {out['machine']['loadavg_at_start']} "
            f"at start, {out['loadavg_at_end']} at end")
    ratios = table(["ratio (medians)", "value"],
                   [[k, f"{v}x"] for k, v in out["ratios"].items()])
    targets = table(["target (issue 12)", "verdict"],
                    [[k, v] for k, v in out["targets"].items()])
    return "\n\n".join([head, table(["what (server side, in-process)", "n", "median ms",
                                     "p90 ms", "min ms", "max ms"], rows), ratios, targets])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_ledger_options(parser)
    parser.add_argument("--runs", type=int, default=20, help="runs of each (default 20)")
    parser.add_argument("--postgres-url", default=None, metavar="URL",
                        help="run on PostgreSQL: a copy of the ledger in a database of its "
                        f"own on this server, dropped after (e.g. {pg.DEFAULT_ADMIN_URL})")
    parser.add_argument("--drop-postgres", action="store_true",
                        help="also drop the cached PostgreSQL template copy afterwards")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return finish(run, parser.parse_args(argv), render)


if __name__ == "__main__":
    sys.exit(main())
