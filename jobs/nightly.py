"""The nightly job: check the ledger, record what broke, climb the ladder, tell people,
seal the day.

Run as the ``system`` actor for a London date (default today). Nothing is recorded on a
ledger that does not verify: the run first verifies everything appended since the last
position it verified clean (jobs.alarms), and on an unacknowledged finding it records
nothing, signs no checkpoint, writes an alarm letter and fails, every night, until an
admin acknowledges each finding.

Each breach and escalation is appended in a transaction of its own, so a run killed
half-way leaves only whole events and the next run finds the rest still due. Events are
deterministic (see jobs.detect) and the procedure refuses a second copy of any of them, so
a second run for the same date, or two runs at once on two hosts, append each exactly
once, on SQLite and PostgreSQL alike. Letters are derived from the events appended since
the outbox's mark, so a letter lost to a crash is written by the next run; the outbox
never writes or sends one twice. A case whose events cannot be processed is left out and
reported (exit 1, a letter to the admin address); every other case is processed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select

from domain.calendar import WorkingDayCalendar, london_date
from domain.errors import CsprError, InvalidFieldError
from domain.rules import (
    ActionClosedError,
    DuplicateBreachError,
    DuplicateEscalationError,
)
from jobs import alarms, detect
from jobs.compliance import compliance
from jobs.delivery import deliver
from jobs.files import replace_file
from jobs.messages import breach_message, deadline_at, escalation_message, paragraph_of
from jobs.outbox import Message, Outbox
from jobs.witness_letter import witness_message
from jobs.render import to_csv, to_html, to_json
from ledger.app import LedgerApplication
from ledger.errors import (
    ConcurrentWriteError,
    KeyMismatchError,
    RevokedActorError,
    RoleNotAllowedError,
    UnknownActorError,
)
from ledger.report import Report
from ledger.verify import verify_ledger
from projections import read
from projections.projector import Projector
from projections.signed import personal_data_log
from service.actors import load_actor_signer
from service.calendar_england import england_calendar
from service.cosigning import late_cosignature_rows
from service.directory import NO_AGENCY_ENTRY, Directory
from service.evidence import create_checkpoint
from service.home import Home
from service.read_models import check_read_models
from service.writer import Writer, make_intent

# Incremental verify starts at the last clean mark, so it would never see an *older* row
# changed by someone with database access; the whole ledger is verified again this often
# (the first run, and then weekly; about 12 minutes for a million events here).
FULL_VERIFY_EVERY = timedelta(days=7)

# Already recorded by another run, or made moot by a later fact: not this run's to add.
_SETTLED = (DuplicateBreachError, DuplicateEscalationError, ActionClosedError)
# What a stored value the code no longer expects can raise while one case is processed;
# a failure of the run itself (the system key, a storm of writers) is not one case's.
_CASE_FAILURE = (CsprError, ValueError, TypeError, KeyError, OverflowError, ArithmeticError)
_RUN_FAILURE = (ConcurrentWriteError, UnknownActorError, KeyMismatchError,
                RevokedActorError, RoleNotAllowedError)


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
    verify_ok: bool = True  # no finding is open (unacknowledged)
    problems: list[dict[str, Any]] = field(default_factory=list)  # this run's findings
    alarms: list[dict[str, Any]] = field(default_factory=list)  # open: block the run
    failed_cases: list[str] = field(default_factory=list)  # left out: cannot be processed
    # Issue 11 item 11: escalation letters this run wrote to the admin address for want
    # of a directory entry, and each warning as {case, action, level, warning} (codes
    # only, never a name or an address).
    letters_unaddressed: int = 0
    letter_warnings: list[dict[str, str]] = field(default_factory=list)
    checkpoint_size: int = 0
    checkpoint_root: str = ""
    report: str = ""

    @property
    def ok(self) -> bool:
        return self.verify_ok and not self.failed_cases

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


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
    outbox = _outbox(home)
    if _verify(app, home, now, result, full_every=FULL_VERIFY_EVERY, views=True) is None:
        _alarm(outbox, now, result)
        _deliver(outbox, smtp_url, result)
        return result

    projector = Projector(app, calendar or england_calendar())
    system = load_actor_signer(home, "system")
    writer = Writer(app, clock)
    # Read models found differing from the events (acknowledged, or the run would have
    # stopped) are rebuilt from the events, not trusted.
    stale = any(p["kind"] == "projection" for p in result.problems)
    failed = set((projector.rebuild() if stale else projector.update())
                 .failed_cases)  # cases the read models leave out
    clocks = read.clock_rows(app, as_of)
    actions = read.action_rows(app)
    dues = (detect.due_breaches(clocks, failed)
            + detect.due_escalations(clocks, actions, failed))
    for due in dues:
        if due.case in failed:
            continue
        try:
            # derived: its values come from events already held, accepted then
            intent = make_intent(due.type, due.case, due.data, due.occurred_on.isoformat(),
                                 "system", now, derived=True)
            writer.append([intent], {"system": system})
        except _SETTLED:
            result.already_recorded += 1
            continue
        except _RUN_FAILURE:
            raise
        except _CASE_FAILURE:
            failed.add(due.case)  # a stored value its events cannot be derived from
            continue
        if due.type == "deadline-breached":
            result.breaches_recorded += 1
        else:
            result.escalations_recorded += 1
        if on_append is not None:
            on_append(result.breaches_recorded + result.escalations_recorded)

    update = projector.update()  # what this run (or another) just appended
    failed |= set(update.failed_cases)
    if update.events_read:
        clocks = read.clock_rows(app, as_of)
    _write_messages(app, home, outbox, now, result, failed)
    result.failed_cases = sorted(failed)
    for case in result.failed_cases:
        _create(outbox, alarms.unprocessable_message(case), now, result)

    # What was appended since the first check (this run's events, other writers') is
    # verified before a checkpoint seals it; the checkpoint covers only what was verified.
    check = _verify(app, home, now, result)
    if check is None:
        _alarm(outbox, now, result)
    else:
        cp = create_checkpoint(app, home, clock, upto=check.size)
        result.checkpoint_size, result.checkpoint_root = cp["size"], cp["root_hash"]
        _save_checkpoint(home, as_of, cp)
        letter = witness_message(app, cp)  # the new checkpoint, offered to the witness
        if letter is not None:
            _create(outbox, letter, now, result)
    _deliver(outbox, smtp_url, result)
    result.report = str(_write_report(app, home, as_of, clocks, failed, projector.calendar))
    return result


def _verify(app: LedgerApplication, home: Home, now: datetime, result: NightlyResult,
            full_every: timedelta | None = None, views: bool = False) -> Report | None:
    """Verify from the last position verified clean (the whole ledger when the last full
    verify is ``full_every`` old or more); None while any finding is open."""
    mark = alarms.load_mark(home.root)
    today = london_date(now)
    full = full_every is not None and (
        mark.full_on is None or today - date.fromisoformat(mark.full_on) >= full_every)
    since = 0 if full else mark.position
    check = verify_ledger(app, since=since, since_hash=None if full else mark.chain_hash)
    if views:  # every read model against the events: an edited row misleads this run
        check_read_models(app, check)
    result.events_verified += check.events_checked
    # Positions and kinds only: the JSON goes to logs, and a detail may quote a tampered
    # row's text.
    result.problems += [{"position": p.position, "kind": p.kind,
                         "acknowledged_at": p.acknowledged_at} for p in check.problems]
    # Every finding, acknowledged by verify's reckoning or not: jobs.alarms decides which
    # acknowledgement counts (one recorded after the finding was raised).
    result.alarms = alarms.update_alarms(
        home.root, app, alarms.grouped([alarms.finding(p) for p in check.problems]),
        check.acknowledgements,
        check.size, now.isoformat())
    result.verify_ok = not result.alarms
    if result.alarms:
        return None
    alarms.advance_mark(home.root, check.size, check.stored_head,
                        today.isoformat() if full else None)
    return check


def _alarm(outbox: Outbox, now: datetime, result: NightlyResult) -> None:
    _create(outbox, alarms.alarm_message(result.alarms), now, result)


def _create(outbox: Outbox, message: Message, now: datetime, result: NightlyResult) -> bool:
    if outbox.create(message, now):  # counted only by the run that wrote the file
        result.messages_written += 1
        return True
    return False


def _deliver(outbox: Outbox, smtp_url: str | None, result: NightlyResult) -> None:
    report = deliver(outbox, smtp_url if smtp_url is not None
                     else os.environ.get("CSPR_SMTP_URL"))
    result.messages_sent, result.messages_failed = len(report.sent), len(report.failed)
    result.messages_held, result.relay_error = len(report.held), report.relay_error


def _outbox(home: Home) -> Outbox:
    return Outbox(home.outbox, os.environ.get("CSPR_MAIL_FROM", "cspr-ledger@localhost"))


def _write_messages(app: LedgerApplication, home: Home, outbox: Outbox, now: datetime,
                    result: NightlyResult, failed: set[str]) -> None:
    # The outbox remembers up to which ledger position letters were derived, and moves
    # that mark only after writing them: a run that dies in between leaves the range to
    # the next run, whose writes are idempotent, whatever checkpoints came in between.
    # A letter that cannot be derived yet (its case cannot be processed) holds the mark
    # before it, so it is written once the case can be.
    mark = home.outbox / ".letters-position"
    after = int(mark.read_text()) if mark.exists() else 0
    upto = app.size()
    t = app.events_table
    with app.engine.connect() as conn:
        rows = conn.execute(select(t.c.position, t.c.case_ref, t.c.state)
                            .where(t.c.position > after, t.c.position <= upto,
                                   t.c.actor == "system",
                                   t.c.event_type.in_(["deadline-breached",
                                                       "action-escalated"]))
                            .order_by(t.c.position)).all()
    if rows:
        upto = min(upto, _derive_letters(app, outbox, rows, now, result, failed))
    home.outbox.mkdir(parents=True, exist_ok=True)
    replace_file(mark, str(upto))


def _derive_letters(app: LedgerApplication, outbox: Outbox, rows: list[Any], now: datetime,
                    result: NightlyResult, failed: set[str]) -> int:
    """Write the letters of ``rows``; returns the position the mark may move to."""
    actions = {(a["case"], a["action"]): a for a in read.action_rows(app)}
    directory = Directory.load(app)
    hold = None
    for position, case, state in rows:
        warnings: tuple[str, ...] = ()
        try:
            payload = json.loads(bytes(state))
            data = payload["data"]
            if payload["type"] == "deadline-breached":
                message = breach_message(case, data, paragraph_of(data))
            else:
                action = actions[(case, data["action"])]
                in_force = deadline_at(action, data["level"], data["on"])
                to = directory.addressing(action["agency"], data["level"],
                                          date.fromisoformat(data["on"]))
                message = escalation_message(case, data, in_force, action["agency"], to)
                warnings = to.warnings
        except _CASE_FAILURE:
            failed.add(str(case))
            hold = position - 1 if hold is None else hold
            continue
        if _create(outbox, message, now, result) and warnings:
            result.letters_unaddressed += NO_AGENCY_ENTRY in warnings
            result.letter_warnings += [{"case": str(case), "action": str(data["action"]),
                                        "level": str(data["level"]), "warning": w}
                                       for w in warnings]
    return rows[-1][0] if hold is None else hold


def _save_checkpoint(home: Home, as_of: date, cp: dict[str, Any]) -> None:
    folder = home.root / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    replace_file(folder / f"checkpoint-{as_of.isoformat()}.json",
             json.dumps(cp, indent=2, sort_keys=True) + "\n")


def _write_report(app: LedgerApplication, home: Home, as_of: date,
                  clocks: list[dict[str, Any]], failed: set[str],
                  calendar: WorkingDayCalendar) -> Path:
    period_from = as_of.replace(year=as_of.year - 1) + timedelta(days=1) \
        if not (as_of.month == 2 and as_of.day == 29) else date(as_of.year - 1, 3, 1)
    report = compliance([c for c in clocks if c["case"] not in failed],
                        [a for a in read.action_rows(app) if a["case"] not in failed],
                        period_from, as_of, as_of, app.partnership(),
                        personal_data_log(app),
                        # Issue 11 item 7: joint decisions not fully co-signed after 5 WD.
                        late_cosignature_rows(app, calendar, as_of))
    home.reports.mkdir(parents=True, exist_ok=True)
    stem = home.reports / f"compliance-{as_of.isoformat()}"
    for suffix, render in ((".html", to_html), (".json", to_json), (".csv", to_csv)):
        replace_file(stem.with_suffix(suffix), render(report))
    return stem.with_suffix(".html")
