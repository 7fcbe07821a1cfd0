"""Record: a form for every event type a person may record, signed with their own key.

``GET /record`` lists the types the signed-in person's roles may record, by EVENTS.md
section; ``GET /record/<type>`` shows that type's form (web/catalogue_forms.py), and
``POST`` records it as ``cspr record`` does (service/recording.record_event): the same
validation (make_intent), the same rules (the one writer), signed by the person's key,
opened with the passphrase typed in this form, for this request only (web/signing.py).

A refusal changes nothing: bad input (the CLI's exit 2) comes back on its field, a rule of
the procedure (exit 1) as the error summary citing its paragraph, a wrong passphrase on
the passphrase field. What was typed travels only in the POST body: it is never put in a
URL, a log line or an error message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, abort, flash, redirect, render_template, request

from cli.record import RECORDABLE, WITHOUT_CASE
from domain.calendar import london_date
from domain.catalogue import EVENT_TYPES, json_schema
from domain.errors import CsprError, InvalidFieldError, RuleViolationError
from service.acknowledgement import check_position
from service.writer import Writer, make_intent
from web import context
from web.catalogue_forms import EventForm, form_for
from web.form_data import Refusals, checked_data, occurred_at
from web.session_actor import SignedIn, current_actor, requires
from web.signing import PassphraseRefused, signer_for

bp = Blueprint("record", __name__)

BY_HAND = tuple(RECORDABLE + WITHOUT_CASE)  # the types `cspr record` offers, in order
ENTER_PASSPHRASE = "Enter your passphrase to sign this record"


def may_record(who: SignedIn) -> list[str]:
    """The types any of ``who``'s roles may record by hand, in catalogue order."""
    return [n for n in BY_HAND if EVENT_TYPES[n].roles & set(who.roles)]


def _allowed_type(type_name: str) -> str:
    """The type, after 404 (not a type recorded by hand) and 403 (not for these roles)."""
    if type_name not in BY_HAND:
        abort(404)  # the name typed is not repeated back
    who = current_actor()
    assert who is not None  # requires() let the request through
    if not EVENT_TYPES[type_name].roles & set(who.roles):
        abort(403)
    return type_name


@bp.get("/record")
@requires()
def choose() -> Any:
    who = current_actor()
    assert who is not None
    types = may_record(who)
    if context.wants_json():
        return {"types": [{"type": n, "section": EVENT_TYPES[n].section,
                           "help": EVENT_TYPES[n].help} for n in types]}
    sections: dict[str, list[Any]] = {}
    for n in types:
        sections.setdefault(EVENT_TYPES[n].section, []).append(EVENT_TYPES[n])
    return render_template("record/choose.html", sections=sections)


@bp.get("/record/<type_name>")
@requires()
def show(type_name: str) -> Any:
    type_name = _allowed_type(type_name)
    if context.wants_json():
        return json_schema(type_name)  # `cspr schema TYPE`: the fields and their rules
    form = form_for(type_name)(formdata=None, occurred_at=london_date(context.now()))
    if form.needs_case:
        # A case reference is not personal data (limits.REF_PATTERN): safe in a link from
        # a case page.
        form.case.data = request.args.get("case", "")
    return _page(form, Refusals())


@bp.post("/record/<type_name>")
@requires()
def submit(type_name: str) -> Any:
    type_name = _allowed_type(type_name)
    who = current_actor()
    assert who is not None
    form = form_for(type_name)()
    refusals = Refusals()
    now = context.now()
    data = checked_data(form, london_date(now), refusals)
    when = occurred_at(form, refusals)
    case = (form.case.data or "").strip() if form.needs_case else None
    passphrase = form.passphrase.data or ""
    if not passphrase:
        _passphrase_refused(form, refusals, ENTER_PASSPHRASE)
    if refusals:
        return _page(form, refusals, 400)
    app = context.ledger()
    try:
        intent = make_intent(type_name, case, data, when, who.name, now)
        check_position(app, intent)
    except InvalidFieldError as e:
        refusals.add(form, e)
        return _page(form, refusals, 400)
    # The key is opened only once the record is known to be well formed: the passphrase's
    # key derivation is the slow part of a submission.
    try:
        signer = signer_for(context.home(), who.name, passphrase)
    except PassphraseRefused as e:  # wrong, or locked out for a while: its own words
        _passphrase_refused(form, refusals, str(e))
        return _page(form, refusals, 400)
    try:
        receipt = Writer(app, context.state().clock).append([intent], {who.name: signer})[0]
    except RuleViolationError as e:
        return _page(form, refusals, 409, rule=e)
    except InvalidFieldError as e:
        refusals.add(form, e)
        return _page(form, refusals, 400)
    except CsprError as e:  # e.g. an unknown case: the CLI's words (a reference, no data)
        return _page(form, refusals, 400, problem=str(e))
    if context.wants_json():
        return receipt.as_json(), 201
    where = f" on {receipt.case}" if receipt.case else ""
    flash(f"Recorded {receipt.type}{where}, signed with your key, at ledger position "
          f"{receipt.position}.", "success")
    if receipt.case is None:
        return redirect("/record", code=303)
    return redirect("/cases/" + quote(receipt.case, safe=""), code=303)


def _passphrase_refused(form: EventForm, refusals: Refusals, message: str) -> None:
    form.passphrase.errors = [message]
    refusals.summary.append({"text": message, "href": f"#{form.passphrase.id}"})


def _page(form: EventForm, refusals: Refusals, status: int = 200,
          rule: RuleViolationError | None = None, problem: str | None = None) -> Any:
    form.passphrase.data = ""  # never sent back to the browser
    summary = list(refusals.summary)
    if rule is not None:
        summary.insert(0, {"text": f"Not recorded: {rule}"})
    if problem is not None:
        summary.insert(0, {"text": f"Not recorded: {problem}"})
    if context.wants_json() and summary:
        return {"error": "not recorded", "rule": rule.paragraph if rule else None,
                "problems": [s["text"] for s in summary]}, status
    return render_template("record/form.html", event_form=form, event_type=form.event_type,
                           summary=summary, rule=rule), status
