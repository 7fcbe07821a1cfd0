"""Folding one chunk of cases into read-model rows, and writing them.

The projector's unit of work (projections.projector), kept apart so that the check of the
read models (projections.check) folds the same chunks the same way and writes them into a
scratch database instead: a rebuild compared against the live tables is only a proof if
it runs the very code that built them.

Any one case that cannot be folded, or whose rows the database refuses, is named in
``proj_failed`` with the kind of its error (never a value) and stops no other case.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Table, case, insert, null, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from domain.calendar import WorkingDayCalendar
from ledger.snapshot import driver_rows
from projections import tables as T
from projections.case_view import CaseView
from projections.rows import case_rows
from projections.rule_sets import RuleSetHistory
from projections.source import LedgerFact, counted_fact, fact_from_row

HORIZON = date(9999, 12, 31)  # judge nothing by date: see projections.tables

# Types whose data no read-model row reads (projections.rows, its helpers and every rule
# set's clocks): a case row counts them and its last position may be one, nothing more.
# So they are not decoded, nor even fetched, when a case is folded: in the bench's
# ledgers they are 73% of a long case's history, and the nightly folds each changed case
# from its first event (issue 13). Reading one's data anyway raises
# (projections.source.UnreadDataError); tests/projections/test_unread_facts.py checks
# that a fold with them decoded gives the very same rows.
UNREAD_BY_ROWS = frozenset({
    "agency-information-received",  # only `case show`'s §8.4 flag reads it (domain.flags)
})


@dataclass
class Chunk:
    """The rows of a chunk of cases, the cases folded and those that failed (kind)."""

    rows: dict[Any, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    folded: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)

    def drop(self, ref: str, kind: str) -> None:
        """Leave ``ref`` out: no rows, named as failed with the kind of its error."""
        self.failures[ref] = kind
        for values in self.rows.values():
            values[:] = [v for v in values if v["case_ref"] != ref]
        if ref in self.folded:
            self.folded.remove(ref)


def fold_chunk(conn: Connection, t: Table, refs: list[str], head: int,
               history: RuleSetHistory, calendar: WorkingDayCalendar) -> Chunk:
    """Read the facts of ``refs`` up to position ``head`` and fold each case."""
    facts: dict[str, list[LedgerFact]] = defaultdict(list)
    unread = t.c.event_type.in_(sorted(UNREAD_BY_ROWS))
    q = (select(t.c.case_ref, t.c.position, case((unread, null()), else_=t.c.state),
                t.c.event_type, t.c.recorded_at, t.c.actor, t.c.key_id)
         .where(t.c.case_ref.in_(refs), t.c.position <= head).order_by(t.c.position))
    chunk = Chunk()
    failures = chunk.failures
    for page in driver_rows(conn, q):
        for ref, position, state, type_, recorded_at, actor, key_id in page:
            if ref in failures:
                continue
            try:
                facts[ref].append(fact_from_row(position, bytes(state)) if state is not None
                                  else counted_fact(position, type_, ref, recorded_at,
                                                    actor, key_id))
            except Exception as e:  # a payload this version cannot read
                failures[ref] = type(e).__name__
    rows = chunk.rows
    for ref in refs:
        case_facts = facts.get(ref, [])
        if ref in failures or not any(f.type == "incident-referred" for f in case_facts):
            continue
        try:
            view = CaseView.fold(ref, case_facts, history.for_case(case_facts), calendar,
                                 HORIZON)
            for table, values in case_rows(view):
                rows[table].extend(values)
            chunk.folded.append(ref)
        except Exception as e:
            # Any error at all: one case's unforeseen value must not stop the others.
            # Only the error's kind is kept: its message may quote a stored value.
            chunk.drop(ref, type(e).__name__)
    return chunk


def store_chunk(conn: Connection, chunk: Chunk) -> int:
    """Write a folded chunk and its failures; returns how many cases got rows."""
    written = _write(conn, chunk.rows, chunk.folded, chunk.failures)
    if chunk.failures:
        conn.execute(insert(T.failed), [{"case_ref": ref, "error": kind[:80]}
                                        for ref, kind in sorted(chunk.failures.items())])
    return written


def _write(conn: Connection, rows: dict[Any, list[dict[str, Any]]], folded: list[str],
           failures: dict[str, str]) -> int:
    # The chunk in one savepoint; if the database refuses a row (a legacy value over
    # a column's limit on PostgreSQL, say), case by case, so only that case is lost.
    try:
        with conn.begin_nested():
            for table, values in rows.items():
                if values:
                    conn.execute(insert(table), values)
        return len(folded)
    except DBAPIError:
        pass
    written = 0
    for ref in folded:
        try:
            with conn.begin_nested():
                for table, values in rows.items():
                    # A legacy NUL or lone surrogate in a text (PostgreSQL refuses
                    # both) is shown replaced; the ledger keeps the true value.
                    mine = [displayable(v) for v in values if v["case_ref"] == ref]
                    if mine:
                        conn.execute(insert(table), mine)
            written += 1
        except DBAPIError as e:
            failures[ref] = type(e.orig).__name__ if e.orig is not None else "DBAPIError"
    return written


def displayable(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in row.items():
        if isinstance(v, str):
            v = v.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
        out[k] = v
    return out
