"""``cspr cosign POSITION``: a named co-signer signs a joint decision with their own key.

The co-signature is an ordinary event, ``decision-cosigned``, signed and chained like any
other and recorded by the co-signer under their own key: it names the decision's ledger
position, its type and the hash the chain records for it, so it binds the decision's
exact content (issue 11 item 7, §8.9, §21.1).

The domain sees streams, not ledger positions or hashes: what only the ledger knows is
checked here, before the event is written, each failure a named error. The rules the
domain can see (one co-signature per actor and decision, and the roles) are checked by
the writer as for every event (domain/rules_cosign.py). Because this is the one way in
(``decision-cosigned`` is not recorded by ``record`` or ``import``), no co-signature
reaches the ledger unchecked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from typing import Any, Callable

from sqlalchemy import select

from domain.calendar import WorkingDayCalendar
from domain.cosigners import JOINT_DECISIONS
from domain.errors import InvalidFieldError, RuleViolationError
from domain.rules_cosign import COSIGNED
from ledger.app import LedgerApplication
from ledger.rowtypes import blob
from ledger.signing import Signer
from projections.cosignatures import late_cosignatures
from projections.source import ledger_facts
from service.actors import load_actor_signer
from service.home import Home
from service.writer import Receipt, Writer, make_intent

Clock = Callable[[], datetime]
POSITION_HELP = "a ledger position holding a joint decision, as case show or case " \
                "history lists it"


class PositionNotInLedgerError(InvalidFieldError):
    def __init__(self) -> None:
        super().__init__("position", POSITION_HELP, "beyond the ledger's end")


class NotAJointDecisionError(RuleViolationError):
    paragraph = "§8.9, §21.1"

    def __init__(self) -> None:
        super().__init__("the event at this position is not a joint decision of a case "
                         f"({', '.join(JOINT_DECISIONS)})")


class NotANamedCosignerError(RuleViolationError):
    paragraph = "§8.9, §21.1"

    def __init__(self) -> None:
        super().__init__("this decision does not name you among its cosigners")


class DecisionUnreadableError(RuleViolationError):
    paragraph = "issue 11: a co-signature binds the decision's exact content"

    def __init__(self) -> None:
        super().__init__("the decision at this position cannot be read back as recorded; "
                         "run 'cspr verify'")


@dataclass(frozen=True)
class Decision:
    position: int
    case: str
    type: str
    chain_hash: str
    actor: str
    data: dict[str, Any]


def decision_at(app: LedgerApplication, position: int) -> Decision:
    """The joint decision the ledger holds at ``position``, or a named refusal."""
    if position > app.size():
        raise PositionNotInLedgerError()
    t = app.events_table
    with app.engine.connect() as conn:
        row = conn.execute(select(t.c.case_ref, t.c.event_type, t.c.chain_hash, t.c.state)
                           .where(t.c.position == position)).first()
    if row is None or row[0] is None or row[1] not in JOINT_DECISIONS:
        raise NotAJointDecisionError()
    try:
        payload = json.loads(blob(row[3]))
        data, actor = dict(payload["data"]), str(payload["actor"])
        if payload["type"] != row[1] or payload["case"] != row[0]:
            raise ValueError("indexed copies disagree")
    except (ValueError, KeyError, TypeError):
        raise DecisionUnreadableError() from None
    return Decision(position, row[0], row[1], bytes(row[2]).hex(), actor, data)


def check_cosigner(decision: Decision, actor: str) -> None:
    if actor not in (decision.data.get("cosigners") or ()):
        raise NotANamedCosignerError()


def cosign(app: LedgerApplication, home: Home, actor: str, position: int,
           clock: Clock = lambda: datetime.now(timezone.utc)) -> Receipt:
    """Record ``actor``'s co-signature of the decision at ``position``; nothing on refusal."""
    return cosign_with(app, actor, position, lambda: load_actor_signer(home, actor), clock)


def cosign_with(app: LedgerApplication, actor: str, position: int,
                signer_of: Callable[[], Signer],
                clock: Clock = lambda: datetime.now(timezone.utc)) -> Receipt:
    """``cosign`` with the key ``signer_of`` opens (the web: the passphrase typed in the
    form). It is asked for only after the decision and the cosigner are checked, so a
    refused request never opens a key."""
    decision = decision_at(app, position)
    check_cosigner(decision, actor)
    intent = make_intent(COSIGNED, decision.case, {
        "position": decision.position, "decision": decision.type,
        "event_hash": decision.chain_hash}, None, actor, clock())
    signer = signer_of()
    receipts = Writer(app, clock).append([intent], {actor: signer})
    return replace(receipts[0], head=receipts[-1].head)


def joint_decision_facts(app: LedgerApplication) -> list[Any]:
    """The ledger's joint decisions and co-signatures, in ledger order. Read by type, an
    indexed column: never every event."""
    facts = [f for t in (*JOINT_DECISIONS, COSIGNED) for f in ledger_facts(app, t)]
    facts.sort(key=lambda f: f.position)
    return facts


def late_cosignature_rows(app: LedgerApplication, calendar: WorkingDayCalendar,
                          as_of: date) -> list[dict[str, Any]]:
    """Every joint decision of the ledger not fully co-signed after 5 working days at the
    end of ``as_of``, for the compliance report. Read by type (an indexed column): the
    joint decisions and the co-signatures only, never every event."""
    return late_cosignatures(joint_decision_facts(app), calendar, as_of)
