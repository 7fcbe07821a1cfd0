"""Ed25519 keys: who signed an event, and proof that they did.

An actor's private key lives only in a file under ``<home>/keys/`` readable by its owner;
the ledger holds the public key, registered by a signed ``actor-registered`` event. A key is
named by its *key id*, the first 16 bytes of SHA-256 over the raw public key, in hex: short
enough to print in a scrutineer's table, long enough never to collide by accident.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ledger.errors import KeyFileExposedError, PrivateKeyUnavailableError


def key_id(public_key_raw: bytes) -> str:
    return hashlib.sha256(public_key_raw).hexdigest()[:32]


@dataclass(frozen=True)
class Signer:
    """An actor able to sign: the name and key id go into what is signed."""

    actor: str
    private_key: Ed25519PrivateKey

    @cached_property
    def public_key_raw(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @cached_property
    def key_id(self) -> str:
        return key_id(self.public_key_raw)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    @classmethod
    def generate(cls, actor: str) -> "Signer":
        return cls(actor, Ed25519PrivateKey.generate())


def verify_signature(public_key_raw: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key_raw).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def key_path(keys_dir: Path, actor: str, kid: str | None = None) -> Path:
    # Retired keys keep their id in the name so a rotation never overwrites evidence of
    # which key signed what.
    return keys_dir / (f"{actor}.{kid}.retired.pem" if kid else f"{actor}.pem")


def write_private_key(path: Path, signer: Signer, passphrase: bytes | None = None) -> None:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = signer.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # O_EXCL: creating a key must never silently replace another actor's key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)


def check_private(path: Path) -> None:
    """Refuse key material readable or writable by group or others (issue 8)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFileExposedError(str(path), mode)


def load_signer(keys_dir: Path, actor: str, passphrase: bytes | None = None) -> Signer:
    path = key_path(keys_dir, actor)
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise PrivateKeyUnavailableError(actor, f"no key file {path.name} in {keys_dir}")
    check_private(path)
    # Whether the key is protected is read from the file, not guessed from the error:
    # a passphrase set for other actors' keys must not stop an unprotected one.
    encrypted = pem.lstrip().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    if encrypted and not passphrase:
        raise PrivateKeyUnavailableError(
            actor, "the key is protected by a passphrase: set CSPR_KEY_PASSPHRASE")
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase if encrypted
                                                 else None)
    except (TypeError, ValueError):
        raise PrivateKeyUnavailableError(
            actor, "the passphrase in CSPR_KEY_PASSPHRASE does not open this key"
            if encrypted else "the key file is damaged (not a PEM private key)")
    if not isinstance(key, Ed25519PrivateKey):
        raise PrivateKeyUnavailableError(actor, "not an Ed25519 key")
    return Signer(actor, key)
