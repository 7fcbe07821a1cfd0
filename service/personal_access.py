"""Who may open a case's personal data, and the signed record each opening leaves.

Personal fields are sealed in the ledger (ledger.envelope). They are opened only for an
actor who proves possession of their registered key (their own passphrase) and holds a role
entitled to read them (``READERS``), and only after a signed ``personal-data-accessed`` or
``personal-data-disclosed`` event by that actor has been appended: if the append is refused,
nothing opened is shown or written. The event names the fields opened, never their values.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import select

from domain.errors import InvalidFieldError, RuleViolationError
from domain.streams import Actor
from ledger.app import LedgerApplication
from ledger.errors import KeyMismatchError, MissingActorError, UnknownActorError
from ledger.signing import Signer
from service.actors import load_actor_signer
from service.home import Home
from service.writer import Receipt, Writer, make_intent

Clock = Callable[[], datetime]

READERS = frozenset({"partner", "scrutineer", "reviewer", "business_unit", "ld_chair"})

ACCESSED = "personal-data-accessed"
DISCLOSED = "personal-data-disclosed"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class PersonalDataNotAuthorisedError(RuleViolationError):
    paragraph = "§17-18, Data Protection Act 2018"

    def __init__(self, actor: str) -> None:
        super().__init__(f"'{actor}' holds no role entitled to read personal data "
                         f"({', '.join(sorted(READERS))})")


def reader_signer(app: LedgerApplication, home: Home, actor: str) -> Signer:
    """``actor``'s key, opened with their passphrase, if they may read personal data."""
    signer = load_actor_signer(home, actor)  # proves possession of the key
    registered = app.load(Actor, actor)
    if registered is None:
        raise UnknownActorError(actor)
    if registered.revoked or registered.key_id != signer.key_id:
        raise KeyMismatchError(actor)
    if not READERS & set(registered.roles):
        raise PersonalDataNotAuthorisedError(actor)
    return signer


class PersonalRead:
    """One opening of a case's personal data by one reader, for one stated purpose.

    Its options (purpose, recipient, case) are checked when it is made, before any key is
    opened: a bad one is refused (exit 2, naming the option) with nothing read or appended.
    ``authorise`` then opens the reader's key and checks their role."""

    def __init__(self, app: LedgerApplication, actor: str | None, event_type: str, case: str,
                 given: dict[str, Any], clock: Clock = utcnow) -> None:
        if not actor:
            raise MissingActorError()
        self.app, self.actor, self.event_type, self.case = app, actor, event_type, case
        self.given = {k: v for k, v in given.items() if v is not None}
        self.clock = clock
        self.signer: Signer | None = None
        self._intent({"fields": [], "events": 0} if event_type == ACCESSED else {"fields": []})

    def _intent(self, opened: dict[str, Any]) -> Any:
        try:
            return make_intent(self.event_type, self.case, {**self.given, **opened}, None,
                               self.actor, self.clock())
        except InvalidFieldError as e:
            if e.field in ("purpose", "to"):  # say which option: --purpose, --to
                raise InvalidFieldError(f"--{e.field}", e.expected, e.problem) from None
            raise

    def authorise(self, home: Home) -> None:
        self.signer = reader_signer(self.app, home, self.actor)

    def open_sealed(self, positions: list[int]) -> dict[int, dict[str, Any]]:
        """The personal fields of those of ``positions`` that hold any, opened."""
        if self.signer is None:
            raise MissingActorError()  # authorise() was not called: open nothing
        t = self.app.events_table
        with self.app.engine.connect() as conn:
            sealed = conn.execute(select(t.c.position, t.c.sealed).where(
                t.c.case_ref == self.case, t.c.position.in_(positions),
                t.c.sealed.is_not(None))).all()
        return {p: self.app.sealer.open(self.case, bytes(blob)) for p, blob in sealed}

    def record(self, opened: dict[int, dict[str, Any]]) -> Receipt:
        """Append the signed record of this opening; what was opened may be shown after."""
        names = sorted({name for fields in opened.values() for name in fields})
        extra: dict[str, Any] = {"fields": names}
        if self.event_type == ACCESSED:
            extra["events"] = len(opened)
        if self.signer is None:
            raise MissingActorError()  # authorise() was not called: open nothing
        intent = self._intent(extra)
        return Writer(self.app, self.clock).append([intent], {self.actor: self.signer})[0]
