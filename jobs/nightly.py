"""The nightly job: record what broke, climb the ladder, tell people, seal the day.

Run as the ``system`` actor for a London date (default today). Each breach and escalation
is appended in a transaction of its own, so a run killed half-way leaves only whole events
and the next run finds the rest still due. Events are deterministic (see jobs.detect) and
the procedure refuses a second copy of any of them, so a second run for the same date, or
two runs at once on two hosts, append each exactly once, on SQLite and PostgreSQL alike.
Messages are derived from the events appended since the last checkpoint, so a message
lost to a crash is written by the next run; the outbox never writes or sends one twice.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select

from domain.calendar import WorkingDayCalendar, add_months, london_date
from domain.errors import InvalidFieldError, UnknownRuleSetError
from domain.rules import (
    ActionClosedError,
    DuplicateBreachError,
    DuplicateEscalationError,
)
from jobs import detect
from jobs.compliance import compliance
from jobs.delivery import deliver
from jobs.messages import breach_message, escalation_message
from jobs.outbox import Outbox
from jobs.render import to_csv, to_html, to_json
from ledger.app import LedgerApplication
from ledger.verify import verify_ledger
from projections import read
from projections.projector import Projector
from domain.rulesets import get_rule_set
from service.actors import load_actor_signer
from service.calendar_england import england_calendar
from service.evidence import create_checkpoint
from service.home import Home
from service.writer import Writer, make_intent

# Already recorded by another run, or made moot by a later fact: not this run's to add.
_SETTLED = (DuplicateBreachError, DuplicateEscalationError, ActionClosedError)


@dataclass
class NightlyResult:
    as_of: str
    breaches_recorded: int = 0
    escalations_recorded: int = 0
    already_recorded: int = 0
    messages_written: int = 0
    messages_sent: int = 0
    messages_failed: int = 0
    messages_held: int = 0
    relay_error: str | None = None
    events_verified: int = 0
    verify_ok: bool = True
    problems: list[dict[str, Any]] = field(default_factory=list)
    checkpoint_size: int = 0
    checkpoint_root: str = ""
    report: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _last_checkpoint_size(app: LedgerApplication) -> int:
    """How many events the last checkpoint covered (verified then), or 0."""
    t = app.events_table
    with app.engine.connect() as conn:
        state = conn.execute(select(t.c.state).where(t.c.event_type == "checkpoint-signed")
                             .order_by(t.c.id.desc()).limit(1)).scalar()
    return 0 if state is None else int(json.loads(bytes(state))["data"]["size"])


def run_nightly(app: LedgerApplication, home: Home, as_of: date | None = None,
                calendar: WorkingDayCalendar | None = None,
                clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                smtp_url: str | None = None,
                on_append: Callable[[int], None] | None = None) -> NightlyResult:
    now = clock()
    today = london_date(now)
    as_of = as_of or today
    if as_of > today:
        raise InvalidFieldError("as_of", f"a date on or before today ({today})",
                                "in the future")
    result = NightlyResult(as_of=as_of.isoformat())
    projector = Projector(app, calendar or england_calendar())
    system = load_actor_signer(home, "system")
    writer = Writer(app, clock)
    last_size = _last_checkpoint_size(app)

    projector.update()
    clocks = read.clock_rows(app, as_of)
    actions = read.action_rows(app)
    for due in detect.due_breaches(clocks) + detect.due_escalations(clocks, actions):
        intent = make_intent(due.type, due.case, due.data, due.occurred_on.isoformat(),
                             "system", now)
        try:
            writer.append([intent], {"system": system})
        except _SETTLED:
            result.already_recorded += 1
            continue
        if due.type == "deadline-breached":
            result.breaches_recorded += 1
        else:
            result.escalations_recorded += 1
        if on_append is not None:
            on_append(result.breaches_recorded + result.escalations_recorded)

    if projector.update().events_read:  # what this run (or another) just appended
        clocks = read.clock_rows(app, as_of)
    _write_messages(app, home, now, result)
    report = deliver(_outbox(home), smtp_url if smtp_url is not None
                     else os.environ.get("CSPR_SMTP_URL"))
    result.messages_sent, result.messages_failed = len(report.sent), len(report.failed)
    result.messages_held, result.relay_error = len(report.held), report.relay_error

    check = verify_ledger(app, since=last_size)
    result.events_verified, result.verify_ok = check.events_checked, check.ok
    result.problems = [p.as_json() for p in check.problems]
    cp = create_checkpoint(app, home, clock)
    result.checkpoint_size, result.checkpoint_root = cp["size"], cp["root_hash"]
    _save_checkpoint(home, as_of, cp)
    result.report = str(_write_report(app, home, as_of, clocks))
    return result


def _outbox(home: Home) -> Outbox:
    return Outbox(home.outbox, os.environ.get("CSPR_MAIL_FROM", "cspr-ledger@localhost"))


def _write_messages(app: LedgerApplication, home: Home, now: datetime,
                    result: NightlyResult) -> None:
    # The outbox remembers up to which ledger position letters were derived, and moves
    # that mark only after writing them: a run that dies in between leaves the range to
    # the next run, whose writes are idempotent, whatever checkpoints came in between.
    mark = home.outbox / ".letters-position"
    after = int(mark.read_text()) if mark.exists() else 0
    upto = app.size()
    t = app.events_table
    with app.engine.connect() as conn:
        rows = conn.execute(select(t.c.case_ref, t.c.state)
                            .where(t.c.position > after, t.c.position <= upto,
                                   t.c.actor == "system",
                                   t.c.event_type.in_(["deadline-breached",
                                                       "action-escalated"]))
                            .order_by(t.c.position)).all()
    outbox = _outbox(home)
    if rows:
        _derive_letters(app, outbox, rows, now, result)
    home.outbox.mkdir(parents=True, exist_ok=True)
    # A file of its own per writer: two runs at once must not rename each other's.
    fd, tmp = tempfile.mkstemp(prefix=".letters-position.", dir=home.outbox)
    with os.fdopen(fd, "w") as f:
        f.write(str(upto))
    os.replace(tmp, mark)


def _derive_letters(app: LedgerApplication, outbox: Outbox, rows: list[Any], now: datetime,
                    result: NightlyResult) -> None:
    actions = {(a["case"], a["action"]): a for a in read.action_rows(app)}
    for case, state in rows:
        payload = json.loads(bytes(state))
        data = payload["data"]
        if payload["type"] == "deadline-breached":
            message = breach_message(case, data, _paragraph(data))
        else:
            action = actions[(case, data["action"])]
            in_force = _deadline_at(action, data["level"], data["on"])
            message = escalation_message(case, data, in_force, action["agency"])
        path = outbox.path_for(message.key)
        if not path.exists():
            outbox.write(message, now)
            result.messages_written += 1


def _paragraph(breach: dict[str, Any]) -> str:
    # Static per clock in its rule set, which the breach event names.
    try:
        return get_rule_set(breach["rule_set"]).clock(breach["clock"]).paragraph
    except (UnknownRuleSetError, KeyError):
        return "PROCEDURE.md"


def _deadline_at(action: dict[str, Any], level: str, on: str) -> str:
    """The deadline this escalation counted from (original or extended), found by walking
    its rung back: on = deadline + 3 or 6 months + 1 day (§13.4)."""
    months = {"head_of_service": 3, "chief_officer": 6}.get(level)
    for deadline in (action["deadline"], action["original_deadline"]):
        if months and add_months(date.fromisoformat(deadline), months) \
                + timedelta(days=1) == date.fromisoformat(on):
            return deadline
    return action["deadline"]


def _save_checkpoint(home: Home, as_of: date, cp: dict[str, Any]) -> None:
    folder = home.root / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"checkpoint-{as_of.isoformat()}.json").write_text(
        json.dumps(cp, indent=2, sort_keys=True) + "\n")


def _write_report(app: LedgerApplication, home: Home, as_of: date,
                  clocks: list[dict[str, Any]]) -> Path:
    period_from = as_of.replace(year=as_of.year - 1) + timedelta(days=1) \
        if not (as_of.month == 2 and as_of.day == 29) else date(as_of.year - 1, 3, 1)
    report = compliance(clocks, read.action_rows(app), period_from, as_of, as_of,
                        app.partnership())
    home.reports.mkdir(parents=True, exist_ok=True)
    stem = home.reports / f"compliance-{as_of.isoformat()}"
    for suffix, render in ((".html", to_html), (".json", to_json), (".csv", to_csv)):
        stem.with_suffix(suffix).write_text(render(report))
    return stem.with_suffix(".html")
