"""The retention report: cases kept longer than the partnership's retention period.

The period is the partnership's policy and is always passed in (``--older-than DAYS``):
no default duration is invented here. A case is listed when its last event was recorded
more than that many days before ``as_of`` and its personal data is not erased yet, with
the command that would erase it. Reading, disclosing or erasing personal data is not
activity on the case, so those events do not make it younger. A case recorded as erased
whose data key is still there (an erasure interrupted between its two steps) is listed
too, as unfinished.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from domain.calendar import london_date
from domain.errors import InvalidFieldError
from ledger.app import LedgerApplication
from ledger.cosignature import ERASED
from ledger.mapper import parse_instant
from ledger.schema import data_keys_table

NOT_ACTIVITY = "personal-data-%"
MAX_DAYS = 100 * 366


@dataclass(frozen=True)
class RetentionRow:
    case: str
    last_event_on: date
    days: int
    has_personal_data: bool
    status: str  # "due" or "erasure unfinished"
    command: str

    def as_json(self) -> dict[str, Any]:
        return {"case": self.case, "last_event_on": self.last_event_on.isoformat(),
                "days_since": self.days, "has_personal_data": self.has_personal_data,
                "status": self.status, "erase_command": self.command}


def checked_days(value: int) -> int:
    if not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        raise InvalidFieldError("older_than", f"a whole number of days from 1 to {MAX_DAYS}",
                                "out of range")
    return value


def _command(case: str, days: int) -> str:
    reason = f"retention period of {days} days ended"
    return (f"cspr --as admin case erase {shlex.quote(case)} --reason "
            f"{shlex.quote(reason)} --cosigner NAME")


def retention(app: LedgerApplication, older_than: int, as_of: date) -> list[RetentionRow]:
    older_than = checked_days(older_than)
    t = app.events_table
    with app.engine.connect() as conn:
        last = conn.execute(
            select(t.c.case_ref, func.max(t.c.recorded_at))
            .where(t.c.case_ref.is_not(None), ~t.c.event_type.like(NOT_ACTIVITY))
            .group_by(t.c.case_ref)).all()
        erased = set(conn.execute(select(t.c.case_ref).distinct()
                                  .where(t.c.event_type == ERASED)).scalars())
        keyed = set(conn.execute(select(data_keys_table.c.case_ref)).scalars())
    cutoff = as_of - timedelta(days=older_than)
    rows = []
    for case, recorded_at in sorted(last):
        on = london_date(parse_instant(recorded_at))
        if case in erased and case not in keyed:
            continue  # erased for good
        if case in erased:
            status = "erasure unfinished"
        elif on < cutoff:
            status = "due"
        else:
            continue
        rows.append(RetentionRow(case, on, (as_of - on).days, case in keyed, status,
                                 _command(case, older_than)))
    return rows
