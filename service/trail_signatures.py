"""The decision trail's signatures: the role each person acted in, and each co-signature
checked against the decision it names (issue 11 items 7 and 12).

The rows come from the signed events, each shown event already proved against its
signature and key (projections.signed). Two things only the ledger knows are added here:

- the role each signer acted in: the roles the actor was registered with (an actor's roles
  never change after ``actor-registered``) that may record the event's type;
- for a co-signature, whether the hash it signed is still the hash the chain records for
  the decision: ``verified`` is true only then, so an edited decision shows up here as
  well as in ``cspr verify``.
"""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import select

from domain.catalogue import get_event_type
from domain.rules_cosign import COSIGNED
from ledger.app import LedgerApplication
from projections.source import LedgerFact, ledger_facts


def registered_roles(app: LedgerApplication) -> dict[str, tuple[str, ...]]:
    roles: dict[str, tuple[str, ...]] = {}
    for f in ledger_facts(app, "actor-registered"):
        roles.setdefault(f.data["actor"], tuple(f.data["roles"]))
    return roles


def acted_as(roles: dict[str, tuple[str, ...]], actor: str, event_type: str) -> list[str]:
    allowed = get_event_type(event_type).roles
    return [r for r in roles.get(actor, ()) if r in allowed]


def _chain_hashes(app: LedgerApplication, positions: set[int]) -> dict[int, str]:
    if not positions:
        return {}
    t = app.events_table
    with app.engine.connect() as conn:
        return {p: bytes(h).hex() for p, h in conn.execute(
            select(t.c.position, t.c.chain_hash).where(t.c.position.in_(sorted(positions))))}


def annotate(app: LedgerApplication, rows: list[dict[str, Any]],
             facts: Sequence[LedgerFact]) -> list[dict[str, Any]]:
    """``rows`` (decision-trail rows) with ``acted_as`` on each, and on each signature its
    role and ``verified``."""
    roles = registered_roles(app)
    signed = {f.position: f.data["event_hash"] for f in facts if f.type == COSIGNED}
    hashes = _chain_hashes(app, {r["position"] for r in rows if len(r.get("signatures")
                                                                    or ()) > 1})
    for r in rows:
        r["acted_as"] = acted_as(roles, r["recorded_by"], r["decision"])
        for s in r.get("signatures") or ():
            kind = COSIGNED if s["cosignature"] else r["decision"]
            s["role"] = acted_as(roles, s["actor"], kind)
            s["verified"] = (not s["cosignature"]
                             or signed.get(s["position"]) == hashes.get(r["position"]))
    return rows
