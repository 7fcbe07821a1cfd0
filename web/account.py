"""Your account (issue 12): who you are on the ledger, and a new passphrase for your key.

``GET /account`` shows the signed-in person's name, roles and key id, as a row of
``cspr actor list --json`` has them. ``POST`` changes their passphrase: the current one,
the new one twice. The key file is resealed by service.protection.protect_keys, the
function behind ``cspr actor protect NAME --change``, with a Passphrases source holding
only what was typed (the current one as the actor's own, the new one as
CSPR_NEW_KEY_PASSPHRASE), never the server's environment or a terminal. The key itself
does not change, so, as on the command line, nothing is recorded in the ledger.

A wrong current passphrase is refused with the key file untouched, and counts towards the
lock-out of the person's name as one typed to sign does (web/signing.py: the reseal runs
under its guard, so the key is opened once). No passphrase is ever sent back to the
browser or written anywhere but into the sealed key file.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput
from wtforms import PasswordField

from domain.errors import CsprError
from domain.streams import Actor
from ledger.errors import WeakPassphraseError
from ledger.signing import UNATTENDED
from service import passphrases
from service.protection import protect_keys
from web import auth_log, context
from web.session_actor import current_actor, requires
from web.signing import PassphraseRefused, guarded, key_refusals

bp = Blueprint("account", __name__)

ENTER_CURRENT = "Enter your current passphrase"
TOO_SHORT = f"Enter a new passphrase of at least {passphrases.MIN_LENGTH} characters"
NOT_MATCHING = "The two new passphrases do not match"
SAME = "Enter a new passphrase different from your current one"


class PassphraseForm(FlaskForm):
    current = PasswordField("Your current passphrase", widget=GovPasswordInput())
    new = PasswordField("New passphrase", widget=GovPasswordInput(), description=(
        f"At least {passphrases.MIN_LENGTH} characters. A few unrelated words are easier "
        "to remember than symbols, and harder to guess."))
    new_again = PasswordField("New passphrase again", widget=GovPasswordInput())


def _who() -> dict[str, Any]:
    """The signed-in person as ``cspr actor list --json`` lists them."""
    who = current_actor()
    assert who is not None
    actor = context.ledger().load(Actor, who.name)
    if actor is None:
        abort(404)  # signed out by current_actor() already; cannot happen in practice
    return {"actor": who.name, "roles": list(actor.roles), "key_id": actor.key_id,
            "revoked": actor.revoked}


def _problems(form: PassphraseForm) -> list[dict[str, str]]:
    """Each field's problem (the current passphrase is checked later, by opening the key);
    a message names the field, never what was typed."""
    summary: list[dict[str, str]] = []

    def refuse(field: Any, text: str) -> None:
        field.errors = [text]
        summary.append({"text": text, "href": f"#{field.id}"})

    current, new = form.current.data or "", form.new.data or ""
    if not current:
        refuse(form.current, ENTER_CURRENT)
    try:
        passphrases.checked(new.encode(), "the form")  # the CLI's rule, the CLI's length
    except WeakPassphraseError:
        refuse(form.new, TOO_SHORT)
    else:
        if new != (form.new_again.data or ""):
            refuse(form.new_again, NOT_MATCHING)
        elif current and new == current:
            refuse(form.new, SAME)
    return summary


def change_passphrase(name: str, current: str, new: str) -> list[dict[str, str]]:
    """Reseal ``name``'s key under ``new``, opened by ``current`` (``actor protect
    --change``); PassphraseRefused if ``current`` does not open it, nothing written. A key
    kept in clear is refused too: it would open with anything typed."""
    keys = context.home().keys
    with key_refusals():
        if name in UNATTENDED or not passphrases.read_key_file(keys, name).protected:
            raise PassphraseRefused()
        only_this = passphrases.Passphrases(
            environ={passphrases.variable(name): current, passphrases.NEW: new}, ask=None)
        with passphrases.using(only_this):
            return protect_keys(keys, name, change=True)


@bp.route("/account", methods=["GET", "POST"])
@requires()
def account() -> Any:
    me = _who()
    form = PassphraseForm()
    summary: list[dict[str, str]] = []
    status = 200
    if form.is_submitted():
        summary = _problems(form)
        if not summary:
            try:
                # Guarded as any signature is, so a wrong one counts towards the lock-out
                # (web.signing); the reseal opens the key, once.
                rows = guarded(me["actor"], lambda: change_passphrase(
                    me["actor"], form.current.data, form.new.data))
            except PassphraseRefused as e:  # wrong, no key file, or locked out for a while
                form.current.errors = [str(e)]
                summary = [{"text": str(e), "href": f"#{form.current.id}"}]
            except CsprError:  # e.g. a key file others can read: refused, not retyped
                summary = [{"text": "Your key file cannot be changed here: ask your "
                                    "administrator"}]
                status = 409
            else:
                auth_log.record("passphrase-changed", me["actor"])
                if context.wants_json():
                    # `cspr actor protect NAME --change --json`
                    return jsonify([{"actor": me["actor"], **r} for r in rows])
                flash("Your passphrase has been changed. Use the new one from now on.",
                      "success")
                return redirect(url_for("account.account"), code=303)
        status = 400 if status == 200 else status
    for field in (form.current, form.new, form.new_again):
        field.data = ""  # a passphrase is never sent back to the browser
    if context.wants_json():
        if summary:
            return {"error": "not changed", "problems": [s["text"] for s in summary]}, status
        return me
    return render_template("account/account.html", me=me, passphrase_form=form,
                           summary=summary), status
