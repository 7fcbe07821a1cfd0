"""The one way events get into the ledger: validate, authorise, check rules, sign, append.

All of a request's events (one ``record``, or every line of an ``import``) are appended
in one transaction or not at all. A race with another writer on the same stream is
retried from scratch (reload, re-check, re-sign), so nothing is lost or duplicated.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable

from sqlalchemy import select
from zoneinfo import ZoneInfo

from domain.calendar import london_date
from domain.catalogue import get_event_type, validate
from domain.errors import CsprError, InvalidCaseReferenceError, InvalidFieldError
from domain.procedure import Intent, Procedure
from domain.streams import Actor
from ledger.app import IntegrityError, LedgerApplication
from ledger.errors import (
    ConcurrentWriteError,
    KeyMismatchError,
    RevokedActorError,
    RoleNotAllowedError,
    UnknownActorError,
)
from ledger.mapper import format_instant
from ledger.signing import Signer

CASE_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")
LONDON = ZoneInfo("Europe/London")
MAX_ATTEMPTS = 50


@dataclass(frozen=True)
class Receipt:
    case: str | None
    type: str
    position: int
    hash: str

    def as_json(self) -> dict[str, Any]:
        return {"case": self.case, "type": self.type, "position": self.position,
                "hash": self.hash}


def normalise_occurred_at(value: str | None, now: datetime) -> str:
    """A date means that London day; a time without an offset is London time."""
    if value is None:
        return format_instant(now)
    text = str(value).strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFieldError("occurred_at", "an ISO date (YYYY-MM-DD) or date-time",
                                "not a date")
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=LONDON)
    return format_instant(instant)


def make_intent(type_name: str, case: str | None, data: Any, occurred_at: str | None,
                actor: str, now: datetime) -> Intent:
    et = get_event_type(type_name)
    if et.stream in ("case", "review", "action"):
        if not isinstance(case, str) or not CASE_REF.fullmatch(case):
            raise InvalidCaseReferenceError()
    else:
        case = None
    clean = validate(type_name, data)
    return Intent(type_name, case, clean, normalise_occurred_at(occurred_at, now), actor)


def authorise(actor: Actor | None, signer: Signer, event_type: str) -> None:
    if actor is None:
        raise UnknownActorError(signer.actor)
    if actor.revoked:
        raise RevokedActorError(signer.actor)
    if actor.key_id != signer.key_id:
        raise KeyMismatchError(signer.actor)
    allowed = get_event_type(event_type).roles
    if not allowed.intersection(actor.roles):
        raise RoleNotAllowedError(signer.actor, event_type, tuple(sorted(allowed)))


class Writer:
    def __init__(self, app: LedgerApplication,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.app = app
        self.clock = clock

    def append(self, intents: list[Intent], signers: dict[str, Signer],
               bootstrap: bool = False) -> list[Receipt]:
        for attempt in range(MAX_ATTEMPTS):
            now = self.clock()
            procedure = Procedure(lambda cls, key: self.app.load(cls, *key))
            for line, intent in enumerate(intents, start=1):
                try:
                    if not bootstrap:
                        actor = procedure.stream(Actor, intent.actor)
                        authorise(actor, signers[intent.actor], intent.type)  # type: ignore[arg-type]
                    procedure.record(intent, recorded_at=now, today=london_date(now))
                except CsprError as e:
                    if len(intents) > 1:  # an import: say which line
                        e.args = (f"line {line}: {e}",)
                    raise
            try:
                ids = self.app.save_signed(list(procedure.touched.values()),
                                           list(signers.values()))
            except IntegrityError:
                # Another writer got there first: back off a little (with jitter, so
                # racing writers spread out), reload and check the rules again.
                time.sleep(random.uniform(0, min(0.2, 0.005 * 2 ** min(attempt, 6))))
                continue
            return self._receipts(ids)
        raise ConcurrentWriteError(MAX_ATTEMPTS)

    def _receipts(self, ids: list[int]) -> list[Receipt]:
        t = self.app.events_table
        with self.app.engine.connect() as conn:
            rows = conn.execute(
                select(t.c.case_ref, t.c.event_type, t.c.position, t.c.chain_hash)
                .where(t.c.id.in_(ids)).order_by(t.c.id)
            ).all()
        return [Receipt(r[0], r[1], r[2], bytes(r[3]).hex()) for r in rows]
