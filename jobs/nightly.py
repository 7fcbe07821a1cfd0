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

This module is the run's order; its parts are jobs.nightly_verify (the integrity check),
jobs.nightly_letters (letters written and delivered) and jobs.nightly_report (the
checkpoint's file and the compliance report).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Callable

from domain.calendar import WorkingDayCalendar, london_date
from domain.errors import InvalidFieldError
from domain.rules import (
    ActionClosedError,
    DuplicateBreachError,
    DuplicateEscalationError,
)
from jobs import alarms, detect
from jobs.nightly_letters import (
    CASE_FAILURE,
    alarm,
    create,
    deliver_letters,
    outbox_of,
    write_letters,
)
from jobs.nightly_report import refresh_clocks, save_checkpoint, write_report
from jobs.nightly_result import NightlyResult
from jobs.nightly_verify import FULL_VERIFY_EVERY, verify_since_mark
from jobs.witness_letter import witness_message
from ledger.app import LedgerApplication
from ledger.errors import (
    ConcurrentWriteError,
    KeyMismatchError,
    RevokedActorError,
    RoleNotAllowedError,
    UnknownActorError,
)
from projections import read, reference
from projections.projector import Projector
from projections.reference import reference_path
from service.actors import load_actor_signer
from service.calendar_england import england_calendar
from service.evidence import create_checkpoint
from service.home import Home
from service.writer import Writer, make_intent

# Already recorded by another run, or made moot by a later fact: not this run's to add.
_SETTLED = (DuplicateBreachError, DuplicateEscalationError, ActionClosedError)
# A failure of the run itself (the system key, a storm of writers) is not one case's.
_RUN_FAILURE = (ConcurrentWriteError, UnknownActorError, KeyMismatchError,
                RevokedActorError, RoleNotAllowedError)


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
    outbox = outbox_of(home)
    if verify_since_mark(app, home, now, result, full_every=FULL_VERIFY_EVERY,
                         views=True) is None:
        alarm(outbox, now, result)
        deliver_letters(outbox, smtp_url, result)
        return result

    projector = Projector(app, calendar or england_calendar())
    system = load_actor_signer(home, "system")
    writer = Writer(app, clock)
    # Read models found differing from the events (acknowledged, or the run would have
    # stopped) are rebuilt from the events, not trusted.
    stale = any(p["kind"] == "projection" for p in result.problems)
    first = projector.rebuild() if stale else projector.update()
    failed = set(first.failed_cases)  # cases the read models leave out
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
        except CASE_FAILURE:
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
    if update.events_read:  # the clocks of the cases those events changed, read again
        clocks = refresh_clocks(app, as_of, clocks, first.position, update.position)
    write_letters(app, home, outbox, now, result, failed)
    result.failed_cases = sorted(failed)
    for case in result.failed_cases:
        create(outbox, alarms.unprocessable_message(case), now, result)

    # What was appended since the first check (this run's events, other writers') is
    # verified before a checkpoint seals it; the checkpoint covers only what was verified.
    check = verify_since_mark(app, home, now, result)
    if check is None:
        alarm(outbox, now, result)
    else:
        cp = create_checkpoint(app, home, clock, upto=check.size)
        result.checkpoint_size, result.checkpoint_root = cp["size"], cp["root_hash"]
        save_checkpoint(home, as_of, cp)
        letter = witness_message(app, cp)  # the new checkpoint, offered to the witness
        if letter is not None:
            create(outbox, letter, now, result)
    deliver_letters(outbox, smtp_url, result)
    result.report = str(write_report(app, home, as_of, clocks, failed, projector.calendar))
    if check is not None:
        # The first run (or one after the file was lost) had no read models to compare:
        # the reference is kept now, so that tomorrow's check folds only the cases with
        # new events. Not on a ledger this run found altered: nothing is derived from it.
        reference.seed(app, projector.calendar, reference_path(home.root))
    return result
