"""One event class per catalogue entry, generated from the catalogue so it is declared once.

Class names are the catalogue's past-tense PascalCase names (``IncidentReferred``); an
event that opens a stream (a referral opens a case, an agreed action opens that action)
is a ``Created`` event of its aggregate, every other one a plain event. They are module
attributes so that stored topics such as ``domain.events:IncidentReferred`` resolve.
"""

from __future__ import annotations

from domain.catalogue import EVENT_TYPES
from domain.streams import Stream

# The event that opens each kind of stream (§4.2 referral; §10 LCSPR commissioned;
# §13.4 action agreed); any other event needs its stream to exist already.
OPENING_EVENTS: dict[str, str] = {
    "case": "incident-referred",
    "review": "review-commissioned",
    "action": "action-agreed",
    "actor": "actor-registered",
    "ledger": "ledger-initialised",
}

EVENT_CLASSES: dict[str, type] = {}

for _name, _et in EVENT_TYPES.items():
    _base = Stream.Opened if OPENING_EVENTS.get(_et.stream) == _name else Stream.Recorded
    _cls = type(_et.class_name, (_base,), {"__module__": __name__,
                                           "__qualname__": _et.class_name})
    globals()[_et.class_name] = _cls
    EVENT_CLASSES[_name] = _cls
