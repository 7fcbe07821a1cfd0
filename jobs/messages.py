"""The letters the nightly job sends: breach alerts and escalation letters.

They name the case reference, the clock or action, the dates, the paragraph, and what is
asked, and nothing else: never a child's or family member's details (PROCEDURE.md,
personal data), which the ledger keeps sealed anyway.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from typing import Any

from domain.calendar import add_months
from domain.errors import UnknownRuleSetError
from domain.rulesets import get_rule_set
from jobs.clock_names import clock_label
from jobs.outbox import Message, breach_key, escalation_key, token
from service.directory import Addressing

LEVEL_NAMES = {"head_of_service": "Head of Service", "chief_officer": "Chief Officer",
               "partners": "Statutory Safeguarding Partners"}


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def text(value: Any, limit: int = 200) -> str:
    """A stored value as it may appear in a letter: one line, encodable, bounded. Letters
    are derived from whatever the ledger holds, including values an older version
    accepted, and one odd value must not stop every letter."""
    clean = _UNPRINTABLE.sub("?", str(value))
    return clean if len(clean) <= limit else clean[:limit] + "..."


def _recipients(variable: str) -> tuple[str, ...]:
    value = os.environ.get(variable) or os.environ.get("CSPR_NOTIFY_TO") \
        or "business-unit@localhost"
    return tuple(a.strip() for a in value.split(",") if a.strip())


def breach_message(case: str, data: dict[str, Any], paragraph: str) -> Message:
    due = date.fromisoformat(data["due_on"])
    ref, clock = text(case), text(clock_label(data["clock"]))
    return Message(
        key=breach_key(case, data["clock"], due),
        to=_recipients("CSPR_NOTIFY_BREACHES"),
        subject=f"[CSPR] Timescale breached: {clock} on case {ref}",
        body=(f"Case: {ref}\nTimescale: {clock} ({text(paragraph)}; "
              f"clock {text(data['clock'])})\n"
              f"Due by the end of: {due.isoformat()}\n"
              f"Rule set: {text(data['rule_set'])}; calendar: {text(data['calendar'])}\n\n"
              "The ledger has recorded this timescale as breached. Please record the "
              "outstanding step, with the date it actually happened, or the reason for the "
              "delay, so the case and the compliance report show the true position.\n"),
        case=token(case),
    )


# §13.4, §21.2: which deadline each rung counts from (an extension moves only the first).
_RUNG_BASIS = {"head_of_service": "three months beyond the deadline in force",
               "chief_officer": "six months beyond the original deadline"}


def escalation_message(case: str, data: dict[str, Any], deadline_in_force: str,
                       agency: str, addressing: Addressing | None = None) -> Message:
    """The letter of one rung. ``addressing`` (service.directory) names the agency's
    person and the L&D chair in force on the escalation's date; without a person the
    letter goes to the admin address (CSPR_NOTIFY_ESCALATIONS, else CSPR_NOTIFY_TO) with
    a warning saying so. The key never depends on whom it is addressed to: a letter
    written before the directory existed is never written or sent again."""
    level = data["level"]
    name, ref = text(LEVEL_NAMES.get(level, level)), text(case)
    action, deadline = text(data["action"]), date.fromisoformat(deadline_in_force)
    to, cc, opening = _addressed(addressing or Addressing(None, None), name, agency,
                                 text(data["on"]))
    return Message(
        key=escalation_key(case, data["action"], level, deadline),
        to=to, cc=cc,
        subject=f"[CSPR] Escalation to {name}: action {action} on case {ref}",
        body=(f"{opening}Case: {ref}\nAction: {action} (agency: {text(agency)})\n"
              f"Counted from: {deadline.isoformat()} "
              f"({_RUNG_BASIS.get(level, 'the deadline in force')})\n"
              f"Escalated on: {text(data['on'])}\n"
              f"Level: {name} (§13.4, §21.2)\n\n"
              "This improvement action is still not completed. Please confirm the remedial "
              "action your agency will take and by when; the L&D sub-group will record your "
              "response. A promise of remedial action does not move the deadline; only the "
              "L&D chair can agree an extension, at the Chief Officer's request.\n"),
        case=token(case),
    )


def _addressed(addressing: Addressing, rung: str, agency: str, on: str
               ) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """(To, Cc, the lines that open the letter) for one escalation letter."""
    admin = _recipients("CSPR_NOTIFY_ESCALATIONS")
    if addressing.to is None:
        return admin, (), (
            f"WARNING: the agency directory has no {rung} in force on {on} for the agency "
            f"'{text(agency)}', so this letter went to the partnership's admin address "
            "instead. Please forward it, and record the agency's entry (cspr directory "
            "agency) so that its next letters go to the right person.\n\n")
    to = (addressing.to.email,)
    greeting = f"Dear {text(addressing.to.name)},\n\n"
    if addressing.cc is None:
        return to, _others(admin, to), (
            "WARNING: no L&D sub-group chair is recorded in the agency directory for "
            f"{on}, so the chair's copy of this letter went to the partnership's admin "
            f"address instead (cspr directory ld-chair).\n\n{greeting}")
    return to, _others((addressing.cc.email,), to), greeting


def _others(addresses: tuple[str, ...], to: tuple[str, ...]) -> tuple[str, ...]:
    # One person who is both addressee and chair gets one copy, not two.
    seen = {a.casefold() for a in to}
    return tuple(a for a in addresses if a.casefold() not in seen)


def paragraph_of(breach: dict[str, Any]) -> str:
    # Static per clock in its rule set, which the breach event names.
    try:
        return get_rule_set(breach["rule_set"]).clock(breach["clock"]).paragraph
    except (UnknownRuleSetError, KeyError):
        return "PROCEDURE.md"


def deadline_at(action: dict[str, Any], level: str, on: str) -> str:
    """The deadline this escalation counted from (original or extended), found by walking
    its rung back: on = deadline + 3 or 6 months + 1 day (§13.4)."""
    months = {"head_of_service": 3, "chief_officer": 6}.get(level)
    for deadline in (action["deadline"], action["original_deadline"]):
        if months and add_months(date.fromisoformat(deadline), months) \
                + timedelta(days=1) == date.fromisoformat(on):
            return deadline
    return action["deadline"]
