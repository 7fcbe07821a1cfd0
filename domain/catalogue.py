"""The event catalogue of EVENTS.md, declared once, as data.

Every event type is one ``EventType`` value, declared (in EVENTS.md order) in the
``domain/catalogue_*.py`` tables that ``_DECLARATIONS`` below gathers.
That one declaration drives validation (``validate``), the command line's help
(``describe``) and the published JSON Schema (``json_schema``), so the three cannot drift
apart. Field kinds, their checks and their schemas live in ``domain/fields.py``.

Only the shape of an event's data is checked here. The procedure's rules quoted in
``EventType.rules`` (clocks, "once per case", "refused unless the threshold was met") need
the clock or earlier events and are enforced by the case aggregate; they are kept here as
text so help, reports and reviewers of the code read the same words as EVENTS.md.

Names are the public contract (EVENTS.md): a released type or field never changes meaning;
a change of meaning is a new ``version`` with an upcaster.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from typing import Any

from domain.catalogue_case import CASE_TYPES
from domain.catalogue_directory import DIRECTORY_TYPES
from domain.catalogue_ledger import LEDGER_TYPES
from domain.catalogue_paths import PATH_TYPES
from domain.catalogue_review import REVIEW_TYPES
from domain.declaring import ROLES, RULE_SETS, STREAMS, EventType
from domain.errors import InvalidFieldError, UnknownEventTypeError
from domain.field_schema import JSON_SCHEMA_DIALECT, object_schema
from domain.fields import Checking, Field, validate_fields

__all__ = [
    "EVENT_TYPES",
    "EVENT_TYPES_BY_CLASS",
    "ROLES",
    "RULE_SETS",
    "STREAMS",
    "EventType",
    "Field",
    "describe",
    "get_event_type",
    "json_schema",
    "personal_field_names",
    "validate",
]
_DECLARATIONS: tuple[EventType, ...] = (CASE_TYPES + PATH_TYPES + REVIEW_TYPES + LEDGER_TYPES
                                         + DIRECTORY_TYPES)


EVENT_TYPES: dict[str, EventType] = {t.name: t for t in _DECLARATIONS}
EVENT_TYPES_BY_CLASS: dict[str, EventType] = {t.class_name: t for t in _DECLARATIONS}
if len(EVENT_TYPES) != len(_DECLARATIONS):  # pragma: no cover - a declaration error
    raise ValueError("an event type is declared twice")


# --- the public API ---------------------------------------------------------------------


def get_event_type(name: str) -> EventType:
    try:
        return EVENT_TYPES[name]
    except (KeyError, TypeError):  # TypeError: an unhashable "name" from parsed JSON
        raise UnknownEventTypeError(str(name), tuple(EVENT_TYPES)) from None


def validate(name: str, data: Mapping[str, Any], checking: Checking | None = None
             ) -> dict[str, Any]:
    """A new dict of ``data``'s normalised JSON-native values, or InvalidFieldError.

    ``checking`` carries the day of recording (for "not after today" dates) and says
    whether the event is derived from stored events (``domain.fields.Checking``).
    """
    event_type = get_event_type(name)
    if not isinstance(data, Mapping):
        raise InvalidFieldError("data", f"an object with the fields of {name}", "wrong type")
    return validate_fields(
        event_type.fields, data, required_when=event_type.required_when, owner=name,
        checking=checking,
    )


# Issue 10: appended only by the commands that do what they record (case chronology
# --include-personal, case disclose, case erase), never by record or import.
BY_THEIR_COMMANDS = frozenset({"personal-data-accessed", "personal-data-disclosed",
                               "personal-data-erased",
                               # Issue 11 item 7: `cspr cosign` checks the position and hash.
                               "decision-cosigned"})


def personal_field_names(name: str) -> tuple[str, ...]:
    return tuple(f.name for f in get_event_type(name).fields if f.personal)


def _type_schema(t: EventType) -> dict[str, Any]:
    schema = object_schema(t.fields, t.required_when)
    schema = {
        "title": t.name,
        "description": t.help,
        **schema,
        "x-class-name": t.class_name,
        "x-version": t.version,
        "x-roles": [r for r in ROLES if r in t.roles],
        "x-stream": t.stream,
        "x-section": t.section,
        "x-rules": t.rules,
        "x-personal": [f.name for f in t.fields if f.personal],
    }
    return schema


def json_schema(name: str | None = None) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one type's data, or of an event ``{type, data}``.

    The all-types form is keyed on ``type`` because many types share a shape (``{"on":
    date}``): a ``oneOf`` over bare data would match several branches and so reject valid
    events. Other envelope keys (``case``, ``occurred_at``, ``as``) belong to the ledger
    and the CLI and are allowed, not described.
    """
    if name is not None:
        t = get_event_type(name)
        return {
            "$schema": JSON_SCHEMA_DIALECT,
            "$id": f"urn:cspr-ledger:event:{t.name}:v{t.version}",
            **_type_schema(t),
        }
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": "urn:cspr-ledger:events",
        "title": "cspr-ledger event",
        "description": "an event of EVENTS.md: its kebab-case type and its data",
        "type": "object",
        "properties": {"type": {"enum": list(EVENT_TYPES)}, "data": {"type": "object"}},
        "required": ["type", "data"],
        "oneOf": [
            {"properties": {"type": {"const": n}, "data": {"$ref": f"#/$defs/{n}"}}}
            for n in EVENT_TYPES
        ],
        "$defs": {n: _type_schema(t) for n, t in EVENT_TYPES.items()},
    }


def describe(name: str) -> str:
    """Plain-text help for one event type, as ``cspr record TYPE --help`` shows it."""
    t = get_event_type(name)
    lines = [f"{t.name}: {t.help}", f"  recorded by: {', '.join(r for r in ROLES if r in t.roles)}"]
    if t.rules:
        lines.append(f"  rules: {t.rules}")
    lines.append("  fields (? optional, P personal data):")
    for f in t.fields:
        marks = ("" if f.required else "?") + (" P" if f.personal else "")
        default = f" (default {_shown(f.default)})" if f.default is not None else ""
        lines.append(f"    {f.name}{marks}: {f.help}{default}")
        lines.append(f"      expects {f.expected()}")
        for sub in f.fields:  # an object's own fields, e.g. child.name
            sub_marks = ("" if sub.required else "?") + (" P" if sub.personal else "")
            lines.append(f"      {f.name}.{sub.name}{sub_marks}: {sub.help}")
            lines.append(f"        expects {sub.expected()}")
    for target, (condition, when) in t.required_when:
        lines.append(f"  {target} is required when {condition} is {_shown(when)}")
    return "\n".join(_wrapped(line) for line in lines)


_HELP_WIDTH = 96


def _wrapped(line: str) -> str:
    """One help line folded at _HELP_WIDTH, continuation lines indented under it."""
    indent = " " * (len(line) - len(line.lstrip()) + 2)
    return textwrap.fill(line, _HELP_WIDTH, subsequent_indent=indent,
                         break_on_hyphens=False)


def _shown(value: Any) -> str:
    """A value as a person types it in JSON (false, not False)."""
    return json.dumps(value)
