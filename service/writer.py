"""The one way events get into the ledger: validate, authorise, check rules, sign, append.

All of a request's events (one ``record``, or every line of an ``import``) are appended
in one transaction or not at all. A race with another writer on the same stream is
retried from scratch (reload, re-check, re-sign), so nothing is lost or duplicated.

Streams come from memory or a signed snapshot, brought up to date with one query
(``ledger.stream_cache``, ``ledger.snapshots``): an append costs the same on a case of 20
events or of thousands, the rules still see every fact, and a snapshot is only a cache.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from typing import AbstractSet as Set, Any, Callable, Iterable

from sqlalchemy import select
from zoneinfo import ZoneInfo

from domain import limits
from domain.calendar import london_date
from domain.catalogue import get_event_type, validate
from domain.errors import CsprError, InvalidCaseReferenceError, InvalidFieldError
from domain.fields import Checking
from domain.procedure import Intent, Procedure
from domain.streams import Actor, Stream
from ledger.app import IntegrityError, LedgerApplication
from ledger.cosignature import ERASED, check_cosignature
from ledger.errors import (
    ConcurrentWriteError,
    KeyMismatchError,
    RevokedActorError,
    RoleNotAllowedError,
    UnknownActorError,
)
from ledger.heads import Head
from ledger.mapper import format_instant
from ledger.signing import Signer

CASE_REF = re.compile(limits.REF_PATTERN)
ACTOR_NAME = re.compile(limits.ACTOR_PATTERN)
LONDON = ZoneInfo("Europe/London")
# The forms --occurred-at takes: a date (that London day), or a date and time with or
# without an offset (without: London time). Anything longer is not one of them.
_OCCURRED_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_OCCURRED_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}"
                            r"(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?")
_OCCURRED_MAX = 40
MAX_ATTEMPTS = 50
CASE_STREAMS = ("case", "review", "action")  # streams keyed by the case reference first


@dataclass(frozen=True)
class Receipt:
    case: str | None
    type: str
    position: int
    hash: str
    # On the last receipt of a write transaction: its signed head, which the recorder keeps
    # as proof that the ledger held this much (``cspr verify --receipt``).
    head: Head | None = None

    def as_json(self) -> dict[str, Any]:
        out = {"case": self.case, "type": self.type, "position": self.position,
               "hash": self.hash}
        if self.head is not None:
            out["receipt"] = self.head.as_json()
        return out


def _bad_occurred_at(problem: str) -> InvalidFieldError:
    return InvalidFieldError(
        "occurred_at",
        f"an ISO date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM[:SS[.ffffff]], then Z or "
        f"+HH:MM/-HH:MM, or nothing for London time) from {limits.DATE_EARLIEST} to "
        f"{limits.DATE_LATEST}", problem)


def normalise_occurred_at(value: str | None, now: datetime, derived: bool = False) -> str:
    """A date means that London day; a time without an offset is London time.

    The window of domain/limits.py applies (to the London day) except to an event the
    ledger derives from stored ones (``derived``): its date comes from the ledger itself.
    """
    if value is None:
        return format_instant(now)
    if not isinstance(value, str) or len(value) > _OCCURRED_MAX:
        raise _bad_occurred_at("not a date")
    text = value.strip()
    try:
        if _OCCURRED_DATE.fullmatch(text):
            day = date.fromisoformat(text)
            normal = day.isoformat()
        elif _OCCURRED_TIME.fullmatch(text):
            instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if instant.tzinfo is None:
                instant = instant.replace(tzinfo=LONDON)
            utc = instant.astimezone(timezone.utc)
            day = london_date(utc)
            normal = format_instant(utc)
        else:
            raise _bad_occurred_at("not a date")
    except ValueError:
        raise _bad_occurred_at("no such date or time") from None
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise _bad_occurred_at("outside the allowed dates") from None
    if not derived and not limits.DATE_EARLIEST <= day <= limits.DATE_LATEST:
        raise _bad_occurred_at("outside the allowed dates")
    return normal


def make_intent(type_name: str, case: str | None, data: Any, occurred_at: str | None,
                actor: str, now: datetime, derived: bool = False) -> Intent:
    """Validate one event's request into an Intent; InvalidInputError (exit 2) otherwise.

    ``derived`` is for the nightly job's events, whose values come from events already in
    the ledger: only their shape is checked, never the bounds of new input (see
    ``domain.fields.Checking``), so a value accepted before the bounds existed cannot stop
    the job.
    """
    et = get_event_type(type_name)
    # The actor name becomes a key file's name: checked before anything looks it up.
    if not isinstance(actor, str) or not ACTOR_NAME.fullmatch(actor):
        raise InvalidFieldError("as", limits.ACTOR_HELP, "invalid")
    if et.stream in ("case", "review", "action"):
        if not isinstance(case, str) or not CASE_REF.fullmatch(case):
            raise InvalidCaseReferenceError()
    elif case is not None:
        # Dropping it silently would leave the user believing the case holds the event,
        # and `case show` of that reference knowing nothing of it.
        raise InvalidFieldError("case", f"no case: an event of type {type_name} is "
                                "about the whole ledger", "given")
    clean = validate(type_name, data, Checking(today=london_date(now), derived=derived))
    return Intent(type_name, case, clean, normalise_occurred_at(occurred_at, now, derived),
                  actor)


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


class WriteNotConfirmedError(CsprError):
    def __init__(self) -> None:
        super().__init__("the database did not confirm every event of this append: "
                         "nothing is reported as recorded; check the ledger with "
                         "'cspr verify'")


Numbered = list[tuple[int, Intent]]  # (line of the import, intent)


class Writer:
    def __init__(self, app: LedgerApplication,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.app = app
        self.clock = clock

    def _procedure(self, absent: Set[str] = frozenset()) -> Procedure:
        # ``absent``: cases known to hold no event yet, whose streams need no query.
        def load(cls: type[Stream], key: tuple[str, ...]) -> Stream | None:
            if cls.kind in CASE_STREAMS and key[0] in absent:
                return None
            return self.app.load(cls, *key)
        return Procedure(load)

    def _absent_cases(self, batch: Numbered, seen: set[str]) -> set[str]:
        refs = {i.case for _, i in batch if i.case is not None} - seen
        seen |= refs
        if not refs:
            return set()
        t = self.app.events_table
        with self.app.engine.connect() as conn:
            present = set(conn.execute(select(t.c.case_ref).distinct()
                                       .where(t.c.case_ref.in_(refs))).scalars())
        return refs - present

    def _check(self, batch: Numbered, signers: dict[str, Signer], now: datetime,
               bootstrap: bool, numbered: bool, procedure: Procedure | None = None
               ) -> Procedure:
        procedure = procedure or self._procedure()
        today = london_date(now)
        for line, intent in batch:
            try:
                if not bootstrap:
                    actor = procedure.stream(Actor, intent.actor)
                    authorise(actor, signers[intent.actor], intent.type)  # type: ignore[arg-type]
                    if intent.type == ERASED:  # a second person's signature (issue 10)
                        check_cosignature(intent.case or "", intent.data, procedure.stream(
                            Actor, intent.data["cosigned_by"]), intent.actor,
                            self.app.ledger_id())
                procedure.record(intent, recorded_at=now, today=today)
            except CsprError as e:
                if numbered:  # an import: say which line
                    e.args = (f"line {line}: {e}",)
                raise
        return procedure

    @staticmethod
    def _back_off(attempt: int) -> None:
        # Another writer got there first: back off a little (with jitter, so racing
        # writers spread out), reload and check the rules again.
        time.sleep(random.uniform(0, min(0.2, 0.005 * 2 ** min(attempt, 6))))

    def append(self, intents: list[Intent], signers: dict[str, Signer],
               bootstrap: bool = False) -> list[Receipt]:
        for attempt in range(MAX_ATTEMPTS):
            now = self.clock()
            procedure = self._check(list(enumerate(intents, start=1)), signers, now,
                                    bootstrap, len(intents) > 1)
            streams = list(procedure.touched.values())
            try:
                ids = self.app.save_signed(streams, list(signers.values()))
            except IntegrityError:
                self._back_off(attempt)
                continue
            receipts = self._receipts(ids)
            self.app.stream_cache.saved(streams, list(signers.values()))  # snapshots due
            return receipts
        raise ConcurrentWriteError(MAX_ATTEMPTS)

    def check_batches(self, batches: Iterable[Numbered],
                      signers: dict[str, Signer]) -> set[str]:
        """Check every rule for a long run of intents without writing anything: what an
        import does before it writes, so a refusal comes before any write lock is taken.
        Memory holds the streams touched (their facts), not the pending events. Returns
        the cases that held no event, for ``append_batches``.
        """
        now = self.clock()
        absent: set[str] = set()
        seen: set[str] = set()
        procedure = self._procedure(absent)
        for batch in batches:
            absent |= self._absent_cases(batch, seen)
            self._check(batch, signers, now, False, True, procedure)
            for stream in procedure.touched.values():
                stream.collect_events()
            procedure.touched.clear()
        return absent

    def append_batches(self, batches: Callable[[], Iterable[Numbered]],
                       signers: dict[str, Signer], absent: Set[str] = frozenset()
                       ) -> list[Receipt]:
        """Append a long run of intents (an import) in ONE transaction, saved batch by
        batch so memory holds one batch of events, not the run: all or none.

        ``batches`` gives a fresh iterator on each call (a retry starts over). The
        transaction holds the write lock from its start, so the streams read for the
        first batch stay current for the last.
        """
        for attempt in range(MAX_ATTEMPTS):
            now = self.clock()
            ids: list[int] = []
            try:
                with self.app.transaction():
                    # A case created meanwhile by another writer makes the unique index
                    # refuse our version 1: the retry then queries every stream.
                    procedure = self._procedure(absent if attempt == 0 else frozenset())
                    for batch in batches():
                        self._check(batch, signers, now, False, True, procedure)
                        ids += self.app.save_signed(list(procedure.touched.values()),
                                                    list(signers.values()))
                        procedure.touched.clear()
            except IntegrityError:
                self._back_off(attempt)
                continue
            return self._receipts(ids)
        raise ConcurrentWriteError(MAX_ATTEMPTS)

    def _receipts(self, ids: list[int]) -> list[Receipt]:
        # Read back after the commit, from another connection: a receipt is only ever
        # given for a row the database shows as committed.
        t = self.app.events_table
        rows = []
        with self.app.engine.connect() as conn:
            for i in range(0, len(ids), 2000):
                part = ids[i:i + 2000]
                # Plain SQL, built from integers only: building and compiling a select
                # per append cost more than running it.
                rows += conn.exec_driver_sql(
                    f"SELECT case_ref, event_type, position, chain_hash, head_signature, "
                    f"actor, key_id, head_previous FROM {t.name} WHERE id IN "
                    f"({','.join(str(int(x)) for x in part)}) ORDER BY id").all()
        if len(rows) != len(ids):
            raise WriteNotConfirmedError()
        receipts = [Receipt(r[0], r[1], r[2], bytes(r[3]).hex()) for r in rows]
        last = rows[-1] if rows else None
        if last is not None and last[4] is not None:
            receipts[-1] = replace(receipts[-1], head=Head(
                self.app.ledger_id(), last[2], bytes(last[3]).hex(), last[7], last[5],
                last[6], bytes(last[4]).hex()))
        return receipts
