"""``cspr actor protect``: seal key files already on disk, in place, so a home made before
keys were sealed is not stranded.

A clear key is sealed under its owner's new passphrase; a key an earlier version sealed as
an encrypted PKCS#8 PEM is resealed under the passphrase that opens it; with ``change``, a
sealed key gets a new passphrase (its owner's current one opens it). The actor's retired
keys are sealed with it (but keep their passphrase on a change). Each file is replaced atomically (``replace_private_key``), and
nothing is written until every passphrase needed has been given. No ledger event: the
key, and so what it signs, is unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path

from domain import limits
from domain.errors import InvalidFieldError
from ledger.signing import KeyFile, Signer, read_key_file, replace_private_key
from service import passphrases

_KIND = {True: "sealed", False: "clear"}


def _files(keys_dir: Path, name: str, retired_too: bool) -> list[KeyFile]:
    retired = re.compile(re.escape(name) + r"\.[0-9a-f]{32}\.retired\.pem")
    current = read_key_file(keys_dir, name)  # refused (exit 2) if there is none
    paths = sorted(p for p in keys_dir.iterdir()
                   if retired_too and retired.fullmatch(p.name))
    return [current, *(read_key_file(keys_dir, name, p) for p in paths)]


def protect_keys(keys_dir: Path, name: str, change: bool = False) -> list[dict[str, str]]:
    """What was done to each of NAME's key files: sealed, resealed, or left as it was."""
    if re.fullmatch(limits.ACTOR_PATTERN, name) is None:  # it becomes a file name
        raise InvalidFieldError("NAME", limits.ACTOR_HELP, "invalid")
    source = passphrases.current()
    plan: list[tuple[KeyFile, Signer | None, bytes | None]] = []
    new: bytes | None = None
    # A retired key can sign nothing the ledger accepts: sealed if clear, but a change of
    # passphrase is for the key in use.
    for kf in _files(keys_dir, name, retired_too=not change):
        if kf.sealed and not change:
            plan.append((kf, None, None))  # already as it should be
            continue
        signer, current = ((kf.open_clear(clear_ok=True), None) if not kf.protected
                           else passphrases.open_key(kf, source))
        if current is None or change:
            new = new or source.to_set(name, keep_clear=False, change=change)
        plan.append((kf, signer, new or current))
    out = []
    for kf, signer, sealing in plan:
        if signer is not None and sealing is not None:
            replace_private_key(kf.path, signer, sealing)
        was = "pkcs8-encrypted" if kf.protected and not kf.sealed else _KIND[kf.sealed]
        out.append({"file": kf.path.name, "was": was,
                    "now": "unchanged" if signer is None else "sealed"})
    return out
