"""Field kinds: how one declared field checks, normalises and describes its value.

The catalogue (``domain/catalogue.py``) declares each event type's fields as data; this module
is the single interpreter of those declarations, so validation, help text and JSON Schema can
never disagree about what a field accepts. Each kind has one entry in each dispatch table
below rather than a branch scattered through the code, so adding a kind means filling in
every table (``_check_tables`` refuses to import otherwise); the JSON Schema side lives in
``domain/field_schema.py``.

Validation is about the value alone: it never reads the clock or other events. "Threshold
decided once" is a rule of the procedure and lives with the aggregate; a date field's "not
after the day it is recorded" (EVENTS.md "≤ today") is checked here, with the day handed in
by the caller as ``Checking.today``. Every new value must also keep the bounds of
``domain/limits.py`` (dates, lengths, list sizes, characters), which each field declares.
Values come back JSON-native (str, bool, int, list, dict) because the ledger signs canonical
JSON, which has no dates and no floats.

Error messages name the field and what was expected, never the value given: a value may be
personal data (errors.py), and messages end up in logs and on terminals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from difflib import get_close_matches
from typing import Any
from zoneinfo import ZoneInfo

from domain import limits
from domain.errors import InvalidFieldError

KINDS = ("text", "date", "datetime", "bool", "int", "enum", "list", "object")

# ASCII digits only: `\d` would also accept Arabic-Indic and other Unicode digits, which
# date.fromisoformat then refuses with a less helpful message.
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The offset group is optional here so that a naive value gets its own, clearer, refusal.
_DATETIME_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(?P<offset>Z|[+-][0-9]{2}:[0-9]{2})?"
)


@dataclass(frozen=True)
class Field:
    """One field of an event's data, declared once and read by every consumer.

    ``default`` of None means "no default": no field of the catalogue defaults to null, and
    an optional field that is left out is simply absent from the normalised data.
    """

    name: str
    kind: str
    required: bool = True
    personal: bool = False  # the **P** mark of EVENTS.md: sealed at rest, left out of exports
    help: str = ""
    choices: tuple[str, ...] = ()  # enum only
    item: Field | None = None  # list only: the declaration every item must satisfy
    fields: tuple[Field, ...] = ()  # object only
    default: Any = None
    minimum: int | None = None  # int only
    maximum: int | None = None  # int only
    min_items: int = 0  # list only
    must_be_all: bool = False  # list of enum: every choice must be present, "(both)"
    unique_items: bool = False  # list only: a repeated item is refused
    pattern: str | None = None  # text only: the whole (stripped) text must match
    pattern_help: str = ""  # the pattern in words, for people reading `expected`
    # The bounds of domain/limits.py; None takes the kind's default (filled in below, so
    # every text, list and date field carries its own numbers for help and schema).
    max_length: int | None = None  # text only: characters, counted before stripping
    # Text only, new input only: a reason must say something (issue 11, docs/limits.md).
    # Counted after stripping; letters are any Unicode letters (str.isalpha).
    min_length: int = 1
    min_letters: int = 0
    one_line: bool = False  # text only: no tab or line break (a name, an identifier)
    max_items: int | None = None  # list only
    earliest: date | None = None  # date and datetime only (a datetime: its UTC date)
    latest: date | None = None  # date and datetime only
    not_after_today: bool = False  # date only: not after the day it is recorded

    def __post_init__(self) -> None:
        _fill_default_limits(self)
        # A bad declaration is a programming error, found at import time, not a user's.
        problems = _declaration_problems(self)
        if problems:
            raise ValueError(f"bad declaration of field '{self.name}': {'; '.join(problems)}")

    @property
    def optional(self) -> bool:
        return not self.required

    def expected(self) -> str:
        """What a person must supply, in words; used in errors and CLI help."""
        return _EXPECTED[self.kind](self)

    def validate(self, value: Any, path: str | None = None,
                 checking: Checking | None = None) -> Any:
        """The normalised value, or InvalidFieldError naming ``path``."""
        path = path or self.name
        checking = checking or NEW_INPUT
        if value is None:
            # Refused rather than read as "absent": a null looked_after silently becoming
            # false would change a safeguarding fact. Leaving the field out is the way to
            # say "not given".
            raise InvalidFieldError(
                path, f"{self.expected()} (leave an optional field out instead of null)", "null"
            )
        return _VALIDATE[self.kind](self, value, path, checking)

    def schema(self) -> dict[str, Any]:
        """JSON Schema (draft 2020-12) for this field's value."""
        from domain.field_schema import SCHEMA  # the schema module builds on this one

        out = SCHEMA[self.kind](self)
        if self.help:
            out["description"] = self.help
        if self.default is not None:
            out["default"] = self.default
        if self.personal:
            out["x-personal"] = True
        return out


