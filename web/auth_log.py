"""The sign-in log: every sign-in, failure, lock-out and sign-out, one JSON object a
line, appended to ``<home>/logs/sign-in.jsonl`` (0600).

It never holds a passphrase, a code, a secret, or personal data: the actor is named only
when it is a registered actor (a name typed that matches none might be anything, even a
passphrase typed in the wrong box), and the client's address is kept only as a keyed hash
(HMAC under the session key), enough to see repeated attempts from one place without
storing where that is.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from datetime import datetime
from pathlib import Path

from service.home import Home

LOG_DIR = "logs"
LOG_FILE = "sign-in.jsonl"

# The only words a line may carry besides the time, the actor and the client's hash.
EVENTS = frozenset({"sign-in", "sign-in-failed", "locked-out", "sign-out", "idle-timeout",
                    "revoked-signed-out", "totp-enrolled",
                    # a signed-in person's passphrase refused at a signature (web.signing),
                    # and a passphrase changed on "Your account"
                    "signature-refused", "passphrase-changed"})
REASONS = frozenset({"passphrase", "code", "unknown-actor", "revoked", "not-a-person",
                     "locked", "expired"})

_lock = threading.Lock()


def log_path(home: Home) -> Path:
    return home.root / LOG_DIR / LOG_FILE


def client_tag(secret: bytes, address: str | None) -> str:
    return hmac.new(secret, (address or "").encode(), hashlib.sha256).hexdigest()[:16]


def write(home: Home, at: datetime, event: str, actor: str | None = None,
          client: str | None = None, reason: str | None = None) -> None:
    if event not in EVENTS or (reason is not None and reason not in REASONS):
        raise ValueError("not a sign-in log word")  # nothing free-form ever reaches the log
    line = {"at": at.isoformat(timespec="seconds"), "event": event, "actor": actor,
            "client": client}
    if reason is not None:
        line["reason"] = reason
    path = log_path(home)
    with _lock:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # O_APPEND: each line is one write at the end, never over an earlier one.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (json.dumps(line, sort_keys=True) + "\n").encode())
        finally:
            os.close(fd)


def record(event: str, actor: str | None = None, reason: str | None = None) -> None:
    """``write`` for the request being served: its home, its time, its client's tag."""
    from web import context, session_actor

    write(context.home(), context.now(), event, actor=actor,
          client=session_actor.client_tag(), reason=reason)
