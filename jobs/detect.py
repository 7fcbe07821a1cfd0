"""What the nightly job owes the ledger for a date: the breaches and escalations that are
due at the end of that date and not yet recorded.

Pure and deterministic: the same clock table gives the same events with the same dates,
whichever run (on time, late, twice, on two hosts at once) records them, so the
procedure's duplicate rules make every one of them land exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Sequence

# §13.4, §21.2: the ladder's rungs and the level each one escalates to.
LADDER = {"action_head_of_service": "head_of_service", "action_chief_officer": "chief_officer"}


@dataclass(frozen=True)
class Due:
    type: str  # deadline-breached | action-escalated
    case: str
    data: dict[str, Any]
    occurred_on: date
    deadline_in_force: str | None = None


def _day_after(iso: str) -> date:
    # A clock due on D is breached once D has ended: the event is dated D + 1.
    return date.fromisoformat(iso) + timedelta(days=1)


def due_breaches(clocks: Sequence[dict[str, Any]],
                 failed: set[str] | None = None) -> list[Due]:
    """``failed`` collects the cases a stored value makes impossible to judge (a date at
    the calendar's end); they are skipped and the rest go on."""
    out = []
    for c in clocks:
        if c["status"] != "breached" or c["clock"] in LADDER or c.get("breach_recorded"):
            continue
        try:
            occurred = _day_after(c["due_on"])
        except _UNUSABLE:
            if failed is None:
                raise
            failed.add(c["case"])
            continue
        out.append(Due("deadline-breached", c["case"], {
            "clock": c["clock"], "due_on": c["due_on"], "rule_set": c["rule_set"],
            "calendar": c["calendar"]}, occurred))
    return out


def due_escalations(clocks: Sequence[dict[str, Any]],
                    actions: Sequence[dict[str, Any]],
                    failed: set[str] | None = None) -> list[Due]:
    by_action = {(a["case"], a["action"]): a for a in actions}
    out = []
    for c in clocks:
        level = LADDER.get(c["clock"])
        if level is None or c["status"] != "breached":
            continue
        a = by_action.get((c["case"], c["action"]))
        if a is None or a["status"] != "open":
            continue
        # The deadline this rung counts from is the clock's start, as its rule set says:
        # the deadline in force for the Head of Service, the original deadline for the
        # Chief Officer (§13.4). An escalation dated after it already climbed this rung.
        counted_from = c["starts_on"]
        try:
            if any(e["level"] == level and e["on"] > counted_from
                   for e in a["escalations"]):
                continue
            on = _day_after(c["due_on"])
        except _UNUSABLE:
            if failed is None:
                raise
            failed.add(c["case"])
            continue
        out.append(Due("action-escalated", c["case"], {
            "action": c["action"], "level": level, "on": on.isoformat()}, on,
            deadline_in_force=counted_from))
    return out


_UNUSABLE = (ValueError, TypeError, KeyError, OverflowError)