@dataclass(frozen=True)
class Checking:
    """What a validation knows beyond the value itself.

    ``today`` is the London day the event is being recorded (None: no "not after today"
    check, e.g. for a schema example). ``derived`` is for events the ledger derives from
    events it already holds (the nightly job's breaches and escalations): their values
    were accepted once, perhaps before the bounds existed, and refusing them now would stop
    the job for good, so only shape is checked, never the bounds of new input.
    """

    today: date | None = None
    derived: bool = False


NEW_INPUT = Checking()


def _fill_default_limits(f: Field) -> None:
    # Frozen dataclass: the defaults are set once, here, before the declaration is checked.
    def put(name: str, value: Any) -> None:
        if getattr(f, name) is None:
            object.__setattr__(f, name, value)

    if f.kind == "text":
        short = f.one_line or f.pattern is not None
        put("max_length", limits.NAME_MAX if short else limits.FREE_TEXT_MAX)
    elif f.kind == "list":
        put("max_items", limits.LIST_MAX)
    elif f.kind in ("date", "datetime"):
        put("earliest", limits.DATE_EARLIEST)
        put("latest", limits.DATE_LATEST)


def _declaration_problems(f: Field) -> list[str]:
    problems = []
    if f.kind not in KINDS:
        problems.append(f"kind must be one of {', '.join(KINDS)}")
    if (f.kind == "enum") != bool(f.choices):
        problems.append("choices belong to, and are needed by, enum fields")
    if (f.kind == "list") != (f.item is not None):
        problems.append("item belongs to, and is needed by, list fields")
    if (f.kind == "object") != bool(f.fields):
        problems.append("fields belong to, and are needed by, object fields")
    if f.kind != "int" and (f.minimum is not None or f.maximum is not None):
        problems.append("minimum/maximum are for int fields")
    if f.kind != "list" and (f.min_items or f.must_be_all or f.unique_items):
        problems.append("min_items/must_be_all/unique_items are for list fields")
    if f.must_be_all and (f.item is None or f.item.kind != "enum"):
        problems.append("must_be_all needs a list of enum")
    if f.pattern is not None and f.kind != "text":
        problems.append("pattern is for text fields")
    if f.kind != "text" and (f.max_length is not None or f.one_line):
        problems.append("max_length/one_line are for text fields")
    if f.kind != "text" and (f.min_length != 1 or f.min_letters):
        problems.append("min_length/min_letters are for text fields")
    if f.kind == "text" and not (1 <= f.min_length <= (f.max_length or 0)
                                 and 0 <= f.min_letters <= f.min_length):
        problems.append("need 1 <= min_length <= max_length and min_letters <= min_length")
    if f.kind != "list" and f.max_items is not None:
        problems.append("max_items is for list fields")
    if f.kind not in ("date", "datetime") and (f.earliest is not None or f.latest is not None):
        problems.append("earliest/latest are for date and datetime fields")
    if f.not_after_today and f.kind != "date":
        problems.append("not_after_today is for date fields")
    if f.earliest is not None and f.latest is not None and f.earliest > f.latest:
        problems.append("earliest must not be after latest")
    if f.max_items is not None and f.max_items < max(f.min_items, 1):
        problems.append("max_items must allow at least min_items (and one) item")
    if f.default is not None and f.required:
        problems.append("a field with a default is not required")
    if not f.help or "\n" in f.help:
        problems.append("help must be one line")
    return problems


# --- expected: what to supply, in words -------------------------------------------------


