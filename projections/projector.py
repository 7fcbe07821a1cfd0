"""Keeps the read models up to date from the ledger, incrementally, and rebuilds them.

The projector remembers the last chain position it processed (``proj_tracking``), in the
same transaction as the rows it writes, so a crash never leaves rows and position apart.
An update reads only the events after that position from the log; each case they touch
is re-folded from its facts (its older facts come from the case index, not the log), so
the cost grows with the new events and the cases they touch, never with the history.
Concurrent updaters serialise on the tracking row.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from domain.calendar import WorkingDayCalendar
from ledger.app import LedgerApplication
from projections import tables as T
from projections.actions import action_rows
from projections.case_view import CaseView, decision_rows, stage_of
from projections.rule_sets import RuleSetHistory
from projections.source import LedgerFact, fact_from_row

NAME = "cases"
HORIZON = date(9999, 12, 31)  # judge nothing by date: see projections.tables


@dataclass
class UpdateReport:
    events_read: int = 0
    cases_updated: int = 0
    position: int = 0


class Projector:
    def __init__(self, app: LedgerApplication, calendar: WorkingDayCalendar) -> None:
        self.app = app
        self.calendar = calendar
        self._create_tables()

    def _create_tables(self) -> None:
        # Two processes starting at once (two cron hosts) may both find the tables
        # missing; the loser of the race sees them created and carries on.
        for attempt in range(5):
            try:
                T.metadata.create_all(self.app.engine, checkfirst=True)
                with self.app.engine.begin() as conn:
                    if conn.execute(select(T.tracking.c.name)
                                    .where(T.tracking.c.name == NAME)).first() is None:
                        conn.execute(insert(T.tracking).values(name=NAME, position=0))
                return
            except DBAPIError:
                if attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def position(self) -> int:
        with self.app.engine.connect() as conn:
            return conn.execute(select(T.tracking.c.position)
                                .where(T.tracking.c.name == NAME)).scalar() or 0

    def _lock(self, conn: Connection) -> int:
        # Write first, read second: the no-op update takes the row lock on PostgreSQL and
        # the database write lock on SQLite, so the position read is the latest one.
        conn.execute(update(T.tracking).where(T.tracking.c.name == NAME)
                     .values(position=T.tracking.c.position))
        return int(conn.execute(select(T.tracking.c.position)
                                .where(T.tracking.c.name == NAME)).scalar_one())

    def update(self) -> UpdateReport:
        report = UpdateReport()
        t = self.app.events_table
        with self.app.engine.begin() as conn:
            since = self._lock(conn)
            rows = conn.execute(select(t.c.position, t.c.state).where(t.c.position > since)
                                .order_by(t.c.position)).all()
            report.events_read = len(rows)
            report.position = since
            if not rows:
                return report
            new: dict[str, list[LedgerFact]] = defaultdict(list)
            for position, state in rows:
                fact = fact_from_row(position, bytes(state))
                if fact.case is not None:
                    new[fact.case].append(fact)
            history = RuleSetHistory.load(self.app)
            older = self._older_facts(conn, [c for c in new if since > 0], since)
            views = []
            for case, facts in new.items():
                all_facts = older.get(case, []) + facts
                if any(f.type == "incident-referred" for f in all_facts):
                    views.append(CaseView.fold(case, all_facts, history.for_case(all_facts),
                                               self.calendar, HORIZON))
            self._write(conn, views)
            report.position = rows[-1][0]
            report.cases_updated = len(views)
            conn.execute(update(T.tracking).where(T.tracking.c.name == NAME)
                         .values(position=report.position))
        return report

    def _older_facts(self, conn: Connection, case_refs: list[str],
                     since: int) -> dict[str, list[LedgerFact]]:
        out: dict[str, list[LedgerFact]] = defaultdict(list)
        t = self.app.events_table
        for i in range(0, len(case_refs), 500):
            chunk = case_refs[i:i + 500]
            q = (select(t.c.position, t.c.state)
                 .where(t.c.case_ref.in_(chunk), t.c.position <= since)
                 .order_by(t.c.position))
            for position, state in conn.execute(q):
                fact = fact_from_row(position, bytes(state))
                out[fact.case].append(fact)  # type: ignore[index]
        return out

    def _write(self, conn: Connection, views: list[CaseView]) -> None:
        refs = [v.case for v in views]
        for table in T.PER_CASE:
            for i in range(0, len(refs), 500):
                conn.execute(delete(table).where(table.c.case_ref.in_(refs[i:i + 500])))
        rows: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for v in views:
            for table, values in case_rows(v):
                rows[table].extend(values)
        for table, values in rows.items():
            if values:
                conn.execute(insert(table), values)

    def rebuild(self) -> UpdateReport:
        with self.app.engine.begin() as conn:
            self._lock(conn)
            for table in T.PER_CASE:
                conn.execute(delete(table))
            conn.execute(update(T.tracking).where(T.tracking.c.name == NAME)
                         .values(position=0))
        return self.update()


def case_rows(v: CaseView) -> list[tuple[Any, list[dict[str, Any]]]]:
    """The rows of every read model for one folded case."""
    facts = v.facts
    referral = next(f for f in facts if f.type == "incident-referred")
    threshold = next((f for f in facts if f.type == "threshold-decided"), None)
    breached = {(f.data["clock"], f.data["due_on"]) for f in facts
                if f.type == "deadline-breached"}
    iso = (lambda d: d.isoformat() if d else None)
    case_row = {
        "case_ref": v.case, "stage": stage_of(facts), "opened_on": v.opened_on,
        "events": len(facts), "rule_set": v.rule_set.name, "harm": referral.data["harm"],
        "threshold": None if threshold is None else
        ("met" if threshold.data["meets_threshold"] else "not_met"),
        "last_position": facts[-1].position,
    }
    clock_rows = [{
        "case_ref": v.case, "clock": c.clock, "action": c.action or "", "seq": i,
        "starts_on": iso(c.starts_on), "due_on": iso(c.due_on),
        "at_risk_on": iso(c.at_risk_on),
        "horizon_status": "open" if c.status == "breached" else c.status,
        "met_on": iso(c.met_on), "recorded_late": c.recorded_late,
        "breach_superseded": c.breach_superseded,
        "breach_recorded": (c.clock, iso(c.due_on)) in breached,
        "rule_set": c.rule_set, "calendar": c.calendar, "paragraph": c.paragraph,
        "original_due_on": iso(c.original_due_on),
        "unit": v.rule_set.clock(c.clock).unit,
    } for i, c in enumerate(v.clocks)]
    action_values = [{**{k: a[k] for k in ("action", "agency", "owner", "original_deadline",
                                           "deadline", "status", "completed_on",
                                           "responses")},
                      "case_ref": v.case, "seq": i,
                      "escalations": json.dumps(a["escalations"])}
                     for i, a in enumerate(action_rows(v.case, facts))]
    decision_values = [{
        "position": d["position"], "case_ref": v.case, "decision": d["decision"],
        "outcome": json.dumps(d["outcome"]),
        "rationale": d["rationale"], "decided_by": json.dumps(d["decided_by"]),
        "action": d["action"], "recorded_by": d["recorded_by"], "key_id": d["key_id"],
        "occurred_at": d["occurred_at"], "recorded_at": d["recorded_at"],
        "recorded_late": d["recorded_late"],
    } for d in decision_rows(v.case, facts)]
    chronology_values = [{
        "position": f.position, "case_ref": v.case, "agency": f.data["agency"],
        "event_at": f.data["event_at"], "source": f.data["source"],
        "child_seen": f.data["child_seen"], "recorded_by": f.actor,
        "personal_fields": json.dumps(list(f.personal_fields)),
    } for f in facts if f.type == "chronology-entry-added"]
    return [(T.cases, [case_row]), (T.clocks, clock_rows), (T.actions, action_values),
            (T.decisions, decision_values), (T.chronology, chronology_values)]
