"""From a submitted event form back to the event's data, checked by the catalogue.

The controls of ``web/catalogue_forms.py`` hold text; this turns them into the JSON values
the catalogue declares (a blank control: the field left out) and checks them with the
catalogue's own field validation, so the refusals are the command line's, in its words.
Each refusal is put on the control its path names (``child.name``, ``decided_by[2]``) and
listed for the GOV.UK error summary; none repeats what was typed.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from wtforms import Field as FormControl

from domain.catalogue import validate
from domain.errors import InvalidFieldError
from domain.fields import Checking, Field
from web.catalogue_forms import ABSENT, EventForm

_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,20}")


def _line_value(item: Field, line: str, path: str) -> Any:
    if item.kind == "int":
        return _whole_number(item, line, path)
    if item.kind == "bool":
        return {"yes": True, "no": False}.get(line.strip().lower(), line)
    return line if item.kind == "text" else line.strip()


def _whole_number(decl: Field, text: str, path: str) -> int:
    if _WHOLE_NUMBER.fullmatch(text.strip()) is None:
        raise InvalidFieldError(path, decl.expected(), "not a whole number")
    return int(text.strip())


def _value(decl: Field, control: FormControl, path: str) -> Any:
    """The JSON value a control holds for ``decl``, ABSENT when left blank."""
    kind = decl.kind
    if kind in ("date", "datetime"):
        return control.iso(path, decl)
    if kind == "object":
        inner = _values(control.form, f"{path}.")
        # An optional object left wholly blank is left out; a required one is handed on
        # (perhaps empty) so that the refusal names the sub-field that is missing.
        return inner if inner or decl.required else ABSENT
    if kind == "list" and decl.item is not None and decl.item.kind == "enum":
        return list(control.data or []) or ABSENT
    raw = control.data
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ABSENT
    if kind == "bool":
        # Anything but the two radios' values was not posted by this form: refused as the
        # catalogue refuses a non-boolean.
        return {"yes": True, "no": False}.get(raw, raw)
    if kind == "int":
        return _whole_number(decl, raw, path)
    if kind == "enum":
        return raw
    # Browsers post a textarea's line breaks as CR LF; the person typed line breaks.
    text = raw.replace("\r\n", "\n")
    if kind == "list":
        assert decl.item is not None
        lines = [line for line in text.split("\n") if line.strip()]
        return [_line_value(decl.item, line, f"{path}[{i}]") for i, line in enumerate(lines)]
    return text


def _values(form: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for decl, control in form.declared_controls():
        value = _value(decl, control, prefix + decl.name)
        if value is not ABSENT:
            out[decl.name] = value
    return out


class Refusals:
    """The problems found in one submission, each on its control, for the error summary."""

    def __init__(self) -> None:
        self.summary: list[dict[str, str]] = []

    def add(self, form: Any, error: InvalidFieldError) -> None:
        control, label = _control_at(form, error.field)
        # The catalogue's words, never the value typed (errors.InvalidFieldError).
        message = f"{label}: {error.problem}; expected {error.expected}"
        if control is not None:
            if isinstance(control.errors, tuple):  # not yet validated by WTForms
                control.errors = []
            control.errors.append(message)
        # A path naming no control (the data as a whole) is listed without a link.
        self.summary.append({"text": message, **({"href": f"#{control.id}"}
                                                 if control is not None else {})})

    def __bool__(self) -> bool:
        return bool(self.summary)


_PATH_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[([0-9]+)\])?")


def _control_at(form: Any, path: str) -> tuple[FormControl | None, str]:
    """The control an error's path (``child.name``, ``decided_by[2]``) points at, and the
    words to name it with; (None, path) for a path naming no control."""
    control, names, where = None, [], form
    for step in path.split("."):
        match = _PATH_STEP.fullmatch(step)
        if match is None or where is None or step == "csrf_token":
            return None, path
        try:
            control = where[match.group(1)]
        except KeyError:
            return None, path
        names.append(control.label.text.replace(" (optional)", ""))
        if match.group(2) is not None:
            names[-1] += f", line {int(match.group(2)) + 1}"
        where = getattr(control, "form", None)
    if where is not None:  # a whole object (never refused so by this form): its first field
        control = next(iter(where))
    return control, " – ".join(names)


def checked_data(form: EventForm, today: date, refusals: Refusals) -> dict[str, Any] | None:
    """The event's data as the catalogue normalises it, or None with every problem
    recorded in ``refusals`` (a field at a time, as the catalogue checks each)."""
    checking = Checking(today=today)
    for decl, control in form.declared_controls():
        try:
            value = _value(decl, control, decl.name)
            if value is ABSENT:
                if decl.required:
                    raise InvalidFieldError(decl.name, decl.expected(), "missing")
                continue
            decl.validate(value, decl.name, checking)
        except InvalidFieldError as e:
            refusals.add(form, e)
    if refusals:
        return None
    # Once more as one whole, for what spans fields (required when ...): the same call
    # the writer makes, so nothing this form accepts is refused later, or the reverse.
    raw = _values(form)
    try:
        return validate(form.event_type.name, raw, checking)
    except InvalidFieldError as e:
        refusals.add(form, e)
        return None


def occurred_at(form: EventForm, refusals: Refusals) -> str | None:
    """The ISO date typed as when it happened; None (now) when left blank."""
    try:
        value = form.occurred_at.iso("occurred_at")
    except InvalidFieldError as e:
        refusals.add(form, e)
        return None
    return None if value is ABSENT else value
