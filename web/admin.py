"""Admin: the people who sign, and the agency directory (issue 12), for the admin role.

``GET /admin`` lists the actors as ``cspr actor list --json`` does; an actor is reached by
their number in registration order (``/admin/actors/<n>``), so no name is put in a URL.
Adding an actor, rotating a key and revoking an actor go through service/actors.py, as
``cspr actor add/rotate/revoke`` do, signed by the admin signed in, whose key is opened by
the passphrase typed in the same form (web/signing.py), for this request only: a
Passphrases source holding just that passphrase is in force while the service runs, never
the server's environment. The service call runs under that module's lock-out guard, so
the key is opened once, to sign, and a wrong passphrase counts towards the lock-out. The
new person's passphrase is typed twice and given to the service as ``--passphrase`` would
be; the page says the person should change it.

``GET /admin/directory`` shows the agency directory as ``cspr directory list --json``; an
entry and the L&D chair's contact are recorded on the record pages (/record/<type>), which
serve both ledger-wide types with the catalogue's own form and checks: one path, not two.

A refusal (a wrong passphrase, a rule such as admin not being revocable) changes nothing:
it comes back as the error summary, and never repeats what was typed.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any, Callable

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovPasswordInput, \
    GovTextArea, GovTextInput
from wtforms import PasswordField, SelectMultipleField, StringField, TextAreaField

from domain.calendar import london_date
from domain.catalogue import ROLES
from domain.errors import CsprError, RuleViolationError
from domain.limits import ACTOR_HELP, ACTOR_PATTERN
from ledger.errors import ActorExistsError
from ledger.signing import UNATTENDED
from service import actors, passphrases
from service.directory import Directory
from service.queries import Queries
from service.writer import Receipt
from web import context
from web.session_actor import current_actor, requires
from web.signing import PassphraseRefused, guarded, key_refusals

bp = Blueprint("admin", __name__)

# A person signs in with their key; the system role is cron's, whose key nobody types a
# passphrase for (it is set up by `cspr init`), so the web does not hand it out.
PERSON_ROLES = [r for r in ROLES if r not in UNATTENDED]
ROLE_LABELS = {"business_unit": "Business unit", "ld_chair": "L&D chair"}
ENTER_PASSPHRASE = "Enter your passphrase to sign this change"
CHANGE_IT = ("Tell the person this passphrase in person, not by email. They should change "
             "it the first time they sign in, on the Your account page.")


def _admin_passphrase() -> PasswordField:
    return PasswordField("Your passphrase", widget=GovPasswordInput(),
                         description="It opens your own key to sign this change, for this "
                                     "request only; it is never stored.")


def _new_passphrase(label: str) -> PasswordField:
    return PasswordField(label, widget=GovPasswordInput(), description=(
        f"At least {passphrases.MIN_LENGTH} characters. {CHANGE_IT}"))


class AddActorForm(FlaskForm):
    name = StringField("Name", widget=GovTextInput(), description=ACTOR_HELP[:1].upper()
                       + ACTOR_HELP[1:] + ". It is shown on everything they sign.")
    roles = SelectMultipleField("Roles", widget=GovCheckboxesInput(), validate_choice=False,
                                choices=[(r, ROLE_LABELS.get(r, r.capitalize()))
                                         for r in PERSON_ROLES],
                                description="Select every role the person holds.")
    new_passphrase = _new_passphrase("Their initial passphrase")
    new_passphrase_again = PasswordField("Their initial passphrase again",
                                         widget=GovPasswordInput())
    passphrase = _admin_passphrase()


class RotateForm(FlaskForm):
    new_passphrase = _new_passphrase("Passphrase for the new key")
    new_passphrase_again = PasswordField("Passphrase for the new key again",
                                         widget=GovPasswordInput())
    passphrase = _admin_passphrase()


class RevokeForm(FlaskForm):
    reason = TextAreaField("Reason", widget=GovTextArea(), description="Why the actor is "
                           "revoked, e.g. left the partnership. It is kept in the ledger.")
    passphrase = _admin_passphrase()


class Refused(Exception):
    """A form refusal: its summary is already on the form. 400 for bad input (the CLI's
    exit 2), 409 for a rule of the procedure (exit 1)."""

    def __init__(self, status: int = 400) -> None:
        super().__init__(status)
        self.status = status


def _error(form: FlaskForm, summary: list[dict[str, str]], field: Any, text: str) -> None:
    field.errors = [text]
    summary.append({"text": text, "href": f"#{field.id}"})


def _check_new_passphrase(form: Any, summary: list[dict[str, str]]) -> bytes:
    new, again = form.new_passphrase.data or "", form.new_passphrase_again.data or ""
    if len(new) < passphrases.MIN_LENGTH:
        _error(form, summary, form.new_passphrase,
               f"Enter a passphrase of at least {passphrases.MIN_LENGTH} characters")
    elif new != again:
        _error(form, summary, form.new_passphrase_again, "The two passphrases do not match")
    return new.encode()


def _signed(form: Any, summary: list[dict[str, str]],
            write: Callable[..., Receipt]) -> Receipt:
    """``write(by=admin)`` run with the admin's key opened by the passphrase typed in
    ``form``, after every field check has passed; Refused (nothing appended) otherwise."""
    who = current_actor()
    assert who is not None
    typed = form.passphrase.data or ""
    if not typed:
        _error(form, summary, form.passphrase, ENTER_PASSPHRASE)
    if summary:
        raise Refused()
    me = who.name
    only_this = passphrases.Passphrases(environ={passphrases.variable(me): typed}, ask=None)

    def sign() -> Receipt:
        # The service opens the key before it writes anything (a key file, an event); a
        # wrong passphrase, or a key kept in clear, is refused there.
        with passphrases.using(only_this), key_refusals():
            return write(by=me)

    try:
        # Guarded as any signature is, so a wrong passphrase counts towards the lock-out
        # (web.signing); the service opens the key once, to sign.
        return guarded(me, sign)
    except PassphraseRefused as e:  # wrong, no key file, or locked out for a while
        _error(form, summary, form.passphrase, str(e))
        raise Refused() from None
    except ActorExistsError:
        _error(form, summary, form.name, "An actor with this name is already registered")
    except CsprError as e:  # the CLI's words (a rule cites its paragraph)
        summary.append({"text": f"Not recorded: {e}"})
        raise Refused(409 if isinstance(e, RuleViolationError) else 400) from None
    raise Refused(409)


def _page(template: str, form: Any, summary: list[dict[str, str]], status: int,
          **extra: Any) -> Any:
    for name in ("passphrase", "new_passphrase", "new_passphrase_again"):
        if name in form:
            form[name].data = ""  # a passphrase is never sent back to the browser
    if context.wants_json() and summary:
        return {"error": "not recorded", "problems": [s["text"] for s in summary]}, status
    return render_template(template, admin_form=form, summary=summary, **extra), status


def _done(receipt: Receipt, message: str, where: str) -> Any:
    if context.wants_json():
        return receipt.as_json(), 201
    flash(f"{message} (ledger position {receipt.position}).", "success")
    return redirect(where, code=303)


def _actor(number: int) -> dict[str, Any]:
    rows = actors.list_actors(context.ledger())
    if not 1 <= number <= len(rows):
        abort(404)
    return rows[number - 1]


@bp.get("/admin")
@requires("admin")
def index() -> Any:
    rows = actors.list_actors(context.ledger())
    if context.wants_json():
        return jsonify(rows)  # `cspr actor list --json`
    return render_template("admin/index.html", rows=rows)


def _signed_form(template: str, form: Any, prepare: Callable[[list[dict[str, str]]], Any],
                 message: str, where: str, **extra: Any) -> Any:
    """GET: the empty form. POST: ``prepare`` checks the fields (each problem into the
    summary) and returns the service call; it runs signed by the admin signed in."""
    summary: list[dict[str, str]] = []
    if not form.is_submitted():
        return _page(template, form, summary, 200, **extra)
    write = prepare(summary)
    try:
        receipt = _signed(form, summary, write)
    except Refused as e:
        return _page(template, form, summary, e.status, **extra)
    return _done(receipt, message, where)


@bp.route("/admin/actors/new", methods=["GET", "POST"])
@requires("admin")
def add() -> Any:
    form = AddActorForm()
    name = (form.name.data or "").strip()

    def prepare(summary: list[dict[str, str]]) -> Any:
        roles = list(form.roles.data or [])
        if not re.fullmatch(ACTOR_PATTERN, name):
            _error(form, summary, form.name,
                   "Enter a name: " + ACTOR_HELP.split(": ", 1)[-1])
        if not roles or not set(roles) <= set(PERSON_ROLES):
            _error(form, summary, form.roles, "Select at least one role")
        new = _check_new_passphrase(form, summary)
        return partial(actors.add_actor, context.ledger(), context.home(), name, roles,
                       new, clock=context.state().clock)

    return _signed_form("admin/add.html", form, prepare,
                        f"Registered {name} with their own key", url_for("admin.index"))


@bp.get("/admin/actors/<int:number>")
@requires("admin")
def actor(number: int) -> Any:
    row = _actor(number)
    if context.wants_json():
        return row
    return render_template("admin/actor.html", row=row, number=number,
                           unattended=row["actor"] in UNATTENDED)


@bp.route("/admin/actors/<int:number>/rotate", methods=["GET", "POST"])
@requires("admin")
def rotate(number: int) -> Any:
    row = _actor(number)
    form = RotateForm()

    def prepare(summary: list[dict[str, str]]) -> Any:
        if row["actor"] in UNATTENDED:
            # Cron's key stays in clear: it is rotated on the server, where cron runs.
            summary.append({"text": "The system key is rotated on the server with "
                                    "cspr actor rotate system, not here"})
        new = _check_new_passphrase(form, summary)
        return partial(actors.rotate_actor, context.ledger(), context.home(), row["actor"],
                       new, clock=context.state().clock)

    return _signed_form("admin/rotate.html", form, prepare,
                        f"Rotated the key of {row['actor']}",
                        url_for("admin.actor", number=number), row=row, number=number)


@bp.route("/admin/actors/<int:number>/revoke", methods=["GET", "POST"])
@requires("admin")
def revoke(number: int) -> Any:
    row = _actor(number)
    form = RevokeForm()

    def prepare(summary: list[dict[str, str]]) -> Any:
        reason = (form.reason.data or "").strip()
        if not reason:
            _error(form, summary, form.reason, "Enter why the actor is revoked")
        return partial(actors.revoke_actor, context.ledger(), context.home(), row["actor"],
                       reason, clock=context.state().clock)

    return _signed_form("admin/revoke.html", form, prepare,
                        f"Revoked {row['actor']}: they can no longer sign in or sign",
                        url_for("admin.actor", number=number), row=row, number=number)


@bp.get("/admin/directory")
@requires("admin")
def directory() -> Any:
    """As ``cspr directory list --json``: in force today (London), upcoming, unlisted."""
    q = Queries(context.ledger(), context.now())
    day = london_date(context.now())
    open_agencies = [a["agency"] for a in q.actions(None, None)
                     if a["status"] != "completed"]
    listing = Directory.load(q.app).listing(day, open_agencies)
    if context.wants_json():
        return listing
    return render_template("admin/directory.html", listing=listing)

