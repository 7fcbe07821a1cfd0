"""The record forms built from the catalogue (web/catalogue_forms.py, web/form_data.py).

Pure: no ledger. Each recordable type's example data, posted as a browser posts the
form's controls, comes back as the data the catalogue itself makes of it; bad input of
each field kind is refused on that field, in the catalogue's words, never echoing it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Iterator

import pytest
from flask import Flask
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from cli.record import RECORDABLE, WITHOUT_CASE
from domain.catalogue import EVENT_TYPES, validate
from domain.fields import Checking
from tests.domain.examples import VALID_EXAMPLES
from web.catalogue_forms import PERSONAL_HINT, form_for
from web.form_data import Refusals, checked_data, occurred_at

# A day after every example's dates ("not after the day it is recorded").
TODAY = date(2026, 11, 30)
TYPES = RECORDABLE + WITHOUT_CASE


def formdata_for(type_name: str, data: dict[str, Any], prefix: str = "") -> list[
        tuple[str, str]]:
    """What a browser posts for ``data`` through the form of ``type_name``: dates as the
    day, month and year boxes (unpadded, as people type them), lists one a line with the
    CR LF browsers send, booleans as the Yes/No radios."""
    declared = {f.name: f for f in EVENT_TYPES[type_name].fields} if not prefix else None
    return list(_pairs(declared or {}, data, prefix))


def _pairs(declared: dict[str, Any], data: dict[str, Any], prefix: str
           ) -> Iterator[tuple[str, str]]:
    for name, value in data.items():
        decl, key = declared[name], prefix + name
        if decl.kind in ("date", "datetime"):
            day, _, time = value.partition("T")
            y, m, d = day.split("-")
            yield from [(key, str(int(d))), (key, str(int(m))), (key, y)]
            if decl.kind == "datetime":
                yield key, time
        elif decl.kind == "bool":
            yield key, "yes" if value else "no"
        elif decl.kind == "object":
            yield from _pairs({f.name: f for f in decl.fields}, value, f"{key}-")
        elif decl.kind == "list" and decl.item.kind == "enum":
            yield from [(key, v) for v in value]
        elif decl.kind == "list":
            yield key, "\r\n".join(str(v) for v in value)
        else:
            yield key, str(value)


@pytest.fixture
def app() -> Flask:
    app = Flask("forms-under-test")
    app.config.update(SECRET_KEY="made-up", WTF_CSRF_ENABLED=False)
    app.jinja_loader = ChoiceLoader([PrefixLoader({
        "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
        "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf")})])
    return app


def submitted(app: Flask, type_name: str, pairs: list[tuple[str, str]]
              ) -> tuple[dict[str, Any] | None, Refusals, Any]:
    with app.test_request_context(method="POST"):
        form = form_for(type_name)(formdata=MultiDict(pairs))
        refusals = Refusals()
        return checked_data(form, TODAY, refusals), refusals, form


def rendered(app: Flask, type_name: str, pairs: list[tuple[str, str]] | None = None) -> str:
    with app.test_request_context():
        form = form_for(type_name)(formdata=MultiDict(pairs) if pairs else None)
        return "\n".join(str(control()) for _, control in form.declared_controls())


@pytest.mark.parametrize("type_name", TYPES)
def test_every_recordable_type_round_trips_through_its_form(app: Flask, type_name: str) -> None:
    example = VALID_EXAMPLES[type_name]
    pairs = formdata_for(type_name, example)
    data, refusals, _ = submitted(app, type_name, pairs)
    assert refusals.summary == []
    assert data == validate(type_name, example, Checking(today=TODAY))
    # Every name posted is one the page renders: the round trip is the page's own.
    html = rendered(app, type_name)
    for name, _ in pairs:
        assert f'name="{name}"' in html, name


@pytest.mark.parametrize("type_name", TYPES)
def test_every_field_has_its_label_hint_and_marks(app: Flask, type_name: str) -> None:
    html = rendered(app, type_name)
    for f in EVENT_TYPES[type_name].fields:
        assert escape(f.help[1:]) in html
        label = f.name.replace("_", " ")[1:]
        assert (label + " (optional)" in html) == (not f.required), f.name
        for sub in f.fields:
            assert escape(sub.help[1:]) in html
    personal = [f for f in EVENT_TYPES[type_name].fields if f.personal]
    assert html.count(PERSONAL_HINT) == len(personal) + sum(
        1 for f in EVENT_TYPES[type_name].fields for s in f.fields if s.personal)


def test_the_form_carries_the_envelope_a_type_needs() -> None:
    referral, directory = form_for("incident-referred"), form_for("ld-chair-contact-recorded")
    assert hasattr(referral, "case") and not hasattr(directory, "case")
    for cls in (referral, directory):
        assert hasattr(cls, "occurred_at") and hasattr(cls, "passphrase")
    assert referral.event_type.rules == EVENT_TYPES["incident-referred"].rules


def test_controls_follow_the_field_kinds(app: Flask) -> None:
    html = rendered(app, "incident-referred")
    # a date: the GOV.UK date input's three boxes
    for box in ("day", "month", "year"):
        assert f'id="received_on-{box}"' in html
    # an enum and a bool: radios; free text: a textarea; a name: one-line input
    assert 'type="radio"' in html and 'value="serious_harm"' in html
    assert re.search(r'<textarea[^>]*name="summary"', html)
    assert re.search(r'<input[^>]*name="referring_agency"[^>]*type="text"', html)
    # the child object's own fields, nested
    assert 'name="child-name"' in html and 'id="child-dob-day"' in html
    # a list of choices: checkboxes
    assert 'type="checkbox"' in rendered(app, "looked-after-death-notified")
    # a date and time: a fourth box for the time
    assert 'id="event_at-time"' in rendered(app, "chronology-entry-added")


def _refused(app: Flask, type_name: str, changes: dict[str, Any],
             drop: tuple[str, ...] = ()) -> tuple[Refusals, Any]:
    example = {k: v for k, v in VALID_EXAMPLES[type_name].items() if k not in drop}
    pairs = [p for p in formdata_for(type_name, example) if p[0] not in changes]
    for name, value in changes.items():
        pairs += [(name, v) for v in (value if isinstance(value, list) else [value])]
    data, refusals, form = submitted(app, type_name, pairs)
    assert data is None
    return refusals, form


SECRET = "Zephyrine Quillfeather"  # a made-up name, typed where it does not belong


@pytest.mark.parametrize("type_name, changes, drop, control, problem", [
    # text: too long, and a line break in a one-line text
    ("incident-referred", {"referring_agency": "A" * 201}, (), "referring_agency",
     "too long"),
    ("incident-referred", {"referring_agency": SECRET + "\r\nX"}, (), "referring_agency",
     "a character that is not allowed"),
    # a required text left blank
    ("threshold-decided", {"rationale": "   "}, (), "rationale", "missing"),
    # a date: boxes that are no date, a day that does not exist, a day after today
    ("incident-referred", {"received_on": ["3", "x", "2025"]}, (), "received_on",
     "not a real date"),
    ("incident-referred", {"received_on": ["31", "2", "2025"]}, (), "received_on",
     "no such date"),
    ("incident-referred", {"received_on": ["1", "12", "2026"]}, (), "received_on",
     "after the day it is recorded"),
    # a date and time whose time is no time
    ("chronology-entry-added", {"event_at": ["3", "11", "2025", "quarter past"]}, (),
     "event_at", "not a date and time"),
    # a bool: not chosen, and a value the radios do not post
    ("threshold-decided", {}, ("meets_threshold",), "meets_threshold", "missing"),
    ("threshold-decided", {"meets_threshold": SECRET}, (), "meets_threshold", "wrong type"),
    # an int: not a number, out of range
    ("incident-referred", {"care_leaver_age": SECRET}, (), "care_leaver_age",
     "not a whole number"),
    ("incident-referred", {"care_leaver_age": "30"}, (), "care_leaver_age", "out of range"),
    # an enum: not one of the choices
    ("incident-referred", {"harm": SECRET}, (), "harm", "not one of the allowed values"),
    # a list of names: empty; an item that is no actor's name
    ("threshold-decided", {"decided_by": "\r\n  \r\n"}, (), "decided_by", "missing"),
    ("threshold-decided", {"cosigners": "p2\r\n" + SECRET}, (), "cosigners",
     "does not match"),
    # a list of choices that must all be ticked
    ("looked-after-death-notified", {"recipients": ["dfe"]}, (), "recipients",
     "missing ofsted"),
    # the child object: a date of birth without the name
    ("incident-referred", {"child-name": ""}, (), "child-name", "missing"),
    # required when: learning potential must be said when the threshold is not met
    ("threshold-decided", {"meets_threshold": "no"}, ("learning_potential",),
     "learning_potential", "missing"),
])
def test_bad_input_is_refused_on_its_own_field(app: Flask, type_name: str,
                                              changes: dict[str, Any], drop: tuple[str, ...],
                                              control: str, problem: str) -> None:
    refusals, form = _refused(app, type_name, changes, drop)
    assert len(refusals.summary) == 1
    (only,) = refusals.summary
    assert only["href"] == f"#{control}"
    assert problem in only["text"]
    assert SECRET not in only["text"] and "Quillfeather" not in only["text"]
    errors = {c.id: c.errors for c in _all_controls(form) if c.errors}
    assert errors == {control: [only["text"]]}


def _all_controls(form: Any) -> Iterator[Any]:
    for control in form:
        if hasattr(control, "form"):
            yield from _all_controls(control.form)
        else:
            yield control


def test_every_problem_of_a_submission_is_listed(app: Flask) -> None:
    refusals, _ = _refused(app, "incident-referred",
                           {"harm": "bogus", "care_leaver_age": "x", "child-name": ""})
    assert [r["href"] for r in refusals.summary] == ["#harm", "#care_leaver_age",
                                                     "#child-name"]


def test_an_optional_object_left_blank_is_left_out(app: Flask) -> None:
    example = {k: v for k, v in VALID_EXAMPLES["incident-referred"].items()
               if k not in ("child", "care_leaver_age", "summary")}
    pairs = formdata_for("incident-referred", example) + [
        ("child-name", ""), ("child-dob", ""), ("child-dob", ""), ("child-dob", ""),
        ("child-address", "  ")]
    data, refusals, _ = submitted(app, "incident-referred", pairs)
    assert not refusals and data is not None and "child" not in data


def test_when_it_happened_is_a_date_or_now(app: Flask) -> None:
    with app.test_request_context(method="POST"):
        cls = form_for("reported-to-partners")
        refusals = Refusals()
        typed = cls(formdata=MultiDict([("occurred_at", "9"), ("occurred_at", "1"),
                                        ("occurred_at", "2026")]))
        assert occurred_at(typed, refusals) == "2026-01-09"
        blank = cls(formdata=MultiDict([("occurred_at", "")] * 3))
        assert occurred_at(blank, refusals) is None
        assert not refusals
        wrong = cls(formdata=MultiDict([("occurred_at", "30"), ("occurred_at", "2"),
                                        ("occurred_at", "2026")]))
        assert occurred_at(wrong, refusals) is None
        assert refusals.summary[0]["href"] == "#occurred_at"
        # The page's default: today, in the three boxes
        shown = str(cls(occurred_at=date(2026, 3, 4)).occurred_at())
        assert 'value="04"' in shown and 'value="03"' in shown and 'value="2026"' in shown
