"""The aggregates: one event stream per case, per LCSPR, per improvement action, per actor,
and one for the ledger itself.

Splitting a case into streams is what lets two agencies update two different actions of
the same case at once without a needless conflict: each stream has its own version
sequence, and only writers of the *same* stream race (and are retried). Aggregates change
state only by applying events; every command checks the procedure's rules first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

NAMESPACE = uuid5(NAMESPACE_URL, "https://cspr-ledger/streams")


@lru_cache(maxsize=8192)  # an import looks its streams up again and again, line by line
def stream_id(kind: str, *key: str) -> UUID:
    return uuid5(NAMESPACE, ":".join((kind, *key)))


@dataclass(frozen=True)
class FactRecord:
    """One applied event, as rules and projections read it."""

    type: str
    data: dict[str, Any]
    occurred_at: str
    recorded_at: datetime
    actor: str
    version: int


class Stream(Aggregate):
    """Common behaviour of every stream: it keeps its facts, in order."""

    kind: ClassVar[str] = ""

    class Opened(Aggregate.Created):
        type: str
        case: str | None
        data: dict[str, Any]
        occurred_at: str
        actor: str

        # Applied rather than passed to __init__: the library gives each subclass a
        # generated __init__, so state is built the same way for every kind of stream.
        def apply(self, aggregate: "Stream") -> None:
            aggregate.case = self.case
            aggregate.facts = []
            aggregate.tally = {}
            aggregate._remember(self)

    class Recorded(Aggregate.Event):
        type: str
        case: str | None
        data: dict[str, Any]
        occurred_at: str
        actor: str

        def apply(self, aggregate: "Stream") -> None:
            aggregate._remember(self)

    # State: ``case`` (the reference), ``facts`` (list of FactRecord) and ``tally`` (facts
    # per type, so that a rule's count does not rescan a long case), set by the opening
    # event. Not annotated: the library would turn annotations into __init__ args.

    def _remember(self, event: Any) -> None:
        fact = FactRecord(event.type, dict(event.data), event.occurred_at, event.timestamp,
                          event.actor, event.originator_version)
        self.facts.append(fact)
        self.tally[fact.type] = self.tally.get(fact.type, 0) + 1
        self.when(fact)

    def when(self, fact: FactRecord) -> None:
        """Derive state from one fact; subclasses keep what their rules need."""

    def count(self, type: str) -> int:
        return self.tally.get(type, 0)

    def last(self, type: str) -> FactRecord | None:
        for fact in reversed(self.facts):
            if fact.type == type:
                return fact
        return None

    @classmethod
    def open(cls, event_class: type, *, id: UUID, recorded_at: datetime,
             **content: Any) -> "Stream":
        return cls._create(event_class, id=id, timestamp=recorded_at, **content)

    def append(self, event_class: type, *, recorded_at: datetime, **content: Any) -> None:
        self.trigger_event(event_class, timestamp=recorded_at, **content)


class Case(Stream):
    kind = "case"


class Review(Stream):
    kind = "review"


class Action(Stream):
    kind = "action"


class Actor(Stream):
    kind = "actor"

    def when(self, fact: FactRecord) -> None:
        if fact.type == "actor-registered":
            self.name = fact.data["actor"]
            self.roles = tuple(fact.data["roles"])
            self.public_key = fact.data["public_key"]
            self.key_id = fact.data["key_id"]
            self.revoked = False
        elif fact.type == "actor-key-rotated":
            self.public_key = fact.data["public_key"]
            self.key_id = fact.data["key_id"]
        elif fact.type == "actor-revoked":
            self.revoked = True


class LedgerStream(Stream):
    kind = "ledger"

    def when(self, fact: FactRecord) -> None:
        if fact.type == "ledger-initialised":
            self.partnership = fact.data["partnership"]
            self.rule_set = fact.data["rule_set"]


STREAM_CLASSES: dict[str, type[Stream]] = {
    c.kind: c for c in (Case, Review, Action, Actor, LedgerStream)
}
