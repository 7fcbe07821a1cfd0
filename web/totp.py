"""The second factor: each person's TOTP secret (RFC 6238, pyotp), sealed at rest.

Where the secret lives: ``<home>/keys/<actor>.totp`` (0600), sealed with AES-GCM under
``keys/web-totp.key``, a key of the web service's own (web.security), bound to the
actor's name as associated data. Why not under the person's passphrase, like their
signing key: the code is checked in a second request, after the passphrase step, and
the server keeps no passphrase between requests. Why not under the master key: an
erasure rotates the master key (ledger.erasure), which would lose every secret. So a
database dump or backup alone holds no secret, and the file alone opens nothing.

Enrolment: the first sign-in of an actor with no secret makes a new one, kept sealed in
``<actor>.totp.pending`` and shown once (text and QR code); a fresh visit makes a fresh
one, so a secret is never shown twice. A correct code and the person's passphrase
confirm it: ``actor-totp-enrolled`` is recorded, signed by the person's own key, naming
only the key id of the secret's hash (never the secret), then the secret is kept.
"""

from __future__ import annotations

import hashlib
import os
import threading
from datetime import datetime
from pathlib import Path

import pyotp
import segno
from flask import current_app
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.app import LedgerApplication
from ledger.files import write_atomically
from ledger.signing import Signer
from service.home import Home
from service.writer import Receipt, Writer, make_intent
from web.security import TOTP_KEY_FILE, service_key

ENROLLED = "actor-totp-enrolled"
NONCE = 12
# One step either side: a phone's clock a little off still signs in.
WINDOW = 1

_used_lock = threading.Lock()


def _used() -> dict[str, int]:
    """Per application: actor -> the last time-step accepted, so a code works once."""
    return current_app.extensions.setdefault("cspr_totp_used", {})


def secret_path(home: Home, actor: str, pending: bool = False) -> Path:
    return home.keys / (f"{actor}.totp.pending" if pending else f"{actor}.totp")


def _aead(home: Home) -> AESGCM:
    return AESGCM(service_key(home.keys, TOTP_KEY_FILE))


def _aad(actor: str) -> bytes:
    return f"cspr-ledger/totp/v1\n{actor}".encode()


def _read(home: Home, path: Path, actor: str) -> str | None:
    try:
        sealed = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return _aead(home).decrypt(sealed[:NONCE], sealed[NONCE:], _aad(actor)).decode()
    except (InvalidTag, ValueError):
        return None  # damaged, or sealed for another actor: as if never enrolled


def enrolled(home: Home, actor: str) -> bool:
    return secret_path(home, actor).exists()


def secret_of(home: Home, actor: str) -> str | None:
    return _read(home, secret_path(home, actor), actor)


def new_pending(home: Home, actor: str) -> str:
    """A new secret for ``actor`` to enrol, sealed on disk; returned once, to show."""
    secret = pyotp.random_base32()
    nonce = os.urandom(NONCE)
    home.keys.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomically(secret_path(home, actor, pending=True),
           nonce + _aead(home).encrypt(nonce, secret.encode(), _aad(actor)))
    return secret


def secret_key_id(secret: str) -> str:
    """What the ledger records of a secret: a name for it, revealing nothing of it."""
    return hashlib.sha256(b"cspr-ledger/totp-id/v1\n" + secret.encode()).hexdigest()[:32]


def code_ok(actor: str, secret: str, code: str, now: datetime) -> bool:
    """The code fits ``now`` (one step either side) and has not been used before."""
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(secret)
    for drift in range(-WINDOW, WINDOW + 1):
        step = totp.timecode(now) + drift
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            with _used_lock:
                used = _used()
                if used.get(actor, -1) >= step:
                    return False  # replayed
                used[actor] = step
            return True
    return False


def confirm(app: LedgerApplication, home: Home, signer: Signer, code: str,
            now: datetime) -> Receipt | None:
    """Keep the pending secret if ``code`` fits it: record the enrolment, signed by the
    person, then move the secret into place. None (nothing changed) if it does not fit."""
    actor = signer.actor
    pending = secret_path(home, actor, pending=True)
    secret = _read(home, pending, actor)
    if secret is None or not code_ok(actor, secret, code, now):
        return None
    intent = make_intent(ENROLLED, None, {"actor": actor, "key_id": secret_key_id(secret)},
                         None, actor, now)
    receipt = Writer(app, lambda: now).append([intent], {actor: signer})[0]
    os.replace(pending, secret_path(home, actor))
    return receipt


def qr_svg(secret: str, actor: str, issuer: str) -> str:
    """The otpauth URI as an inline SVG QR code (attributes only, no style: CSP-safe)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=actor, issuer_name=issuer or "cspr")
    return segno.make(uri, error="m").svg_inline(scale=4, light="#fff", border=4)
