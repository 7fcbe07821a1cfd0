"""JSON Schema (draft 2020-12) for the field declarations of ``domain/fields.py``.

The same declaration as validation and help, read a third way: each kind has one entry in
``SCHEMA`` (checked at import, like the tables of fields.py), so a bound declared on a field
(length, item count, date window, characters) is published exactly where it is enforced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain import limits
from domain.fields import KINDS, Field, RequiredWhen

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _schema_list(f: Field) -> dict[str, Any]:
    assert f.item is not None
    out: dict[str, Any] = {"type": "array", "items": f.item.schema()}
    if f.min_items:
        out["minItems"] = f.min_items
    out["maxItems"] = f.max_items
    if f.unique_items:
        out["uniqueItems"] = True
    if f.must_be_all:
        out["allOf"] = [{"contains": {"const": c}} for c in f.item.choices]
    return out


def _schema_int(f: Field) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "integer"}
    if f.minimum is not None:
        out["minimum"] = f.minimum
    if f.maximum is not None:
        out["maximum"] = f.maximum
    return out


def _schema_text(f: Field) -> dict[str, Any]:
    # Two patterns must both hold, so one sits in allOf: the form, and the characters.
    # "\S" stands in for "non-empty after stripping", which JSON Schema cannot say directly.
    allowed = limits.allowed_characters_pattern(f.one_line)
    out: dict[str, Any] = {"type": "string", "minLength": f.min_length,
                           "maxLength": f.max_length}
    if f.min_letters:
        # ECMA-262 patterns without the u flag have no "any letter" class: said in words,
        # for a reason (issue 11); minLength counts surrounding white space, validation not.
        out["x-min-letters"] = f.min_letters
    if f.pattern is not None:
        out["pattern"] = rf"^\s*(?:{f.pattern})\s*$"
        out["allOf"] = [{"pattern": allowed}]
    else:
        out["pattern"] = allowed
        out["allOf"] = [{"pattern": r"\S"}]
    return out


def _window(f: Field) -> dict[str, Any]:
    # JSON Schema has no date comparison: the pattern bounds the year (the window is whole
    # years, so exactly for a date); the x- keywords state the window for people and tools.
    assert f.earliest is not None and f.latest is not None
    out: dict[str, Any] = {"x-earliest": f.earliest.isoformat(),
                           "x-latest": f.latest.isoformat()}
    if f.not_after_today:
        out["x-not-after-recorded-day"] = True
    return out


def _years(f: Field) -> str:
    assert f.earliest is not None and f.latest is not None
    return limits.years_pattern(f.earliest.year, f.latest.year)


SCHEMA: dict[str, Callable[[Field], dict[str, Any]]] = {
    "text": _schema_text,
    # "format" is only an annotation by default in 2020-12; the pattern makes the shape binding.
    "date": lambda f: {
        "type": "string",
        "format": "date",
        "pattern": rf"^(?:{_years(f)})-[0-9]{{2}}-[0-9]{{2}}$",
        **_window(f),
    },
    # The year as written; validation bounds the UTC instant, a few hours apart at the ends.
    # No "format": date-time (RFC 3339 needs an offset): a London local time is accepted.
    "datetime": lambda f: {"type": "string",
                           "pattern": rf"^(?:{_years(f)})-[0-9]{{2}}-[0-9]{{2}}[T ][0-9]{{2}}"
                                      r":[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                                      r"(Z|[+-][0-9]{2}:[0-9]{2})?$", **_window(f)},
    "bool": lambda f: {"type": "boolean"},
    "int": _schema_int,
    "enum": lambda f: {"type": "string", "enum": list(f.choices)},
    "list": _schema_list,
    "object": lambda f: object_schema(f.fields),
}


def object_schema(fields: tuple[Field, ...], required_when: RequiredWhen = ()) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "properties": {f.name: f.schema() for f in fields},
        "required": [f.name for f in fields if f.required],
        "additionalProperties": False,
    }
    if required_when:
        out["allOf"] = [
            {
                "if": {"properties": {cond: {"const": when}}, "required": [cond]},
                "then": {"required": [target]},
            }
            for target, (cond, when) in required_when
        ]
    return out


if set(SCHEMA) != set(KINDS):
    raise RuntimeError("every field kind needs an entry in the schema table")
