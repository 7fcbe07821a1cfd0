"""Flags: what the procedure allows but wants seen, computed from recorded dates.

Unlike the rules of ``domain.rules`` nothing here refuses an event: PROCEDURE.md's count
rules say the value is "allowed but flagged", so the flag is derived on every read from
the events as stored, and must never fail on a legacy value.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from domain.calendar import add_months
from domain.errors import CalendarRangeError


# §8.4 (2020-03): agency information for the Rapid Review reaches back no more than three
# years before the incident; older information is allowed but flagged (EVENTS.md,
# agency-information-received). Years are counted as calendar months with end-of-month
# clamping (PROCEDURE.md): the look-back of an incident on 29 Feb 2024 starts 28 Feb 2021.
LOOK_BACK_MONTHS = 36
LOOK_BACK_PARAGRAPH = "§8.4"


def look_back_from(incident_on: str) -> str | None:
    """The earliest involvement date §8.4 expects; None when the stored incident date is too
    early to count back from (a legacy value: then nothing is flagged, nothing fails)."""
    try:
        return add_months(date.fromisoformat(incident_on), -LOOK_BACK_MONTHS).isoformat()
    except (CalendarRangeError, ValueError, TypeError):
        return None


def agency_information(facts: Iterable[Any]) -> list[dict[str, Any]]:
    """Each agency information return of a case, with the §8.4 flag: ``beyond_look_back``
    is true when involvement_from is more than three years before incident_on. Reads only
    non-personal fields (agency, completed_by, dates)."""
    facts = list(facts)
    referral = next((f for f in facts if f.type == "incident-referred"), None)
    start = look_back_from(referral.data.get("incident_on")) if referral else None
    rows = []
    for f in facts:
        if f.type != "agency-information-received":
            continue
        began = f.data.get("involvement_from")
        rows.append({
            "agency": f.data.get("agency"), "completed_by": f.data.get("completed_by"),
            "involvement_from": began, "involvement_to": f.data.get("involvement_to"),
            "incident_on": referral.data.get("incident_on") if referral else None,
            "look_back_from": start,
            "beyond_look_back": bool(start and isinstance(began, str) and began < start),
            "paragraph": LOOK_BACK_PARAGRAPH,
        })
    return rows


# §19.1 (2020-03): "no later than six months from the date of the decision to initiate a
# review"; where other proceedings delay publication the partners tell the National Panel
# and the Secretary of State the reason. A plan to publish after the due date is allowed
# (the seed expects delays) but flagged, with the reasons notified so far (issue 11).
PUBLICATION_PARAGRAPH = "§19.1"


def publication_delay(facts: Iterable[Any], clocks: Iterable[Any]) -> dict[str, Any] | None:
    """The flag for a planned publication after the §19.1 due date, or None.

    ``clocks`` are the case's ClockStates; the plan in force is the latest by occurrence
    (ledger order breaking ties), as the pre-publication clock takes it. Once the report is
    published or publication declined the clock itself says how late it was, and the flag
    goes on showing the plan and the reasons given."""
    facts = list(facts)
    clock = next((c for c in clocks if c.clock == "publication" and c.action is None), None)
    plans = [(f.occurred_on, i, f.data.get("planned_on")) for i, f in enumerate(facts)
             if f.type == "publication-planned" and isinstance(f.data.get("planned_on"), str)]
    if clock is None or clock.due_on is None or not plans:
        return None
    planned_on = max(plans)[2]
    if planned_on <= clock.due_on.isoformat():
        return None
    reasons = [{"on": f.occurred_on.isoformat(), "reason": f.data.get("reason"),
                "recipients": f.data.get("recipients")}
               for f in facts if f.type == "publication-delay-notified"]
    return {"planned_on": planned_on, "due_on": clock.due_on.isoformat(),
            "start_assumed": clock.start_assumed, "paragraph": PUBLICATION_PARAGRAPH,
            "reasons": reasons, "reason_notified": bool(reasons)}
