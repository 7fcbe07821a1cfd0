"""The App. 6 chronology of a case, merged across agencies in the order events happened.

Personal fields (what happened, who was involved, the child's views...) are sealed in the
ledger; they are opened only when asked for explicitly by an actor who proves possession
of a registered key and holds a role entitled to read the review's working papers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from domain.errors import RuleViolationError
from domain.streams import Actor
from ledger.app import LedgerApplication
from ledger.errors import KeyMismatchError, MissingActorError, UnknownActorError
from service.actors import load_actor_signer
from service.home import Home
from service.queries import Queries

READERS = frozenset({"partner", "scrutineer", "reviewer", "business_unit", "ld_chair"})


class PersonalDataNotAuthorisedError(RuleViolationError):
    paragraph = "§17-18, Data Protection Act 2018"

    def __init__(self, actor: str) -> None:
        super().__init__(f"'{actor}' holds no role entitled to read personal data "
                         f"({', '.join(sorted(READERS))})")


def chronology(app: LedgerApplication, home: Home, case: str, include_personal: bool,
               actor: str | None) -> list[dict[str, Any]]:
    rows = Queries(app).chronology(case)
    if not include_personal:
        return rows
    if not actor:
        raise MissingActorError()
    signer = load_actor_signer(home, actor)  # proves possession of the key
    registered = app.load(Actor, actor)
    if registered is None:
        raise UnknownActorError(actor)
    if registered.revoked or registered.key_id != signer.key_id:
        raise KeyMismatchError(actor)
    if not READERS & set(registered.roles):
        raise PersonalDataNotAuthorisedError(actor)
    t = app.events_table
    with app.engine.connect() as conn:
        sealed = dict(conn.execute(select(t.c.position, t.c.sealed).where(
            t.c.position.in_([r["position"] for r in rows]))).all())
    for r in rows:
        blob = sealed.get(r["position"])
        if blob is not None:
            r.update(app.sealer.open(case, bytes(blob)))
    return rows
