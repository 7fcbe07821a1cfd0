"""Who is signed in, and what they may see: ``current_actor()`` and ``requires(*roles)``.

The session cookie (signed by Flask, HttpOnly, SameSite=Lax, Secure) holds only the actor's
name, when they signed in and when they were last seen. Everything else is read from the
ledger at each request: the roles come from the actor registry, so a role changed or an
actor revoked takes effect at the next click (a revoked actor is signed out). A session
idle for longer than IDLE_TIMEOUT_MINUTES is ended.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, TypeVar

from flask import abort, g, redirect, request, session, url_for

from domain.streams import Actor
from web import auth_log, context

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class SignedIn:
    name: str
    roles: tuple[str, ...]
    signed_in_at: datetime


def _stamp(t: datetime) -> float:
    return t.timestamp()


def start(actor: str, at: datetime) -> None:
    """A new session for ``actor`` (after passphrase and code): a fresh cookie, so
    nothing from before sign-in carries over (session fixation)."""
    session.clear()
    session["actor"] = actor
    session["at"] = _stamp(at)
    session["seen"] = _stamp(at)


def end() -> None:
    session.clear()
    g.pop("cspr_actor", None)


def client_tag() -> str:
    """The client's address as a keyed hash (the sign-in log and the lock-out key on it;
    the address itself is kept nowhere)."""
    from flask import current_app

    secret = current_app.config["SECRET_KEY"]
    return auth_log.client_tag(secret if isinstance(secret, bytes) else secret.encode(),
                               request.remote_addr)


def current_actor() -> SignedIn | None:
    """The person signed in for this request, with their roles as the ledger has them now;
    None if nobody is, or the session has gone idle, or the actor was revoked."""
    if "cspr_actor" in g:
        return g.cspr_actor
    g.cspr_actor = _load()
    return g.cspr_actor


def _load() -> SignedIn | None:
    name = session.get("actor")
    if not isinstance(name, str):
        return None
    now = context.now()
    idle = timedelta(minutes=context.setting("IDLE_TIMEOUT_MINUTES"))
    seen = datetime.fromtimestamp(float(session.get("seen", 0)), timezone.utc)
    if now - seen > idle:
        end()
        auth_log.write(context.home(), now, "idle-timeout", actor=name, client=client_tag())
        return None
    actor = context.ledger().load(Actor, name)
    if actor is None or actor.revoked:
        end()
        auth_log.write(context.home(), now, "revoked-signed-out", actor=name,
                       client=client_tag())
        return None
    session["seen"] = _stamp(now)
    return SignedIn(name, tuple(actor.roles),
                    datetime.fromtimestamp(float(session["at"]), timezone.utc))


def requires(*roles: str) -> Callable[[F], F]:
    """Only a signed-in actor (holding one of ``roles``, if any are named) reaches the
    view: otherwise the sign-in page (302), or the 403 page for a role without access."""

    def wrap(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            who = current_actor()
            if who is None:
                if context.wants_json():
                    return {"error": "sign in first"}, 401
                # Only the path (never the query string, which may carry input).
                return redirect(url_for("auth.sign_in", next=request.path))
            if roles and not set(roles) & set(who.roles):
                abort(403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return wrap
