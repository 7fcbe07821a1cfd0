"""Ed25519 keys: who signed an event, and proof that they did.

An actor's private key lives only in a file under ``<home>/keys/`` readable by its owner,
sealed under that person's passphrase (``ledger.keyfile``); only an unattended actor's
(``system``, for cron) may be in clear. The ledger holds the public key, registered by a
signed ``actor-registered`` event. A key is named by its *key id*, the first 16 bytes of
SHA-256 over the raw public key, in hex: short enough to print in a scrutineer's table,
long enough never to collide by accident.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ledger import keyfile
from ledger.errors import (
    KeyFileExposedError,
    PassphraseRequiredError,
    PrivateKeyUnavailableError,
    UnprotectedKeyError,
    WrongPassphraseError,
)

# Actors whose key may be kept in clear (0600, readable by their service user alone):
# cron signs the nightly as ``system`` with nobody there to type a passphrase.
UNATTENDED = frozenset({"system"})


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


def key_file_bytes(signer: Signer, passphrase: bytes | None) -> bytes:
    if passphrase:
        return keyfile.seal(signer.private_key.private_bytes_raw(), signer.actor, passphrase)
    return signer.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


def _refuse_clear(actor: str, passphrase: bytes | None, clear_ok: bool | None) -> None:
    if not passphrase and not (actor in UNATTENDED if clear_ok is None else clear_ok):
        raise PassphraseRequiredError(actor, "a person's key is never written in clear")


def write_private_key(path: Path, signer: Signer, passphrase: bytes | None,
                      clear_ok: bool | None = None) -> None:
    """A new key file, sealed under ``passphrase``; in clear only for an unattended
    actor (or where ``clear_ok`` says so)."""
    _refuse_clear(signer.actor, passphrase, clear_ok)
    data = key_file_bytes(signer, passphrase)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # O_EXCL: creating a key must never silently replace another actor's key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def replace_private_key(path: Path, signer: Signer, passphrase: bytes) -> None:
    """Rewrite a key file in place, atomically: a reader, or a crash, sees the old file
    whole or the new one whole, never a mixture or nothing."""
    _refuse_clear(signer.actor, passphrase, False)
    staged = path.with_name(path.name + ".protecting")
    staged.unlink(missing_ok=True)  # left by a crash; it only ever holds a sealed key
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key_file_bytes(signer, passphrase))
            f.flush()
            os.fsync(f.fileno())
        os.replace(staged, path)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)


def check_private(path: Path) -> None:
    """Refuse key material readable or writable by group or others (issue 8)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFileExposedError(str(path), mode)


@dataclass(frozen=True)
class KeyFile:
    """One actor's key file as read from disk, not yet opened."""

    actor: str
    path: Path
    text: bytes = field(repr=False)

    @property
    def protected(self) -> bool:
        return keyfile.is_protected(self.text)

    @property
    def sealed(self) -> bool:
        return keyfile.is_sealed(self.text)

    def open(self, passphrase: bytes) -> Signer | None:
        """The signer, or None if this passphrase does not open the key."""
        try:
            if self.sealed:
                raw = keyfile.unseal(self.text, self.actor, passphrase)
                return None if raw is None else Signer(
                    self.actor, Ed25519PrivateKey.from_private_bytes(raw))
            return self._pem(passphrase)
        except keyfile.DamagedKeyFile as e:
            raise PrivateKeyUnavailableError(self.actor, f"the key file is damaged ({e})")

    def open_clear(self, clear_ok: bool | None = None) -> Signer:
        """A key kept in clear: only an unattended actor's (``UNATTENDED``), unless the
        caller says otherwise."""
        if self.protected:
            raise PassphraseRequiredError(self.actor, "it is protected by a passphrase")
        if not (self.actor in UNATTENDED if clear_ok is None else clear_ok):
            raise UnprotectedKeyError(self.actor, str(self.path))
        signer = self._pem(None)
        assert signer is not None  # a clear key has no passphrase to get wrong
        return signer

    def _pem(self, passphrase: bytes | None) -> Signer | None:
        try:
            key = serialization.load_pem_private_key(self.text, password=passphrase)
        except (TypeError, ValueError):
            if passphrase is not None and self.protected:
                return None  # an earlier version's PKCS#8 file, and the wrong passphrase
            raise PrivateKeyUnavailableError(
                self.actor, "the key file is damaged (not a PEM private key)")
        if not isinstance(key, Ed25519PrivateKey):
            raise PrivateKeyUnavailableError(self.actor, "not an Ed25519 key")
        return Signer(self.actor, key)


def read_key_file(keys_dir: Path, actor: str, path: Path | None = None) -> KeyFile:
    path = path or key_path(keys_dir, actor)
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise PrivateKeyUnavailableError(actor, f"no key file {path.name} in {keys_dir}")
    check_private(path)
    return KeyFile(actor, path, text)


def load_signer(keys_dir: Path, actor: str, passphrase: bytes | None = None,
                clear_ok: bool | None = None) -> Signer:
    """Open one key with one known passphrase. Where a person's passphrase comes from
    (their variable, the shared one, the terminal) is service.passphrases' concern."""
    kf = read_key_file(keys_dir, actor)
    if not kf.protected:
        return kf.open_clear(clear_ok)
    if not passphrase:
        raise PassphraseRequiredError(actor, "no passphrase given")
    signer = kf.open(passphrase)
    if signer is None:
        raise WrongPassphraseError(actor, "the caller")
    return signer
