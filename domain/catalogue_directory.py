"""The declaration of the partnership's agency directory (issue 11 item 11): who heads
each agency's service and who is its Chief Officer, from a date, so an escalation letter
(§13.4, §21.2) reaches the right person. Not in EVENTS.md's tables; docs/events-local.md
says why it was added."""

from __future__ import annotations

from domain.declaring import EventType

DIRECTORY_TYPES: tuple[EventType, ...] = ()
