"""The letters the nightly job sends: breach alerts and escalation letters.

They name the case reference, the clock or action, the dates, the paragraph, and what is
asked, and nothing else: never a child's or family member's details (PROCEDURE.md,
personal data), which the ledger keeps sealed anyway.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from jobs.outbox import Message, breach_key, escalation_key

LEVEL_NAMES = {"head_of_service": "Head of Service", "chief_officer": "Chief Officer",
               "partners": "Statutory Safeguarding Partners"}


def _recipients(variable: str) -> tuple[str, ...]:
    value = os.environ.get(variable) or os.environ.get("CSPR_NOTIFY_TO") \
        or "business-unit@localhost"
    return tuple(a.strip() for a in value.split(",") if a.strip())


def breach_message(case: str, data: dict[str, Any], paragraph: str) -> Message:
    due = date.fromisoformat(data["due_on"])
    return Message(
        key=breach_key(case, data["clock"], due),
        to=_recipients("CSPR_NOTIFY_BREACHES"),
        subject=f"[CSPR] Timescale breached: {data['clock']} on case {case}",
        body=(f"Case: {case}\nTimescale: {data['clock']} ({paragraph})\n"
              f"Due by the end of: {data['due_on']}\n"
              f"Rule set: {data['rule_set']}; calendar: {data['calendar']}\n\n"
              "The ledger has recorded this timescale as breached. Please record the "
              "outstanding step, with the date it actually happened, or the reason for the "
              "delay, so the case and the compliance report show the true position.\n"),
        case=case,
    )


def escalation_message(case: str, data: dict[str, Any], deadline_in_force: str,
                       agency: str) -> Message:
    level = data["level"]
    return Message(
        key=escalation_key(case, data["action"], level, date.fromisoformat(deadline_in_force)),
        to=_recipients("CSPR_NOTIFY_ESCALATIONS"),
        subject=f"[CSPR] Escalation to {LEVEL_NAMES.get(level, level)}: action "
                f"{data['action']} on case {case}",
        body=(f"Case: {case}\nAction: {data['action']} (agency: {agency})\n"
              f"Deadline in force: {deadline_in_force}\nEscalated on: {data['on']}\n"
              f"Level: {LEVEL_NAMES.get(level, level)} (§13.4, §21.2)\n\n"
              "This improvement action is still not completed. Please confirm the remedial "
              "action your agency will take and by when; the L&D sub-group will record your "
              "response. A promise of remedial action does not move the deadline; only the "
              "L&D chair can agree an extension, at the Chief Officer's request.\n"),
        case=case,
    )