def _expected_text(f: Field) -> str:
    if f.pattern_help:
        return f"text: {f.pattern_help}"
    if f.one_line:
        return (f"a non-empty line of text, at most {f.max_length} characters "
                "(no line breaks or control characters)")
    return (f"{_at_least(f)}, at most {f.max_length} characters (tabs and line breaks "
            "allowed, no other control characters)")


def _at_least(f: Field) -> str:
    if f.min_length <= 1 and not f.min_letters:
        return "a non-empty text"
    return (f"a text of at least {f.min_length} characters (not counting surrounding white "
            f"space) including at least {f.min_letters} letters, not a placeholder")


def _expected_date(f: Field) -> str:
    text = f"a date as YYYY-MM-DD from {f.earliest} to {f.latest}"
    if f.not_after_today:
        text += ", not after the day it is recorded"
    return text


def _expected_datetime(f: Field) -> str:
    return ("a date and time as YYYY-MM-DDTHH:MM[:SS[.ffffff]], in London local time "
            "(24-hour) or followed by Z or +HH:MM/-HH:MM; a local time in the hour the "
            "clocks go back needs its offset (+01:00 the first time, +00:00 the second); "
            f"in UTC from {f.earliest} to {f.latest}")


# App. 6 (2020-03): times are 24-hour local times, so a time without an offset is London's.
_LONDON = ZoneInfo("Europe/London")


def _london(moment: datetime, path: str, f: Field) -> datetime:
    """A wall-clock London time as an aware one, or exit 2 when the wall clock does not
    name one instant: the autumn hour happens twice (refused, not guessed: the offset says
    which), the spring hour never (no such time)."""
    first, second = moment.replace(tzinfo=_LONDON, fold=0), moment.replace(tzinfo=_LONDON,
                                                                          fold=1)
    if first.utcoffset() != second.utcoffset():
        problem = ("happens twice in London (the clocks go back): give its offset"
                   if first.utcoffset() > second.utcoffset() else
                   "does not exist in London (the clocks go forward)")
        raise InvalidFieldError(path, f.expected(), problem)
    return first


def _expected_int(f: Field) -> str:
    if f.minimum is not None and f.maximum is not None:
        return f"a whole number from {f.minimum} to {f.maximum}"
    if f.minimum is not None:
        return f"a whole number, at least {f.minimum}"
    if f.maximum is not None:
        return f"a whole number, at most {f.maximum}"
    return "a whole number"


def _expected_list(f: Field) -> str:
    assert f.item is not None
    text = f"a list, each item {f.item.expected()}"
    if f.min_items:
        text += f"; at least {f.min_items} item{'s' if f.min_items > 1 else ''}"
    text += f"; at most {f.max_items} items"
    if f.unique_items:
        text += "; no repeats"
    if f.must_be_all:
        text += f"; must include every one of: {', '.join(f.item.choices)}"
    return text


def _expected_object(f: Field) -> str:
    names = ", ".join(s.name + ("" if s.required else "?") for s in f.fields)
    return f"an object with fields {names} (? = optional)"


_EXPECTED: dict[str, Callable[[Field], str]] = {
    "text": _expected_text,
    "date": _expected_date,
    "datetime": _expected_datetime,
    "bool": lambda f: "true or false (a JSON boolean)",
    "int": _expected_int,
    "enum": lambda f: f"one of: {', '.join(f.choices)}",
    "list": _expected_list,
    "object": _expected_object,
}


# --- validate: check and normalise ------------------------------------------------------


def _wrong_type(f: Field, path: str) -> InvalidFieldError:
    return InvalidFieldError(path, f.expected(), "wrong type")


