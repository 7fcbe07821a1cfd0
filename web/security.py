"""Headers, cookies and the service's own secrets (issue 12, Security).

- A strict Content-Security-Policy on every response: nothing but this origin's own
  files; no inline script or style (base.html carries none: govuk-frontend's JS is a
  module file, started from static/init.mjs); no framing.
- Cookies HttpOnly, SameSite=Lax, Secure unless configured off (a test server over plain
  http); the session cookie is signed, not encrypted, so it holds no secret.
- The keys the web service needs of its own live under ``<home>/keys/`` beside the actor
  keys, 0600, made on first start: the session-signing key and the key that seals TOTP
  secrets at rest. Neither is in the database, so a database dump or backup alone opens
  nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response, request

from ledger.signing import check_private

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin: Flask-WTF checks the Referer of a POST over HTTPS against this host.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

# Behind an HTTPS proxy (docs/deploy.md): browsers remember to use HTTPS for a year.
HSTS = "max-age=31536000"

# The vendored assets are pinned (their version is in the path's files): cache a year.
STATIC_MAX_AGE = 365 * 24 * 3600

SESSION_KEY_FILE = "web-session.key"
TOTP_KEY_FILE = "web-totp.key"


def service_key(keys_dir: Path, name: str) -> bytes:
    """A random 256-bit key of the web service's own, made once (0600, never replaced:
    O_EXCL, so two workers starting together agree on one)."""
    path = keys_dir / name
    if not path.exists():
        keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(32))
    check_private(path)
    data = path.read_bytes()
    if len(data) != 32:
        raise RuntimeError(f"{path.name} is damaged: expected 32 bytes")
    return data


def configure_cookies(app: Flask, secure: bool) -> None:
    app.config.update(
        SESSION_COOKIE_NAME="cspr_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        # Closed with the browser; the idle timeout (web.session_actor) ends it sooner.
        SESSION_PERMANENT=False,
        SEND_FILE_MAX_AGE_DEFAULT=None,
    )


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint == "static":
        response.cache_control.public = True
        response.cache_control.max_age = STATIC_MAX_AGE
        response.cache_control.immutable = True
    else:
        # Pages may name cases and people's roles: never kept by a shared cache.
        response.headers["Cache-Control"] = "no-store"
    return response
