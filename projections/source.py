"""Reading the ledger's events back as facts, straight from the events table.

Reads use the indexed copies of signed values (case, recorded time, type) so that a
case's history or "what we knew at instant T" never decodes the whole ledger.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

# Not from domain.procedure, which loads every event class and rule: a read command
# needs neither (issue 13).
from domain.calendar import london_date, occurred_on
from ledger.app import LedgerApplication
from ledger.mapper import parse_instant


@dataclass(frozen=True)
class LedgerFact:
    position: int
    type: str
    case: str | None
    data: dict[str, Any]
    occurred_at: str
    recorded_at: datetime
    actor: str
    key_id: str
    personal_fields: tuple[str, ...] = ()

    @property
    def occurred_on(self) -> date:
        return occurred_on(self.occurred_at)

    @property
    def recorded_on(self) -> date:
        return london_date(self.recorded_at)

    @property
    def action(self) -> str | None:
        return self.data.get("action") if self.type.startswith(("action-", "escalation-")) \
            else None


class UnreadDataError(LookupError):
    """A fact's data was read where the fold had promised not to need it (projections
    .fold.UNREAD_BY_ROWS must then lose that type)."""


class _Unread(Mapping[str, Any]):
    """The data of a fact the read models never decoded: any use of it is a bug, and
    loud (the case is named as failed), not a silently empty value."""

    def __getitem__(self, key: str) -> Any:
        raise UnreadDataError(key)

    def __iter__(self) -> Iterator[str]:
        raise UnreadDataError("*")

    def __len__(self) -> int:
        raise UnreadDataError("*")


_UNREAD = _Unread()


def counted_fact(position: int, type_: str, case: str | None, recorded_at: str,
                 actor: str, key_id: str) -> LedgerFact:
    """A fact from the events table's indexed copies alone (checked against the signed
    payload by verify), its payload not decoded: for a type no read-model row reads,
    where a case's rows need only that it happened and where (issue 13: most of a long
    case's history, decoded every time the case is folded)."""
    return LedgerFact(position, type_, case, _UNREAD, "",  # type: ignore[arg-type]
                      parse_instant(recorded_at), actor, key_id)


def fact_from_row(position: int, state: bytes) -> LedgerFact:
    return fact_from_payload(position, json.loads(state))


def fact_from_payload(position: int, p: dict[str, Any]) -> LedgerFact:
    return LedgerFact(position, p["type"], p["case"], p["data"], p["occurred_at"],
                      parse_instant(p["recorded_at"]), p["actor"], p["key_id"],
                      tuple(p.get("personal", {}).get("fields", ())))


def case_facts(app: LedgerApplication, case: str,
               until_recorded: str | None = None) -> list[LedgerFact]:
    """Every event of one case (its case, LCSPR and action streams) in ledger order."""
    t = app.events_table
    q = select(t.c.position, t.c.state).where(t.c.case_ref == case).order_by(t.c.id)
    if until_recorded is not None:
        q = q.where(t.c.recorded_at <= until_recorded)
    with app.engine.connect() as conn:
        return [fact_from_row(pos, bytes(state)) for pos, state in conn.execute(q)]


def ledger_facts(app: LedgerApplication, event_type: str, upto: int | None = None,
                 conn: Connection | None = None) -> list[LedgerFact]:
    """The events of one type (up to position ``upto``), read on ``conn`` if given (a
    snapshot) or on a connection of their own."""
    t = app.events_table
    q = select(t.c.position, t.c.state).where(t.c.event_type == event_type).order_by(t.c.id)
    if upto is not None:
        q = q.where(t.c.position <= upto)
    if conn is not None:
        return [fact_from_row(pos, bytes(state)) for pos, state in conn.execute(q)]
    with app.engine.connect() as own:
        return [fact_from_row(pos, bytes(state)) for pos, state in own.execute(q)]
