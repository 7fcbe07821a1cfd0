"""Sign-in, the TOTP second factor and its enrolment, sign-out (issue 12).

1. /sign-in: actor name and passphrase. The passphrase is checked by opening that actor's
   key with it alone (web.signing), then forgotten: the session holds only the name.
2. /sign-in/code: the code from the person's authenticator app (web.totp), or, the first
   time, /sign-in/enrol: a new secret shown once, confirmed by a code and the passphrase,
   recorded as ``actor-totp-enrolled`` signed by the person's own key.

Every failure gives one answer that says nothing of which part was wrong or what was
typed. Failures lock out with back-off per actor and per client address (web.lockout);
every sign-in, failure, lock-out and sign-out goes to the sign-in log (web.auth_log).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from domain.limits import ACTOR_PATTERN
from domain.streams import Actor
from ledger.signing import UNATTENDED
from web import auth_log, context, lockout, session_actor, totp
from web.signing import PassphraseRefused, signer_for

bp = Blueprint("auth", __name__)

# Between the passphrase and the code: long enough to open an app, no longer.
PENDING_MINUTES = 5
REFUSED = "The name, passphrase or code is not right"
LOCKED = "Too many attempts to sign in. Wait a while, then try again"


class SignInForm(FlaskForm):
    actor = StringField("Your name on the ledger", widget=GovTextInput(),
                        validators=[InputRequired("Enter your name on the ledger"),
                                    Length(max=64, message=REFUSED)])
    passphrase = PasswordField("Passphrase", widget=GovPasswordInput(),
                               validators=[InputRequired("Enter your passphrase"),
                                           Length(max=1024, message=REFUSED)])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    code = StringField("Code", widget=GovTextInput(),
                       description="The 6-digit code your authenticator app shows now",
                       validators=[InputRequired("Enter the code"), Length(max=16, message=REFUSED)])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class EnrolForm(CodeForm):
    passphrase = PasswordField("Passphrase", widget=GovPasswordInput(),
                               description="Your passphrase again: you sign this enrolment",
                               validators=[InputRequired("Enter your passphrase"),
                                           Length(max=1024, message=REFUSED)])
    submit = SubmitField("Confirm and sign in", widget=GovSubmitInput())


def _keys(actor: str | None) -> list[str]:
    keys = [f"client:{session_actor.client_tag()}"]
    return keys + [f"actor:{actor}"] if actor else keys


def _log(event: str, actor: str | None = None, reason: str | None = None) -> None:
    auth_log.record(event, actor, reason)


def _safe_next(target: str | None) -> str | None:
    # A path of this site only: never another site (an open redirect), never a query.
    if target and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target and "?" not in target:
        return target
    return None


def _registered(name: str) -> Any:
    import re

    if not re.fullmatch(ACTOR_PATTERN, name):
        return None  # checked before it names a key file or a stream
    return context.ledger().load(Actor, name)


def _pending() -> str | None:
    name, at = session.get("pending"), session.get("pending_at")
    if not isinstance(name, str) or not isinstance(at, (int, float)):
        return None
    started = datetime.fromtimestamp(at, timezone.utc)
    if context.now() - started > timedelta(minutes=PENDING_MINUTES):
        session.pop("pending", None)
        return None
    return name


def _refuse(form: Any, field: Any, message: str, template: str, **extra: Any) -> Any:
    field.errors = [message]
    return render_template(template, form=form, title="Sign in", **extra), \
        429 if message == LOCKED else 200


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    form = SignInForm()
    nxt = _safe_next(request.args.get("next"))
    if not form.validate_on_submit():
        form.passphrase.data = ""
        return render_template("auth/sign_in.html", form=form, next=nxt, title="Sign in")
    name = form.actor.data.strip()
    passphrase = form.passphrase.data
    form.actor.data = form.passphrase.data = ""  # an error never echoes what was typed
    actor = _registered(name)
    known = name if actor is not None else None
    now = context.now()
    lock = lockout.shared()
    if lock.locked_until(_keys(known), now):
        _log("locked-out", known, "locked")
        return _refuse(form, form.passphrase, LOCKED, "auth/sign_in.html", next=nxt,
                       locked=True)
    reason = None
    if actor is None:
        reason = "unknown-actor"
    elif actor.revoked:
        reason = "revoked"
    elif name in UNATTENDED:
        reason = "not-a-person"
    else:
        try:
            signer_for(context.home(), name, passphrase, counted=False)
        except PassphraseRefused:
            reason = "passphrase"
    if reason is not None:
        lock.failed(_keys(known), now)
        _log("sign-in-failed", known, reason)
        return _refuse(form, form.passphrase, REFUSED, "auth/sign_in.html", next=nxt)
    session.clear()
    session["pending"], session["pending_at"] = name, now.timestamp()
    if nxt:
        session["next"] = nxt
    return redirect(url_for("auth.code" if totp.enrolled(context.home(), name)
                            else "auth.enrol"))


def _signed_in(name: str) -> Any:
    nxt = session.get("next")
    lockout.shared().succeeded(_keys(name), context.now())
    session_actor.start(name, context.now())
    _log("sign-in", name)
    return redirect(_safe_next(nxt) or url_for("today.today"))


@bp.route("/sign-in/code", methods=["GET", "POST"])
def code() -> Any:
    name = _pending()
    if name is None:
        return redirect(url_for("auth.sign_in"))
    if not totp.enrolled(context.home(), name):
        return redirect(url_for("auth.enrol"))
    form = CodeForm()
    if not form.validate_on_submit():
        form.code.data = ""
        return render_template("auth/code.html", form=form, title="Sign in")
    typed = form.code.data
    form.code.data = ""
    now = context.now()
    if lockout.shared().locked_until(_keys(name), now):
        _log("locked-out", name, "locked")
        return _refuse(form, form.code, LOCKED, "auth/code.html", locked=True)
    secret = totp.secret_of(context.home(), name)
    if secret is None or not totp.code_ok(name, secret, typed, now):
        lockout.shared().failed(_keys(name), now)
        _log("sign-in-failed", name, "code")
        return _refuse(form, form.code, REFUSED, "auth/code.html")
    return _signed_in(name)


@bp.route("/sign-in/enrol", methods=["GET", "POST"])
def enrol() -> Any:
    name = _pending()
    if name is None:
        return redirect(url_for("auth.sign_in"))
    if totp.enrolled(context.home(), name):
        return redirect(url_for("auth.code"))
    form = EnrolForm()
    if request.method == "GET":
        # A new secret at each visit: one shown is never shown again.
        secret = totp.new_pending(context.home(), name)
        return render_template("auth/enrol.html", form=form, title="Set up sign-in",
                               secret=secret, qr=totp.qr_svg(secret, name,
                                                             context.state().partnership()))
    if not form.validate_on_submit():
        form.code.data = form.passphrase.data = ""
        return render_template("auth/enrol.html", form=form, title="Set up sign-in")
    typed, passphrase = form.code.data, form.passphrase.data
    form.code.data = form.passphrase.data = ""
    now = context.now()
    if lockout.shared().locked_until(_keys(name), now):
        _log("locked-out", name, "locked")
        return _refuse(form, form.code, LOCKED, "auth/enrol.html", locked=True)
    try:
        signer = signer_for(context.home(), name, passphrase, counted=False)
    except PassphraseRefused:
        lockout.shared().failed(_keys(name), now)
        _log("sign-in-failed", name, "passphrase")
        return _refuse(form, form.passphrase, REFUSED, "auth/enrol.html")
    if totp.confirm(context.ledger(), context.home(), signer, typed, now) is None:
        lockout.shared().failed(_keys(name), now)
        _log("sign-in-failed", name, "code")
        return _refuse(form, form.code, REFUSED, "auth/enrol.html")
    _log("totp-enrolled", name)
    return _signed_in(name)


@bp.post("/sign-out")
def sign_out() -> Any:
    who = session.get("actor")
    session_actor.end()
    if isinstance(who, str):
        _log("sign-out", who)
    return redirect(url_for("auth.sign_in"))
