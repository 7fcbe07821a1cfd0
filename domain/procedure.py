"""Commands of the procedure: turn one intended event into a change of the right stream.

``Procedure`` finds (or opens) the stream an event belongs to, checks every rule of
``domain.rules`` against the streams as they stand, and applies the event. It loads
streams through a function it is given, so the domain never touches storage, and it
caches them so that an import of many lines sees its own earlier lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable
from uuid import UUID

from domain.calendar import occurred_on
from domain.catalogue import get_event_type
from domain.errors import RuleViolationError, UnknownCaseError
from domain.events import EVENT_CLASSES, OPENING_EVENTS
from domain.rules import (
    ActionNotAgreedError,
    ReviewNotCommissionedError,
    RuleContext,
    check,
)
from domain.streams import STREAM_CLASSES, Action, Actor, Case, Review, Stream, stream_id

# §4.3, §10.5: was there a review? Issue 11: a co-signature may be of an LCSPR decision.
REVIEW_READERS = frozenset({"case-closed", "decision-cosigned"})

Loader = Callable[[type[Stream], tuple[str, ...]], "Stream | None"]


class StreamExistsError(RuleViolationError):
    """An actor or the ledger itself registered twice."""


class StreamMissingError(RuleViolationError):
    """An actor or ledger event before that actor or the ledger exists."""


@dataclass(frozen=True)
class Intent:
    """An event someone asks to record, already validated for shape."""

    type: str
    case: str | None
    data: dict[str, Any]
    occurred_at: str  # 'YYYY-MM-DD' (that London day) or a UTC instant
    actor: str


def stream_key(kind: str, case: str | None, data: dict[str, Any]) -> tuple[str, ...]:
    if kind in ("case", "review"):
        return (case or "",)
    if kind == "action":
        return (case or "", data["action"])
    if kind == "actor":
        return (data["actor"],)
    return ("ledger",)


class Procedure:
    def __init__(self, load: Loader) -> None:
        self._load = load
        self._cache: dict[UUID, Stream | None] = {}
        self.touched: dict[UUID, Stream] = {}

    def stream(self, cls: type[Stream], *key: str) -> Stream | None:
        sid = stream_id(cls.kind, *key)
        if sid not in self._cache:
            self._cache[sid] = self._load(cls, key)
        return self._cache[sid]

    def record(self, intent: Intent, recorded_at: datetime, today: date) -> Stream:
        kind = get_event_type(intent.type).stream
        key = stream_key(kind, intent.case, intent.data)
        case = review = action = None
        if kind in ("case", "review", "action"):
            case = self.stream(Case, intent.case or "")
            if case is None and intent.type != "incident-referred":
                raise UnknownCaseError(intent.case or "")
            # Only these rules read the LCSPR; skipping the read elsewhere halves the cost
            # of recording an action update or a case event.
            if kind == "review" or intent.type in REVIEW_READERS:
                review = self.stream(Review, intent.case or "")
            if kind == "review" and review is None and intent.type != "review-commissioned":
                raise ReviewNotCommissionedError("no LCSPR has been commissioned for this case")
            if kind == "action":
                action = self.stream(Action, *key)
                if action is None and intent.type != "action-agreed":
                    raise ActionNotAgreedError(
                        f"action '{intent.data['action']}' has not been agreed for this case"
                    )
        # Issue 11 item 7: the rules check each named co-signer as registered.
        actors = {name: self.stream(Actor, name) for name in intent.data.get("cosigners", ())}
        check(RuleContext(intent.type, intent.data, occurred_on(intent.occurred_at), today,
                          case, review, action, intent.actor, actors))
        stream_cls = STREAM_CLASSES[kind]
        target = self.stream(stream_cls, *key)
        opening = OPENING_EVENTS[kind] == intent.type
        if kind in ("actor", "ledger"):
            if opening and target is not None:
                raise StreamExistsError(f"'{key[0]}' is already registered")
            if not opening and target is None:
                raise StreamMissingError(f"'{key[0]}' is not registered")
        content = dict(type=intent.type, case=intent.case, data=intent.data,
                       occurred_at=intent.occurred_at, actor=intent.actor)
        event_class = EVENT_CLASSES[intent.type]
        if target is None:
            target = stream_cls.open(event_class, id=stream_id(kind, *key),
                                     recorded_at=recorded_at, **content)
            self._cache[target.id] = target
        else:
            target.append(event_class, recorded_at=recorded_at, **content)
        self.touched[target.id] = target
        return target
