"""Properties of the bounds of new input (domain/limits.py, docs/limits.md), over every
field the catalogue declares: validation refuses each breach naming the field, the JSON
Schema refuses it too, and a value the ledger derives from stored events is never refused
for a bound."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import limits
from domain.catalogue import EVENT_TYPES, json_schema, validate
from domain.errors import InvalidFieldError
from domain.fields import Checking, Field
from tests.domain.examples import VALID_EXAMPLES

TODAY = date(2026, 7, 3)


def _fields(fields: tuple[Field, ...], path: tuple = ()) -> list[tuple[tuple, Field]]:
    """(path, field) for every field, nested and list items included (item index 0)."""
    out = []
    for f in fields:
        here = (*path, f.name)
        out.append((here, f))
        if f.kind == "object":
            out += _fields(f.fields, here)
        if f.kind == "list" and f.item is not None:
            out.append(((*here, 0), f.item))
    return out


def _set(data: Any, path: tuple, value: Any) -> Any:
    data = json.loads(json.dumps(data))
    node = data
    for key, after in zip(path[:-1], path[1:]):
        if isinstance(key, int):
            node = node[key]
        else:  # an optional list the example leaves out (e.g. cosigners) is created
            node = node.setdefault(key, [] if isinstance(after, int) else {})
    if isinstance(path[-1], int):
        node[:] = [value]
    else:
        node[path[-1]] = value
    return data


def _dotted(path: tuple) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out


def _of_kind(*kinds: str) -> list[Any]:
    return [pytest.param(name, path, f, id=f"{name}:{_dotted(path)}")
            for name, t in EVENT_TYPES.items() for path, f in _fields(t.fields)
            if f.kind in kinds]


TEXTS, DATES = _of_kind("text"), _of_kind("date")


def _schema_node(name: str, path: tuple) -> dict[str, Any]:
    node = json_schema(name)
    for key in path:
        node = node["items"] if isinstance(key, int) else node["properties"][key]
    return node


def _schema_accepts(node: dict[str, Any], value: str) -> bool:
    patterns = [node["pattern"], *(sub["pattern"] for sub in node.get("allOf", ()))]
    return (node.get("minLength", 0) <= len(value) <= node.get("maxLength", len(value))
            and all(re.search(p, value) for p in patterns))


def _refused(name: str, data: Any, field: str, checking: Checking | None = None) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        validate(name, data, checking or Checking(today=TODAY))
    assert caught.value.field == field


# --- every text: no control character, no lone surrogate, at most max_length -----------------

FORBIDDEN = st.one_of(
    st.sampled_from("\x00\x01\x08\x0b\x0c\x0e\x1b\x1f\x7f\x85\x9f"),
    st.integers(0xD800, 0xDFFF).map(chr),
)


@pytest.mark.parametrize(("name", "path", "f"), TEXTS)
@settings(max_examples=15, deadline=None)
@given(before=st.text(max_size=5), bad=FORBIDDEN, after=st.text(max_size=5))
def test_any_text_holding_a_control_character_or_surrogate_is_refused(
        name, path, f, before, bad, after):
    value = f"ok{before}{bad}{after}ok"
    _refused(name, _set(VALID_EXAMPLES[name], path, value), _dotted(path))
    assert not _schema_accepts(_schema_node(name, path), value)


@pytest.mark.parametrize(("name", "path", "f"), TEXTS)
def test_every_text_is_bounded_and_the_bound_itself_is_accepted(name, path, f):
    assert f.max_length is not None and f.max_length <= limits.FREE_TEXT_MAX
    node = _schema_node(name, path)
    assert node["maxLength"] == f.max_length
    if f.pattern is None:
        at_bound = "x" * f.max_length
        validate(name, _set(VALID_EXAMPLES[name], path, at_bound), Checking(today=TODAY))
        assert _schema_accepts(node, at_bound)
    over = "x" * (f.max_length + 1)
    _refused(name, _set(VALID_EXAMPLES[name], path, over), _dotted(path))
    assert not _schema_accepts(node, over)


@pytest.mark.parametrize(("name", "path", "f"), [p for p in TEXTS if p.values[2].one_line])
@settings(max_examples=10, deadline=None)
@given(brk=st.sampled_from("\t\n\r\u2028\u2029"))
def test_a_one_line_text_refuses_tabs_and_line_breaks(name, path, f, brk):
    _refused(name, _set(VALID_EXAMPLES[name], path, f"A{brk}B"), _dotted(path))


def test_every_list_is_bounded():
    for name, t in EVENT_TYPES.items():
        for path, f in _fields(t.fields):
            if f.kind == "list":
                assert f.max_items is not None and f.max_items <= limits.LIST_MAX
                assert _schema_node(name, path)["maxItems"] == f.max_items
                item = VALID_EXAMPLES[name].get(path[-1], [None])[0] if len(path) == 1 else None
                if item is not None and not f.unique_items:
                    _refused(name, {**VALID_EXAMPLES[name], path[-1]: [item] * (f.max_items + 1)},
                             _dotted(path))


# --- every date: the window, and "not after the day recorded" where declared ------------------

OUTSIDE = st.one_of(
    st.dates(max_value=limits.DATE_EARLIEST - timedelta(days=1)),
    st.dates(min_value=limits.DATE_LATEST + timedelta(days=1)),
)


@pytest.mark.parametrize(("name", "path", "f"), DATES)
@settings(max_examples=15, deadline=None)
@given(day=OUTSIDE)
def test_any_date_outside_the_window_is_refused_by_validation_and_schema(name, path, f, day):
    _refused(name, _set(VALID_EXAMPLES[name], path, day.isoformat()), _dotted(path))
    assert re.search(_schema_node(name, path)["pattern"], day.isoformat()) is None


@pytest.mark.parametrize(("name", "path", "f"), DATES)
@settings(max_examples=10, deadline=None)
@given(day=st.dates(min_value=limits.DATE_EARLIEST, max_value=limits.DATE_LATEST))
def test_any_date_inside_the_window_passes_the_window(name, path, f, day):
    data = _set(VALID_EXAMPLES[name], path, day.isoformat())
    if f.not_after_today and day > TODAY:
        _refused(name, data, _dotted(path))
        return
    try:
        validate(name, data, Checking(today=TODAY))
    except InvalidFieldError as e:  # another field's rule, e.g. a unique list item
        assert e.field != _dotted(path)
    assert re.search(_schema_node(name, path)["pattern"], day.isoformat())


def test_only_the_referral_dates_are_bounded_by_the_day_recorded():
    bounded = {(name, _dotted(path)) for name, path, f in (p.values for p in DATES)
               if f.not_after_today}
    assert bounded == {("incident-referred", "received_on"),
                       ("incident-referred", "aware_on"),
                       ("incident-referred", "incident_on")}


def test_the_window_is_whole_years_so_the_schema_states_it_exactly():
    assert (limits.DATE_EARLIEST.month, limits.DATE_EARLIEST.day) == (1, 1)
    assert (limits.DATE_LATEST.month, limits.DATE_LATEST.day) == (12, 31)
    years = re.compile(f"^(?:{limits.years_pattern(1990, 2100)})$")
    assert [y for y in range(1, 10000) if years.match(f"{y:04d}")] == list(range(1990, 2101))
    odd = re.compile(f"^(?:{limits.years_pattern(7, 1234)})$")
    assert [y for y in range(1, 10000) if odd.match(f"{y:04d}")] == list(range(7, 1235))


# --- identifiers -------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=70),
                st.from_regex(r"\s{0,2}[A-Za-z0-9][A-Za-z0-9._/-]{0,66}\s{0,2}", fullmatch=True)))
def test_an_action_reference_is_accepted_exactly_when_it_is_an_identifier(ref):
    data = {**VALID_EXAMPLES["action-updated"], "action": ref}
    # Independent oracle: surrounding white space is dropped, no control character or
    # line break may appear anywhere, and what remains is the documented identifier form.
    breaks = any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF
                 or c in "\u2028\u2029" for c in ref)
    is_identifier = not breaks and re.fullmatch(
        r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}", ref.strip()) is not None
    try:
        out = validate("action-updated", data, Checking(today=TODAY))
    except InvalidFieldError as e:
        assert e.field == "action" and not is_identifier
    else:
        assert is_identifier and out["action"] == ref.strip()


# --- values the ledger derives from what it holds -------------------------------------------


def test_a_derived_event_is_checked_for_shape_never_for_the_bounds():
    derived = Checking(today=TODAY, derived=True)
    legacy = {"action": "Improve info sharing", "level": "head_of_service",
              "on": "1900-04-02"}
    assert validate("action-escalated", legacy, derived)["action"] == "Improve info sharing"
    _refused("action-escalated", legacy, "action")
    with pytest.raises(InvalidFieldError):  # shape still counts
        validate("action-escalated", {**legacy, "level": "someone"}, derived)
    breach = {"clock": "report_to_partners", "due_on": "1900-01-02",
              "rule_set": "wt2018-local", "calendar": "gb-eng/holidays-0.109"}
    assert validate("deadline-breached", breach, derived)["due_on"] == "1900-01-02"
