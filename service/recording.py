"""``cspr record`` and ``cspr import``: parse what a person or a system hands us, then write."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from domain.errors import CsprError, InvalidFieldError
from ledger.app import LedgerApplication
from service.actors import load_actor_signer
from service.home import Home
from service.writer import Receipt, Writer, make_intent

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def parse_data(text: str, field: str = "data") -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as e:
        raise InvalidFieldError(field, "a JSON object", f"malformed JSON ({e.msg} at "
                                                        f"line {e.lineno} column {e.colno})")
    if not isinstance(value, dict):
        raise InvalidFieldError(field, "a JSON object", "not an object")
    return value


def record_event(app: LedgerApplication, home: Home, actor: str, type_name: str,
                 case: str | None, data: dict[str, Any], occurred_at: str | None = None,
                 clock: Clock = _utcnow) -> Receipt:
    intent = make_intent(type_name, case, data, occurred_at, actor, clock())
    signer = load_actor_signer(home, actor)
    return Writer(app, clock).append([intent], {actor: signer})[0]


def import_lines(app: LedgerApplication, home: Home, lines: Iterable[str],
                 default_actor: str | None, clock: Clock = _utcnow) -> list[Receipt]:
    """All lines or none: every line is validated before anything is written."""
    now = clock()
    intents = []
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            obj = parse_data(raw, "line")
            unknown = set(obj) - {"type", "case", "data", "occurred_at", "as"}
            if unknown:
                raise InvalidFieldError(sorted(unknown)[0], "one of type, case, data, "
                                        "occurred_at, as", "unknown field")
            if not isinstance(obj.get("type"), str):
                raise InvalidFieldError("type", "an event type name", "missing")
            actor = obj.get("as") or default_actor
            if not actor:
                raise InvalidFieldError("as", "an actor name (or --as)", "missing")
            intents.append(make_intent(obj["type"], obj.get("case"), obj.get("data", {}),
                                       obj.get("occurred_at"), actor, now))
        except CsprError as e:
            e.args = (f"line {n}: {e}",)
            raise
    if not intents:
        return []
    signers = {a: load_actor_signer(home, a) for a in {i.actor for i in intents}}
    return Writer(app, clock).append(intents, signers)
