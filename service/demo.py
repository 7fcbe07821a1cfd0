"""``cspr demo``: a made-up partnership's ledger over the past year, then the nightly job
run over that year as cron would have run it, and what it found.

It runs unattended, so its made-up actors' keys are sealed under one made-up passphrase,
printed for whoever wants to record as them afterwards. A real ledger gives each person
their own (service.passphrases)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

from domain.calendar import london_date
from jobs.nightly import NightlyResult, run_nightly
from service import actors
from service.actors import load_actor_signer
from service.passphrases import SHARED, Passphrases, using
from service.calendar_england import england_calendar
from service.cosigning import cosign
from service.demo_cases import DEMO_CASES
from service.home import Home
from service.writer import Writer, make_intent

DEMO_ACTORS = {"bu1": ["business_unit"], "p1": ["partner"], "scrut": ["scrutineer"],
               "ldc": ["ld_chair"], "rev": ["reviewer"], "ag1": ["agency"]}
# Made up and printed: it protects only made-up keys in a demo home.
DEMO_PASSPHRASE = "demo-only-not-a-secret"
_OFFSET = re.compile(r"@(-?\d+)")


def _dated(value: Any, today: date) -> Any:
    if isinstance(value, str):
        return _OFFSET.sub(lambda m: (today + timedelta(days=int(m.group(1)))).isoformat(),
                           value)
    if isinstance(value, dict):
        return {k: _dated(v, today) for k, v in value.items()}
    if isinstance(value, list):
        return [_dated(v, today) for v in value]
    return value


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc)


def run_demo(home: Home, echo: Callable[[str], None],
             now: datetime | None = None) -> list[NightlyResult]:
    """Replay a year as it would have happened: each event recorded on the day it
    occurred, and the nightly job run every Monday at 01:30 (and last night)."""
    with using(Passphrases({SHARED: DEMO_PASSPHRASE})):
        results = _replay(home, echo, now or datetime.now(timezone.utc))
    echo(f"demo keys (admin, {', '.join(DEMO_ACTORS)}) are sealed under the made-up "
         f"passphrase '{DEMO_PASSPHRASE}': to record as one of them, "
         f"export {SHARED}={DEMO_PASSPHRASE}")
    return results


# Made-up people at a reserved domain (RFC 2606): nothing here can reach anyone.
DIRECTORY = (
    ("agency-directory-entry-recorded", {
        "agency": "Demo Agency C",
        "head_of_service": {"name": "Demo Head of Service", "email": "hos@agency-c.example"},
        "chief_officer": {"name": "Demo Chief Officer", "email": "co@agency-c.example"}}),
    ("ld-chair-contact-recorded", {"name": "Demo L&D Chair",
                                   "email": "ld-chair@partnership.example"}),
)


def _replay(home: Home, echo: Callable[[str], None], now: datetime) -> list[NightlyResult]:
    today = london_date(now)
    start = today - timedelta(days=365)
    actors.init_ledger(home, "Demoshire Safeguarding Children Partnership",
                       clock=lambda: _at(start, 9))
    app = home.open()
    for name, roles in DEMO_ACTORS.items():
        actors.add_actor(app, home, name, roles, clock=lambda: _at(start, 9, 30))
    signers = {a: load_actor_signer(home, a) for a in DEMO_ACTORS}
    # Issue 11 item 11: the directory the escalation letters are addressed from.
    opened = _at(start, 9, 45)
    Writer(app, lambda: opened).append(
        [make_intent(t, None, {**d, "effective_from": start.isoformat()}, start.isoformat(),
                     "bu1", opened) for t, d in DIRECTORY],
        {"bu1": signers["bu1"]})
    timeline = sorted((today + timedelta(days=offset), n, i, case, step)
                      for n, (case, steps) in enumerate(DEMO_CASES.items())
                      for i, step in enumerate(steps)
                      for offset in [step[2]])
    nights = [start + timedelta(days=d) for d in range(1, 366)
              if (start + timedelta(days=d)).weekday() == 0] + [today]
    calendar = england_calendar()
    results: list[NightlyResult] = []
    events = 0
    decided: dict[tuple[str, str], int] = {}  # (case, decision) -> its ledger position
    for night in nights:
        for day, _, _, case, (actor, type_name, _, data) in [e for e in timeline
                                                              if e[0] < night]:
            moment = _at(day, 14)
            if type_name == "decision-cosigned":  # by its command's service (issue 11)
                cosign(app, home, actor, decided[(case, data["decision"])],
                       clock=lambda m=moment: m)
                events += 1
                continue
            intent = make_intent(type_name, case, _dated(data, today), day.isoformat(),
                                 actor, moment)
            receipts = Writer(app, lambda m=moment: m).append([intent],
                                                              {actor: signers[actor]})
            decided[(case, type_name)] = receipts[0].position
            events += 1
        timeline = [e for e in timeline if e[0] >= night]
        r = run_nightly(app, home, as_of=night, calendar=calendar,
                        clock=lambda n=night: _at(n, 1, 30), smtp_url="")
        results.append(r)
        if r.breaches_recorded or r.escalations_recorded:
            echo(f"  night of {night}: {r.breaches_recorded} breach(es), "
                 f"{r.escalations_recorded} escalation(s) recorded")
    again = run_nightly(app, home, as_of=today, calendar=calendar,
                        clock=lambda: _at(today, 1, 45), smtp_url="")
    echo(f"  {today} run again: {again.breaches_recorded + again.escalations_recorded} new "
         f"events (each breach and escalation is recorded exactly once)")
    echo(f"built {home.root}: {len(DEMO_CASES)} made-up cases, {events} case events over "
         f"{start} to {today}, {len(nights)} nightly runs")
    return results + [again]
