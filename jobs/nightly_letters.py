"""The nightly's letters: derived from the events appended since the outbox's mark,
written once each, then handed to the relay (jobs.delivery).

The outbox remembers up to which ledger position letters were derived, and moves that
mark only after writing them: a run that dies in between leaves the range to the next
run, whose writes are idempotent (jobs.outbox), whatever checkpoints came in between.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from domain.errors import CsprError
from jobs import alarms
from jobs.delivery import deliver
from jobs.files import replace_file
from jobs.messages import breach_message, deadline_at, escalation_message, paragraph_of
from jobs.nightly_result import NightlyResult
from jobs.outbox import Message, Outbox
from ledger.app import LedgerApplication
from projections import read
from service.directory import NO_AGENCY_ENTRY, Directory
from service.home import Home

# What a stored value the code no longer expects can raise while one case is processed;
# a failure of the run itself (the system key, a storm of writers) is not one case's.
CASE_FAILURE = (CsprError, ValueError, TypeError, KeyError, OverflowError, ArithmeticError)
_MARK = ".letters-position"


def outbox_of(home: Home) -> Outbox:
    return Outbox(home.outbox, os.environ.get("CSPR_MAIL_FROM", "cspr-ledger@localhost"))


def create(outbox: Outbox, message: Message, now: datetime, result: NightlyResult) -> bool:
    if outbox.create(message, now):  # counted only by the run that wrote the file
        result.messages_written += 1
        return True
    return False


def alarm(outbox: Outbox, now: datetime, result: NightlyResult) -> None:
    create(outbox, alarms.alarm_message(result.alarms), now, result)


def deliver_letters(outbox: Outbox, smtp_url: str | None, result: NightlyResult) -> None:
    report = deliver(outbox, smtp_url if smtp_url is not None
                     else os.environ.get("CSPR_SMTP_URL"))
    result.messages_sent, result.messages_failed = len(report.sent), len(report.failed)
    result.messages_held, result.relay_error = len(report.held), report.relay_error


def write_letters(app: LedgerApplication, home: Home, outbox: Outbox, now: datetime,
                  result: NightlyResult, failed: set[str]) -> None:
    # A letter that cannot be derived yet (its case cannot be processed) holds the mark
    # before it, so it is written once the case can be.
    mark = home.outbox / _MARK
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
        except CASE_FAILURE:
            failed.add(str(case))
            hold = position - 1 if hold is None else hold
            continue
        if create(outbox, message, now, result) and warnings:
            result.letters_unaddressed += NO_AGENCY_ENTRY in warnings
            result.letter_warnings += [{"case": str(case), "action": str(data["action"]),
                                        "level": str(data["level"]), "warning": w}
                                       for w in warnings]
    return rows[-1][0] if hold is None else hold
