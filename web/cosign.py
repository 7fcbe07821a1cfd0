"""Co-sign: the joint decisions waiting for the signed-in person's signature (issue 11
item 7, §8.9, §21.1), each shown in full with who has signed, and signed from the page.

``GET /cosign`` lists the decisions naming the person among their cosigners that they
have not yet signed; ``GET /cosign/<position>`` shows one: its type, case, outcome and
rationale, who recorded it, who has signed and who is still to sign; ``POST`` records the
person's co-signature through service/cosigning.cosign_with (the checks and the one writer
of ``cspr cosign``), with their key opened by the passphrase typed in the form. A refusal
(not named, already signed, wrong passphrase) changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput
from wtforms import PasswordField

from domain.catalogue import EVENT_TYPES, personal_field_names
from domain.errors import CsprError, InvalidFieldError, RuleViolationError
from projections.cosignatures import cosignatures_by_position, signing_of
from projections.source import case_facts
from service.calendar_england import england_calendar
from service.cosigning import Decision, cosign_with, decision_at
from service.queries import Queries
from web import context
from web.session_actor import current_actor, requires
from web.signing import PassphraseRefused, signer_for

bp = Blueprint("cosign", __name__)

ENTER_PASSPHRASE = "Enter your passphrase to sign this decision"


class CosignForm(FlaskForm):
    passphrase = PasswordField("Your passphrase", widget=GovPasswordInput(),
                               description="It opens your own key to sign this decision, "
                                           "for this request only; it is never stored.")


def awaiting(actor: str) -> list[dict[str, Any]]:
    """The joint decisions naming ``actor`` that ``actor`` has not yet co-signed, as
    ``case show`` lists a case's (with the case added), in ledger order. From the read
    model, as the Today page reads them: only the decisions someone has still to sign,
    never every joint decision of the ledger."""
    rows = Queries(context.ledger(), context.now(), england_calendar()).awaiting_cosignature()
    return [r for r in rows if actor in r["still_to_sign"]]


@bp.get("/cosign")
@requires()
def waiting() -> Any:
    who = current_actor()
    assert who is not None
    rows = awaiting(who.name)
    if context.wants_json():
        return {"awaiting_cosignature": rows}
    return render_template("cosign/list.html", rows=rows)


def _decision(position: int) -> tuple[Decision, dict[str, Any]]:
    """The joint decision at ``position`` and its signing (who signed, who is to), or 404
    (beyond the ledger, or not a joint decision: the CLI's exit 2 and 1 say why)."""
    try:
        decision = decision_at(context.ledger(), position)
    except (InvalidFieldError, RuleViolationError):
        abort(404)
    facts = case_facts(context.ledger(), decision.case)
    (fact,) = [f for f in facts if f.position == position]
    return decision, signing_of(fact, cosignatures_by_position(facts))


def _shown(decision: Decision) -> list[tuple[str, str]]:
    """The decision's fields as label and text; a personal field (none of the joint
    decisions has one) would be left out, as everywhere personal data is not opened."""
    hidden = set(personal_field_names(decision.type))
    rows = []
    for f in EVENT_TYPES[decision.type].fields:
        if f.name in decision.data and f.name not in hidden:
            value = decision.data[f.name]
            if isinstance(value, bool):
                text = "Yes" if value else "No"
            elif isinstance(value, list):
                text = ", ".join(str(v) for v in value)
            else:
                text = str(value)
            rows.append((f.name.replace("_", " ").capitalize(), text))
    return rows


@bp.route("/cosign/<int:position>", methods=["GET", "POST"])
@requires()
def decision(position: int) -> Any:
    who = current_actor()
    assert who is not None
    found, signing = _decision(position)
    form = CosignForm()
    summary: list[dict[str, str]] = []
    status = 200
    if form.is_submitted():
        passphrase = form.passphrase.data or ""
        form.passphrase.data = ""  # never sent back to the browser
        try:
            if not passphrase:
                raise PassphraseRefused()
            receipt = cosign_with(
                context.ledger(), who.name, position,
                lambda: signer_for(context.home(), who.name, passphrase),
                context.state().clock)
        except PassphraseRefused as e:
            message = ENTER_PASSPHRASE if not passphrase else str(e)
            form.passphrase.errors = [message]
            summary, status = [{"text": message, "href": f"#{form.passphrase.id}"}], 400
        except CsprError as e:  # not named, already signed: the CLI's words and §
            summary = [{"text": f"Not signed: {e}"}]
            status = 409 if isinstance(e, RuleViolationError) else 400
        else:
            if context.wants_json():
                return receipt.as_json(), 201
            flash(f"You co-signed the {found.type} decision on {found.case} (ledger "
                  f"position {position}); your signature is at position "
                  f"{receipt.position}.", "success")
            return redirect("/cosign", code=303)
    body = {"position": position, "case": found.case, "decision": found.type,
            "recorded_by": found.actor,
            "data": {k: v for k, v in found.data.items()
                     if k not in personal_field_names(found.type)},
            "cosigners": signing["cosigners"],
            "signed_by": [s["actor"] for s in signing["signatures"]],
            "still_to_sign": signing["pending"]}
    if context.wants_json():
        if summary:
            return {"error": "not signed", "problems": [s["text"] for s in summary]}, status
        return body
    return render_template("cosign/decision.html", cosign_form=form, summary=summary,
                           found=found, fields=_shown(found), signing=signing,
                           may_sign=who.name in signing["pending"]), status
