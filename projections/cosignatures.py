"""Where each joint decision of a case stands with its co-signatures (issue 11 item 7).

§8.9, §21.1: a joint decision is the partners' and the Independent Scrutineer's; it is
recorded by one of them, naming in ``cosigners`` who else must sign it, and each of those
signs it with a ``decision-cosigned`` event under their own key. Until every one has
signed, the decision is shown as pending co-signature. Its clocks still stop on the
decision's occurred date (PROCEDURE.md: clocks run on occurred times): the co-signature
completes the record of a decision already taken, it does not move when it was taken.

A decision still pending 5 working days after it occurred is flagged (issue 11): day 0 is
the decision's occurred date, "after 5 WD" the end of the 5th working day after it, as for
every clock (PROCEDURE.md, Clocks). Pure: facts, calendar and day in, rows out.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Sequence

from domain.calendar import WorkingDayCalendar
from domain.cosigners import JOINT_DECISIONS
from domain.rules_cosign import COSIGNED
from projections.source import LedgerFact

COSIGN_WORKING_DAYS = 5  # issue 11 item 7: "not fully co-signed after 5 WD"
OVERDUE_NOTE = "not fully co-signed after 5 working days"


def cosignatures_by_position(facts: Sequence[LedgerFact]) -> dict[int, list[LedgerFact]]:
    out: dict[int, list[LedgerFact]] = {}
    for f in facts:
        if f.type == COSIGNED:
            out.setdefault(f.data["position"], []).append(f)
    return out


def signature(f: LedgerFact, cosignature: bool) -> dict[str, Any]:
    """One signature of a decision: who, with which key, when, and where in the ledger."""
    return {"actor": f.actor, "key_id": f.key_id, "at": f.recorded_at.isoformat(),
            "position": f.position, "cosignature": cosignature}


def signing_of(f: LedgerFact, cosigs: dict[int, list[LedgerFact]]) -> dict[str, Any]:
    """A decision's signatures (the recorder's first) and who has still to sign."""
    named = list(f.data.get("cosigners") or ())
    mine = [c for c in cosigs.get(f.position, ()) if c.data["decision"] == f.type]
    signed = [c.actor for c in mine if c.actor in named]
    return {"cosigners": named,
            "signatures": [signature(f, False)] + [signature(c, True) for c in mine],
            "pending": [n for n in named if n not in signed]}


def cosign_due_on(f: LedgerFact, calendar: WorkingDayCalendar) -> date:
    return calendar.add_working_days(f.occurred_on, COSIGN_WORKING_DAYS)


def awaiting_cosignature(facts: Sequence[LedgerFact], calendar: WorkingDayCalendar,
                         as_of: date) -> list[dict[str, Any]]:
    """Each joint decision of ``facts`` with a co-signer still to sign, as ``case show``
    lists it; ``overdue`` once the 5th working day after the decision has ended."""
    cosigs = cosignatures_by_position(facts)
    rows = []
    for f in facts:
        if f.type not in JOINT_DECISIONS or not f.data.get("cosigners"):
            continue
        s = signing_of(f, cosigs)
        if not s["pending"]:
            continue
        due = cosign_due_on(f, calendar)
        rows.append({
            "decision": f.type, "position": f.position, "occurred_at": f.occurred_at,
            "recorded_on": f.recorded_on.isoformat(),
            "signed_by": [x["actor"] for x in s["signatures"]],
            "still_to_sign": s["pending"], "due_on": due.isoformat(),
            "overdue": as_of > due, "note": OVERDUE_NOTE if as_of > due else None,
        })
    return rows


def late_cosignatures(facts: Sequence[LedgerFact], calendar: WorkingDayCalendar,
                      as_of: date) -> list[dict[str, Any]]:
    """Each joint decision not fully co-signed by the end of its 5th working day, as the
    compliance report flags it: still pending at ``as_of``, or completed after it."""
    cosigs = cosignatures_by_position(facts)
    rows = []
    for f in facts:
        if f.type not in JOINT_DECISIONS or not f.data.get("cosigners") \
                or f.occurred_on > as_of:
            continue
        due = cosign_due_on(f, calendar)
        s = signing_of(f, cosigs)
        days = [c.occurred_on for c in cosigs.get(f.position, ())
                if c.data["decision"] == f.type and c.actor in s["cosigners"]
                and c.occurred_on <= as_of]
        signed = {c.actor for c in cosigs.get(f.position, ())
                  if c.data["decision"] == f.type and c.occurred_on <= as_of}
        pending = [n for n in s["cosigners"] if n not in signed]
        completed = None if pending else max(days)
        if as_of <= due or (completed is not None and completed <= due):
            continue
        rows.append({"case": f.case, "decision": f.type, "position": f.position,
                     "occurred_on": f.occurred_on.isoformat(), "due_on": due.isoformat(),
                     "still_to_sign": pending,
                     "completed_on": completed.isoformat() if completed else None})
    return rows
