"""What a rule of the procedure is: a predicate over the streams an event touches, the
event types it guards and the named failure it raises. The rules themselves are data in
``domain/rules.py`` and ``domain/rules_paths.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Mapping

from domain.errors import RuleViolationError
from domain.streams import Action, Case, Review


@dataclass
class RuleContext:
    type: str
    data: dict[str, Any]
    occurred_on: date
    today: date
    case: Case | None
    review: Review | None
    action: Action | None
    # Issue 11 item 7: who records the event, and the actors its data names as cosigners
    # (their streams, None when not registered), for the co-signature rules.
    recorder: str = ""
    actors: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    types: frozenset[str]           # empty: every type
    error: type[RuleViolationError]
    message: str
    refuses: Callable[[RuleContext], bool]


def _on(*types: str) -> frozenset[str]:
    return frozenset(types)
