"""A form for every event type, built from its one catalogue declaration.

``domain/catalogue.py`` declares each type's fields once; validation, ``--help`` and
``schema`` read that declaration, and so does this module: one GOV.UK control per field,
the field's help as its hint, "(optional)" on optional labels, personal fields marked.
Nothing here decides what a value may be: the submitted controls are turned back into the
event's data dict and checked by the catalogue's own field validation, so a person at a
browser meets the same refusals, in the same words, as one at the command line. An error
names the field (InvalidFieldError does) and is shown against it; it never repeats what
was typed (it may be personal data).

Dates use the GOV.UK date input (day, month, year boxes), which the Design System
recommends for dates people already know or can look up, as every date of this catalogue
is (the day a referral arrived, a meeting was held): three short boxes avoid the
day/month order ambiguity of one text field and need no calendar widget or script. A date
and time adds a fourth box, the time (24-hour, London time, as App. 6 has it).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any, ClassVar, Iterator

from flask_wtf import FlaskForm
from govuk_frontend_wtf.gov_form_base import GovFormBase
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovPasswordInput,
    GovRadioInput,
    GovTextArea,
    GovTextInput,
)
from markupsafe import Markup
from wtforms import Field as FormControl
from wtforms import Form, FormField, PasswordField, RadioField, SelectMultipleField, \
    StringField, TextAreaField

from domain import limits
from domain.catalogue import EventType, Field, get_event_type
from domain.errors import InvalidFieldError

CASE_STREAMS = ("case", "review", "action")
ENVELOPE = ("case", "occurred_at", "passphrase", "csrf_token")
PERSONAL_HINT = "Personal data: sealed at rest and left out of exports."
ABSENT = object()  # a control left blank: the field is left out of the data


# --- the date input ---------------------------------------------------------------------


class _DateWidget(GovFormBase):
    """GOV.UK date input whose boxes all carry the control's name (as govuk-frontend-wtf's
    GovDateInput does), so the browser posts day, month, year (and time) in order."""

    template = "govuk_frontend_wtf/date.html"

    def __call__(self, field: "DateParts", **kwargs: Any) -> Any:
        kwargs.setdefault("id", field.id)
        return super().__call__(field, **kwargs)

    def map_gov_params(self, field: "DateParts", **kwargs: Any) -> dict[str, Any]:
        params = super().map_gov_params(field, **kwargs)
        params["fieldset"] = {"legend": {"text": field.label.text}}
        width = {"Day": 2, "Month": 2, "Year": 4, "Time": 5}
        params["items"] = [
            {"label": box, "id": f"{field.id}-{box.lower()}", "name": field.name,
             "value": value, "inputmode": "text" if box == "Time" else "numeric",
             "classes": f"govuk-input--width-{width[box]}"
                        + (" govuk-input--error" if field.errors else "")}
            for box, value in zip(field.boxes, field.parts())]
        return params


class DateParts(FormControl):
    """A date (or a date and time) as the boxes of the GOV.UK date input."""

    widget = _DateWidget()

    def __init__(self, *args: Any, with_time: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.boxes = ("Day", "Month", "Year") + (("Time",) if with_time else ())

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None  # the boxes are read by iso(), which can name what is wrong

    def parts(self) -> list[str]:
        if self.raw_data:
            given = [str(v) for v in self.raw_data[:len(self.boxes)]]
            return given + [""] * (len(self.boxes) - len(given))
        if isinstance(self.data, date):
            self.data = self.data.isoformat()
        if isinstance(self.data, str) and self.data:
            day, _, time = self.data.partition("T")
            y, m, d = day.split("-")
            return [d, m, y] + ([time] if len(self.boxes) == 4 else [])
        return [""] * len(self.boxes)

    def iso(self, path: str, decl: Field | None = None) -> Any:
        """The ISO text of the boxes, ABSENT when all are blank, or InvalidFieldError."""
        parts = [p.strip() for p in self.parts()]
        if not any(parts):
            return ABSENT
        expected = decl.expected() if decl else "a date"
        d, m, y = parts[:3]
        if not (d.isascii() and d.isdigit() and m.isascii() and m.isdigit()
                and y.isascii() and y.isdigit() and len(y) == 4 and len(d) <= 2
                and len(m) <= 2):
            raise InvalidFieldError(path, expected, "not a real date: give the day, month "
                                    "and a four-digit year as numbers")
        try:
            day = date(int(y), int(m), int(d)).isoformat()
        except ValueError:
            raise InvalidFieldError(path, expected, "no such date") from None
        if len(parts) == 4:
            return f"{day}T{parts[3]}" if parts[3] else f"{day}T"
        return day


class _ObjectWidget:
    """An object's fields (the child's name, date of birth, address) as one GOV.UK
    fieldset: its label the legend, its help the hint, then each field's own control."""

    def __call__(self, field: FormField, **kwargs: Any) -> Markup:
        inner = Markup("").join(control() for control in field)
        return Markup(
            '<div class="govuk-form-group"><fieldset class="govuk-fieldset" '
            'aria-describedby="{id}-hint"><legend class="govuk-fieldset__legend '
            'govuk-fieldset__legend--s">{label}</legend><div id="{id}-hint" '
            'class="govuk-hint">{hint}</div>{inner}</fieldset></div>'
        ).format(id=field.id, label=field.label.text, hint=field.description, inner=inner)


