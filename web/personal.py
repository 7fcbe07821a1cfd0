"""Open a case's personal fields, on record (issue 12 Security, issue 10).

``GET /personal/<ref>`` asks why (the purpose) and for the reader's passphrase; ``POST``
opens the case's chronology with its personal fields through service.chronology
.chronology, the function behind ``cspr case chronology REF --include-personal
--purpose``: it checks the purpose before any key is opened, opens the reader's key (the
passphrase typed here, in a Passphrases source holding nothing else), checks their role
against service.personal_access.READERS, appends the signed ``personal-data-accessed``
event naming the fields opened and the purpose, and only then returns what was opened.
So a refusal (bad purpose, wrong passphrase, a role without the right) appends nothing
and shows nothing. A case whose personal data was erased (``case erase``) has nothing to
open: the page says so and nothing is read or appended, as the CLI does.

Personal values appear only in the response to that POST (no-store, never cached): the
address carries the case reference only; nothing is logged; no other page shows them.
Not under /cases/REF/...: a case reference may hold "/", and /cases/<path:ref> would
take the address for another case's page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, make_response, render_template
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextArea
from wtforms import PasswordField, TextAreaField

from cli.display import london_time
from domain.catalogue import EVENT_TYPES, personal_field_names
from domain.errors import CsprError, InvalidFieldError, InvalidInputError
from domain.limits import FREE_TEXT_MAX
from service import passphrases
from service.chronology import chronology
from service.erasure import erasure_record
from service.personal_access import ACCESSED, READERS, PersonalDataNotAuthorisedError, \
    PersonalRead
from web import context
from web.session_actor import current_actor, requires
from web.signing import PassphraseRefused, guarded, key_refusals

bp = Blueprint("personal", __name__)

ENTRY = "chronology-entry-added"
ENTER_PASSPHRASE = "Enter your passphrase to open the personal fields"


class OpenForm(FlaskForm):
    purpose = TextAreaField(
        "Why you are opening them", widget=GovTextArea(),
        render_kw={"maxlength": FREE_TEXT_MAX, "rows": 3},
        description="For example, preparing the panel meeting. It is recorded in the "
                    "ledger with your name, so do not write anyone's personal details here.")
    passphrase = PasswordField("Your passphrase", widget=GovPasswordInput(),
                               description="It opens your own key to sign the record of "
                                           "this access, for this request only; it is "
                                           "never stored.")


@bp.app_context_processor
def offered() -> dict[str, Any]:
    # The case page offers the link only to those who may follow it.
    return {"personal_readers": sorted(READERS)}


def _case(ref: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The case's chronology with nothing personal, and its erasure if any; 404 for a
    case that is not there (or a reference that could not be one)."""
    try:
        rows = chronology(context.ledger(), context.home(), ref, False, None)
    except InvalidInputError:
        abort(404)
    return rows, erasure_record(context.ledger(), ref)


def _shown(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as ``case chronology --json`` prints them: the London time beside UTC."""
    return [{**r, "event_at_london": london_time(r["event_at"])[0],
             "when": london_time(r["event_at"])[1]} for r in rows]


def _labels() -> list[tuple[str, str]]:
    hidden = set(personal_field_names(ENTRY))
    return [(f.name, f.name.replace("_", " ").capitalize())
            for f in EVENT_TYPES[ENTRY].fields if f.name in hidden]


def _refuse(field: Any, text: str, summary: list[dict[str, str]]) -> None:
    field.errors = [text]
    summary.append({"text": text, "href": f"#{field.id}"})


def _open(ref: str, form: OpenForm, summary: list[dict[str, str]]
          ) -> list[dict[str, Any]] | None:
    """The chronology opened, its access recorded first; None (nothing appended, the
    problems in ``summary``) if refused."""
    who = current_actor()
    assert who is not None
    purpose, typed = form.purpose.data or "", form.passphrase.data or ""
    clock = context.state().clock
    try:  # the CLI's check of --purpose, before any key is opened
        PersonalRead(context.ledger(), who.name, ACCESSED, ref, {"purpose": purpose}, clock)
    except InvalidFieldError as e:  # the catalogue's words, never what was typed
        _refuse(form.purpose, f"Why you are opening them: {e.problem}; expected "
                              f"{e.expected}", summary)
    if not typed:
        _refuse(form.passphrase, ENTER_PASSPHRASE, summary)
    if summary:
        return None
    only_this = passphrases.Passphrases(environ={passphrases.variable(who.name): typed},
                                        ask=None)

    def read() -> list[dict[str, Any]]:
        with passphrases.using(only_this), key_refusals():
            return chronology(context.ledger(), context.home(), ref, True, who.name,
                              purpose, clock)

    try:
        # Guarded as any signature is, so a wrong passphrase counts towards the lock-out
        # (web.signing); the read opens the key once, to sign the record of the access.
        return guarded(who.name, read)
    except PassphraseRefused as e:  # wrong, no key file, or locked out for a while
        _refuse(form.passphrase, str(e), summary)
    except PersonalDataNotAuthorisedError:
        abort(403)  # a role taken away since the page was loaded
    except CsprError as e:  # a rule of the ledger: its words and paragraph
        summary.append({"text": f"Nothing was opened: {e}"})
    return None


@bp.route("/personal/<path:ref>", methods=["GET", "POST"])
@requires(*sorted(READERS))
def open_fields(ref: str) -> Any:
    rows, erased = _case(ref)
    form = OpenForm()
    summary: list[dict[str, str]] = []
    status = 200
    opened = None
    if form.is_submitted():
        if erased:
            status = 409  # nothing personal is left to open: nothing read or appended
        else:
            opened = _open(ref, form, summary)
            status = 200 if opened is not None else 400
    form.passphrase.data = ""  # never sent back to the browser
    if opened is not None:
        shown = _shown(opened)
        if context.wants_json():  # `case chronology REF --include-personal --json`
            response = make_response(jsonify([{k: v for k, v in r.items() if k != "when"}
                                              for r in shown]))
        else:
            response = make_response(render_template(
                "personal/opened.html", ref=ref, rows=shown, labels=_labels(),
                purpose=form.purpose.data))
        response.headers["Cache-Control"] = "no-store"
        return response
    if context.wants_json():
        if status != 200:
            return {"error": "not opened", "personal_data_erased": erased,
                    "problems": [s["text"] for s in summary]}, status
        return {"case": ref, "entries": len(rows), "personal_data_erased": erased}
    return render_template("personal/open.html", ref=ref, entries=len(rows),
                           erased=erased, personal_form=form, summary=summary), status
