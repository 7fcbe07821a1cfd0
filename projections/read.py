"""Reading the read models, judging each clock against the date asked about."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Mapping

from sqlalchemy import or_, select

from ledger.app import LedgerApplication
from projections import tables as T


def judge(row: dict[str, Any], as_of: date) -> tuple[str, str | None]:
    """Status and met date of a stored clock at the end of ``as_of``.

    Valid for any ``as_of`` on or after the last fact's occurred date (facts are never in
    the future, so "today" always qualifies); earlier dates are replayed by folding.
    """
    status, met_on, due = row["horizon_status"], row["met_on"], row["due_on"]
    day = as_of.isoformat()
    if status in ("met", "met_late") and met_on and met_on > day \
            and row["unit"] != "years_after":
        status = "open"  # stopped only after the day asked about (a catch-up run)
    if status == "open":
        if day > due:
            return "breached", None
        if row["at_risk_on"] and day >= row["at_risk_on"]:
            return "at_risk", None
        return "pending", None
    if row["unit"] == "years_after" and status == "met" and day < due:
        return "pending", None  # a minimum period not yet served
    return status, met_on


def clock_rows(app: LedgerApplication, as_of: date, case: str | None = None,
               attention: bool = False) -> list[dict[str, Any]]:
    """Every stored clock judged at ``as_of``; with ``attention``, only the rows that can
    be judged breached or at risk are read (the Today page: a few thousand of the
    ledger's clocks, not all), and ``judge`` still decides each."""
    c = T.clocks.c
    q = select(T.clocks).order_by(c.case_ref, c.seq)
    if case is not None:
        q = q.where(c.case_ref == case)
    if attention:
        # A superset of what judge() calls breached or at risk: still running, or stopped
        # only after the day; and past due, or on or after its at-risk day (a status
        # stored as anything else is kept, as judge() returns it as stored).
        day, stopped = as_of.isoformat(), ("met", "met_late", "not_required")
        q = q.where(or_(c.horizon_status.not_in(stopped), c.met_on > day),
                    or_(c.due_on < day, c.at_risk_on <= day,
                        c.horizon_status.not_in(("open", "met", "met_late"))))
    out = []
    with app.engine.connect() as conn:
        for r in conn.execute(q).mappings():
            status, met_on = judge(r, as_of)
            out.append({
                "case": r["case_ref"], "clock": r["clock"], "action": r["action"] or None,
                "starts_on": r["starts_on"], "due_on": r["due_on"],
                "at_risk_on": r["at_risk_on"], "status": status, "met_on": met_on,
                "recorded_late": bool(r["recorded_late"]),
                "breach_superseded": bool(r["breach_superseded"]),
                "breach_recorded": bool(r["breach_recorded"]),
                "rule_set": r["rule_set"], "calendar": r["calendar"],
                "paragraph": r["paragraph"], "original_due_on": r["original_due_on"],
                "start_assumed": r["start_assumed"],
            })
    return out


def action_rows(app: LedgerApplication, case: str | None = None) -> list[dict[str, Any]]:
    c = T.actions.c
    q = select(T.actions).order_by(c.case_ref, c.seq)
    if case is not None:
        q = q.where(c.case_ref == case)
    with app.engine.connect() as conn:
        return [{"case": r["case_ref"], "action": r["action"], "agency": r["agency"],
                 "owner": r["owner"], "original_deadline": r["original_deadline"],
                 "deadline": r["deadline"], "status": r["status"],
                 "completed_on": r["completed_on"],
                 "escalations": json.loads(r["escalations"]), "responses": r["responses"]}
                for r in conn.execute(q).mappings()]


def case_summaries(app: LedgerApplication) -> list[dict[str, Any]]:
    with app.engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(T.cases).order_by(T.cases.c.case_ref)).mappings()]


def decision_trail(app: LedgerApplication, case: str) -> list[dict[str, Any]]:
    c = T.decisions.c
    with app.engine.connect() as conn:
        rows = conn.execute(select(T.decisions).where(c.case_ref == case)
                            .order_by(c.position)).mappings()
        return [trail_row(r) for r in rows]


def trail_row(r: Mapping[str, Any]) -> dict[str, Any]:
    """A decision-trail row as shown, from a row of ``proj_decisions`` or one derived the
    same way (projections.rows)."""
    return {**dict(r), "case": r["case_ref"], "outcome": json.loads(r["outcome"]),
            "decided_by": json.loads(r["decided_by"]),
            # Issue 11 items 7 and 12: every signature, and who has still to sign.
            "cosigners": json.loads(r["cosigners"] or "[]"),
            "signatures": json.loads(r["signatures"] or "[]"),
            "pending": json.loads(r["pending"] or "[]")}


def chronology_rows(app: LedgerApplication, case: str) -> list[dict[str, Any]]:
    c = T.chronology.c
    with app.engine.connect() as conn:
        rows = conn.execute(select(T.chronology).where(c.case_ref == case)
                            .order_by(c.event_at, c.position)).mappings()
        return [chronology_row(r) for r in rows]


def chronology_row(r: Mapping[str, Any]) -> dict[str, Any]:
    return {**dict(r), "personal_fields": json.loads(r["personal_fields"])}