# --- building one form class per event type --------------------------------------------


def _label(decl: Field) -> str:
    words = decl.name.replace("_", " ")
    return words[:1].upper() + words[1:] + ("" if decl.required else " (optional)")


def sentence(text: str) -> str:
    """``text`` as a sentence: a capital and a full stop, unless it opens with one of the
    catalogue's own names (``in_area: ...``), which keeps its spelling."""
    text = text.strip()
    first = text.split(" ", 1)[0]
    if "_" not in first and "`" not in first:
        text = text[:1].upper() + text[1:]
    return text.rstrip(".") + "."


def _hint(decl: Field) -> str:
    parts = [PERSONAL_HINT] if decl.personal else []
    parts.append(sentence(decl.help))
    if decl.kind == "text" and decl.pattern_help:
        parts.append(f"Expected: {decl.pattern_help}.")
    elif decl.kind == "int":
        parts.append(f"Expected: {decl.expected()}.")
    elif decl.kind == "list" and decl.item is not None and decl.item.kind != "enum":
        parts.append("One per line.")
    return " ".join(parts)


def _choice_label(value: str) -> str:
    words = value.replace("_", " ")
    return words[:1].upper() + words[1:]


def _multi_line(decl: Field) -> bool:
    return decl.kind == "text" and not decl.one_line and decl.pattern is None


def _control(decl: Field) -> FormControl:
    label, hint = _label(decl), _hint(decl)
    if decl.kind == "text":
        if _multi_line(decl):
            return TextAreaField(label, description=hint, widget=GovTextArea())
        return StringField(label, description=hint, widget=GovTextInput())
    if decl.kind in ("date", "datetime"):
        return DateParts(label, description=hint, with_time=decl.kind == "datetime")
    if decl.kind == "bool":
        return RadioField(label, description=hint, choices=[("yes", "Yes"), ("no", "No")],
                          validate_choice=False, widget=GovRadioInput())
    if decl.kind == "enum":
        return RadioField(label, description=hint, validate_choice=False,
                          choices=[(c, _choice_label(c)) for c in decl.choices],
                          widget=GovRadioInput())
    if decl.kind == "int":
        return StringField(label, description=hint, widget=GovTextInput(),
                           render_kw={"inputmode": "numeric"})
    if decl.kind == "list":
        assert decl.item is not None
        if decl.item.kind == "enum":
            return SelectMultipleField(label, description=hint, validate_choice=False,
                                       choices=[(c, _choice_label(c))
                                                for c in decl.item.choices],
                                       widget=GovCheckboxesInput())
        return TextAreaField(label, description=hint, widget=GovTextArea())
    if decl.kind == "object":
        return FormField(_subform(decl), label, description=hint, widget=_ObjectWidget())
    raise ValueError(f"no form control for field kind {decl.kind}")  # pragma: no cover


class _Declared:
    """What a built form class knows of its declaration (its fields, in order)."""

    declared: ClassVar[tuple[Field, ...]] = ()

    def declared_controls(self) -> Iterator[tuple[Field, FormControl]]:
        for decl in self.declared:
            yield decl, self[decl.name]  # type: ignore[index]


def _class(base: type, name: str, fields: tuple[Field, ...], **extra: Any) -> type:
    attrs: dict[str, Any] = {"declared": fields, **extra}
    for decl in fields:
        # A catalogue name that shadows the form's own machinery (data, errors, case...)
        # is a declaration this module cannot show: refused at build, caught by the
        # every-type test, never met by a person.
        if decl.name in ENVELOPE or hasattr(base, decl.name):
            raise ValueError(f"field '{decl.name}' collides with the form's own names")
        attrs[decl.name] = _control(decl)
    bases = (base,) if issubclass(base, _Declared) else (_Declared, base)
    return type(name, bases, attrs)


def _subform(decl: Field) -> type:
    return _class(Form, f"{decl.name.title()}Fields", decl.fields)


class EventForm(_Declared, FlaskForm):
    """The base of every event form: the catalogue fields, then the envelope."""

    event_type: ClassVar[EventType]

    occurred_at = DateParts("When it happened", description="Today unless you change it. "
                            "Not in the future.")
    passphrase = PasswordField("Your passphrase", widget=GovPasswordInput(),
                               description="It opens your own key to sign this record, "
                                           "for this request only; it is never stored.")

    @property
    def needs_case(self) -> bool:
        return self.event_type.stream in CASE_STREAMS


@lru_cache(maxsize=None)
def form_for(type_name: str) -> type[EventForm]:
    """The form class of one event type (built once per type)."""
    et = get_event_type(type_name)
    extra: dict[str, Any] = {"event_type": et}
    if et.stream in CASE_STREAMS:
        extra["case"] = StringField("Case reference", widget=GovTextInput(),
                                    description=limits.REF_HELP[:1].upper()
                                    + limits.REF_HELP[1:] + ".")
    cls = _class(EventForm, et.class_name + "Form", et.fields, **extra)
    return cls  # type: ignore[return-value]