def _text(f: Field, value: Any, path: str, checking: Checking) -> str:
    if not isinstance(value, str):
        raise _wrong_type(f, path)
    if not checking.derived:
        # On the raw value, before stripping: the bound is on what was handed in, and
        # strip() would quietly remove some control characters (\x1c-\x1f) from the ends.
        assert f.max_length is not None
        if len(value) > f.max_length:
            raise InvalidFieldError(path, f.expected(), "too long")
        if limits.has_forbidden_character(value, f.one_line):
            raise InvalidFieldError(
                path, f.expected(),
                "a character that is not allowed (a control character, a line break in a "
                "one-line text, or an unpaired surrogate)")
    # Leading and trailing white space carries no meaning and would make two otherwise
    # equal texts hash differently.
    text = value.strip()
    if not text:
        raise InvalidFieldError(path, f.expected(), "empty")
    if (f.pattern is not None and not checking.derived
            and re.fullmatch(f.pattern, text) is None):
        raise InvalidFieldError(path, f.expected(), "does not match the required form")
    # New input only: a reason stored before this bound (issue 11) is still read forever.
    if not checking.derived and (len(text) < f.min_length
                                 or sum(c.isalpha() for c in text) < f.min_letters):
        raise InvalidFieldError(path, f.expected(),
                                "too short or too few letters to be a reason")
    return text


def _in_window(f: Field, day: date, path: str, checking: Checking) -> None:
    if checking.derived:
        return
    assert f.earliest is not None and f.latest is not None
    if not f.earliest <= day <= f.latest:
        raise InvalidFieldError(path, f.expected(), "outside the allowed dates")
    if f.not_after_today and checking.today is not None and day > checking.today:
        raise InvalidFieldError(path, f.expected(), "after the day it is recorded")


def _date(f: Field, value: Any, path: str, checking: Checking) -> str:
    # A datetime is a date subclass; taking its date part would silently drop the time.
    if isinstance(value, datetime):
        raise _wrong_type(f, path)
    if isinstance(value, date):
        day = value
    elif not isinstance(value, str):
        raise _wrong_type(f, path)
    # fromisoformat alone would also take "20250101" and week dates; the spec says YYYY-MM-DD.
    elif _DATE_RE.fullmatch(value) is None:
        raise InvalidFieldError(path, f.expected(), "not a date in the form YYYY-MM-DD")
    else:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidFieldError(path, f.expected(), "no such date") from None
    _in_window(f, day, path, checking)
    return day.isoformat()


def _datetime(f: Field, value: Any, path: str, checking: Checking) -> str:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        match = _DATETIME_RE.fullmatch(value)
        if match is None:
            raise InvalidFieldError(path, f.expected(), "not a date and time in ISO 8601 form")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidFieldError(path, f.expected(), "no such date or time") from None
    else:
        raise _wrong_type(f, path)
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = _london(moment.replace(tzinfo=None), path, f)
    try:
        utc = moment.astimezone(timezone.utc)
    except OverflowError:
        raise InvalidFieldError(path, f.expected(), "outside the allowed dates") from None
    _in_window(f, utc.date(), path, checking)
    return utc.replace(tzinfo=None).isoformat(timespec="auto") + "Z"


def _bool(f: Field, value: Any, path: str, checking: Checking) -> bool:
    if type(value) is not bool:  # 0/1 and "true" are not accepted: JSON has booleans
        raise _wrong_type(f, path)
    return value


def _int(f: Field, value: Any, path: str, checking: Checking) -> int:
    if type(value) is not int:  # bool is an int subclass; floats are not canonical JSON
        raise _wrong_type(f, path)
    if (f.minimum is not None and value < f.minimum) or (
        f.maximum is not None and value > f.maximum
    ):
        raise InvalidFieldError(path, f.expected(), "out of range")
    return value


def _enum(f: Field, value: Any, path: str, checking: Checking) -> str:
    if not isinstance(value, str):
        raise _wrong_type(f, path)
    if value not in f.choices:
        raise InvalidFieldError(path, f.expected(), "not one of the allowed values")
    return value


