"""``cspr case erase``: an admin and a second person erase a case's personal data.

The admin signs a ``personal-data-erased`` event (with their key and passphrase); the
co-signer (``business_unit`` or ``scrutineer``) signs the erasure message of
``ledger.cosignature`` with their own key and passphrase, and the writer checks that
co-signature before appending. Only then is the case's data key made unrecoverable
(``ledger.erasure.shred``: the master key is rotated and the old one destroyed).

Two steps, in this order: the signed event, then the key. A refusal (a wrong or missing
co-signature, a role, a passphrase) happens before the event is appended, so nothing is
appended or changed. A crash between the two leaves a case recorded as erased whose key
still opens: running ``case erase`` again finishes it without a second event (the
retention report lists such a case as unfinished).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable

from domain import limits
from domain.calendar import london_date
from domain.errors import InvalidFieldError, RuleViolationError, UnknownCaseError
from domain.streams import Case
from ledger.app import LedgerApplication
from ledger.cosignature import ERASED, erase_message
from ledger.erasure import Shredded, shred
from projections.case_view import erasure_of
from projections.source import case_facts
from service import passphrases
from service.actors import load_actor_signer
from service.home import Home
from service.writer import Receipt, Writer, make_intent

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class AlreadyErasedError(RuleViolationError):
    def __init__(self, case: str, on: str) -> None:
        super().__init__(f"case {case}'s personal data was already erased on {on}")


@dataclass(frozen=True)
class Erasure:
    case: str
    receipt: Receipt | None  # None: the event was already there (a finished retry)
    shredded: Shredded

    def as_json(self) -> dict[str, Any]:
        return {"case": self.case, "erased": True,
                "event": self.receipt.as_json() if self.receipt else None,
                "data_key_deleted": self.shredded.case_deleted,
                "other_keys_rewrapped": self.shredded.rewrapped}


def erase_case(app: LedgerApplication, home: Home, case: str, reason: str, cosigner: str,
               by: str = "admin", clock: Clock = _utcnow) -> Erasure:
    now = clock()
    # Every input is checked before any key is opened or anything written.
    if not isinstance(cosigner, str) or not re.fullmatch(limits.ACTOR_PATTERN, cosigner):
        raise InvalidFieldError("cosigner", limits.ACTOR_HELP, "invalid")
    intent = make_intent(ERASED, case, {
        "reason": reason, "cosigned_by": cosigner, "cosignature": "0" * 128,
        "erased_on": london_date(now).isoformat()}, None, by, now)
    if app.load(Case, case) is None:
        raise UnknownCaseError(case)
    admin = load_actor_signer(home, by)
    done = erasure_record(app, case)
    if done is not None:
        if not app.sealer.holds_key(case):
            raise AlreadyErasedError(case, done["on"])
        return _shred(app, home, case, None)  # a retry after a crash: finish the key
    second = passphrases.open_signer(home.keys, cosigner)
    signature = second.sign(erase_message(case, intent.data["reason"], app.ledger_id()))
    intent = replace(intent, data={**intent.data, "cosignature": signature.hex()})
    receipts = Writer(app, clock).append([intent], {by: admin})  # checks the co-signature
    return _shred(app, home, case, replace(receipts[0], head=receipts[-1].head))


def _shred(app: LedgerApplication, home: Home, case: str,
           receipt: Receipt | None) -> Erasure:
    result = shred(app.engine, home.keys, case)
    app.sealer.forget()  # the master key in memory is the destroyed one
    return Erasure(case, receipt, result)


def erasure_record(app: LedgerApplication, case: str) -> dict[str, Any] | None:
    """The case's erasure as ``case show`` states it, or None if it was never erased."""
    return erasure_of(case_facts(app, case))
