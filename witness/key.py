"""The witness's private key at rest: ``witness.key`` in its state folder, 0600.

With a passphrase it is sealed as the ledger's people's keys are (``ledger.keyfile``:
scrypt + AES-GCM, the witness's name as associated data); without one it is a clear PKCS#8
PEM, for a witness run unattended by a service user who alone can read its folder. A file
that group or others can read is refused, as the ledger refuses its own keys.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import keyfile
from witness.errors import WitnessKeyUnavailableError

PASSPHRASE_ENV = "CSPR_WITNESS_PASSPHRASE"


def write_key(path: Path, key: Ed25519PrivateKey, name: str, passphrase: bytes | None) -> None:
    if passphrase:
        data = keyfile.seal(key.private_bytes_raw(), name, passphrase)
    else:
        data = key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    # O_EXCL: a witness key is never silently replaced (its vkey is published).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def is_protected(path: Path) -> bool:
    return keyfile.is_sealed(path.read_bytes())


def load_key(path: Path, name: str, passphrase: bytes | None) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise WitnessKeyUnavailableError("witness.key is missing") from None
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise WitnessKeyUnavailableError(
            "its file can be read or replaced by other users: chmod 600 it")
    if keyfile.is_sealed(data):
        if not passphrase:
            raise WitnessKeyUnavailableError(
                f"it is protected by a passphrase: set {PASSPHRASE_ENV}")
        try:
            raw = keyfile.unseal(data, name, passphrase)
        except keyfile.DamagedKeyFile:
            raise WitnessKeyUnavailableError("the file is damaged") from None
        if raw is None:
            raise WitnessKeyUnavailableError("the passphrase does not open it")
        return Ed25519PrivateKey.from_private_bytes(raw)
    try:
        key = serialization.load_pem_private_key(data, None)
    except (TypeError, ValueError):
        raise WitnessKeyUnavailableError("the file is damaged") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise WitnessKeyUnavailableError("not an Ed25519 key")
    return key