def _list(f: Field, value: Any, path: str, checking: Checking) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _wrong_type(f, path)
    assert f.item is not None and f.max_items is not None
    # Counted before any item is looked at: a 200,000-item list costs nothing to refuse.
    if not checking.derived and len(value) > f.max_items:
        raise InvalidFieldError(path, f.expected(), "too many items")
    items = [f.item.validate(v, f"{path}[{i}]", checking) for i, v in enumerate(value)]
    if len(items) < f.min_items:
        raise InvalidFieldError(path, f.expected(), "empty" if not items else "too few items")
    if f.unique_items:
        seen: list[Any] = []
        for i, v in enumerate(items):
            if v in seen:
                raise InvalidFieldError(f"{path}[{i}]", f.expected(), "repeated item")
            seen.append(v)
    if f.must_be_all:
        missing = [c for c in f.item.choices if c not in items]
        if missing:
            # Naming the missing choices is safe: they are the catalogue's words, not data.
            raise InvalidFieldError(path, f.expected(), f"missing {', '.join(missing)}")
    return items


def _object(f: Field, value: Any, path: str, checking: Checking) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _wrong_type(f, path)
    return validate_fields(f.fields, value, prefix=f"{path}.", checking=checking)


_VALIDATE: dict[str, Callable[[Field, Any, str, Checking], Any]] = {
    "text": _text,
    "date": _date,
    "datetime": _datetime,
    "bool": _bool,
    "int": _int,
    "enum": _enum,
    "list": _list,
    "object": _object,
}

# (target, (condition_field, condition_value)): target is required when the condition holds.
RequiredWhen = tuple[tuple[str, tuple[str, Any]], ...]

# A typed name longer than any declared one is not worth comparing (and costs time).
_HINT_MAX = 64


def _same(a: Any, b: Any) -> bool:
    # `False == 0` in Python; a condition on a bool must not fire on an int.
    return type(a) is type(b) and a == b


_DECLARED: dict[int, tuple[tuple[Field, ...], dict[str, Field]]] = {}


def _declared(fields: tuple[Field, ...]) -> dict[str, Field]:
    # Built once per declaration rather than once per value: an import validates each of
    # its lines against the same few declarations. Keyed by identity (a Field need not be
    # hashable); the entry keeps its tuple alive, so the identity cannot be reused.
    entry = _DECLARED.get(id(fields))
    if entry is not None and entry[0] is fields:
        return entry[1]
    declared = {f.name: f for f in fields}
    if len(_DECLARED) < 1000:  # the catalogue's declarations, not every caller's tuples
        _DECLARED[id(fields)] = (fields, declared)
    return declared


def validate_fields(
    fields: tuple[Field, ...],
    data: Mapping[str, Any],
    *,
    prefix: str = "",
    required_when: RequiredWhen = (),
    owner: str = "",
    checking: Checking | None = None,
) -> dict[str, Any]:
    """Check ``data`` against ``fields``; a new dict of normalised values, in declared order.

    Unknown names are reported before missing ones: a misspelt name would otherwise show
    up as its correctly spelt twin being "missing", which hides the actual mistake. An
    unknown name is never repeated back (a person may type a child's name where a field
    name belongs, and errors reach logs): the error names the object that holds it, lists
    the declared fields and may suggest one of them.
    """
    checking = checking or NEW_INPUT
    declared = _declared(fields)
    for key in data:
        if key not in declared:
            typed = str(key)
            hint = get_close_matches(typed, list(declared), n=1) \
                if len(typed) <= _HINT_MAX else []
            where = f" of {owner}" if owner else ""
            expected = f"only the fields{where}: {', '.join(declared)}"
            if hint:
                expected += f" (did you mean '{hint[0]}'?)"
            raise InvalidFieldError(prefix.rstrip(".") or "data", expected, "unknown field")
    out: dict[str, Any] = {}
    for f in fields:
        if f.name in data:
            out[f.name] = f.validate(data[f.name], f"{prefix}{f.name}", checking)
        elif f.default is not None:
            out[f.name] = f.default
        elif f.required:
            raise InvalidFieldError(f"{prefix}{f.name}", f.expected(), "missing")
    for target, (condition, when) in required_when:
        if target not in out and condition in out and _same(out[condition], when):
            raise InvalidFieldError(
                f"{prefix}{target}",
                f"{declared[target].expected()}, required when {condition} is {_json(when)}",
                "missing",
            )
    return out


def _json(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_tables() -> None:
    for table in (_EXPECTED, _VALIDATE):
        if set(table) != set(KINDS):
            raise RuntimeError("every field kind needs an entry in every dispatch table")


_check_tables()
