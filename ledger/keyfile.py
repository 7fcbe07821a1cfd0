"""A person's private key at rest: sealed under their own passphrase, never in clear.

The sealed file holds the 32-byte Ed25519 private key encrypted with AES-256-GCM under a
key derived from the passphrase by scrypt (N=2^15, r=8, p=1: about 0.1 s and 32 MiB for
every guess, so a copied ``keys/`` folder is slow to attack). The actor's name is the
associated data, so a sealed file renamed to another actor's name does not open. One
armoured block, base64 of a JSON object::

    -----BEGIN CSPR SEALED ED25519 KEY-----
    {"v": 1, "actor": .., "kdf": "scrypt", "n": .., "r": .., "p": .., "salt": ..,
     "nonce": .., "sealed": ..}     (salt, nonce, sealed in base64)
    -----END CSPR SEALED ED25519 KEY-----

Not PKCS#8's encrypted PEM: the cryptography library writes it with PBKDF2 at 2048
iterations, far cheaper to guess against. Keys an earlier version wrote that way
(``actor add --passphrase``) still open here, and ``cspr actor protect`` reseals them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

BEGIN = b"-----BEGIN CSPR SEALED ED25519 KEY-----"
END = b"-----END CSPR SEALED ED25519 KEY-----"
LEGACY_BEGIN = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"

# The cost of one guess. Read back from each file, so a file keeps opening if this changes
# (the test suite lowers it for speed; tests/ledger/test_key_protection.py checks this one).
SCRYPT_N = 2 ** 15
SCRYPT_R = 8
SCRYPT_P = 1
# A damaged or hostile file must not make us spend unbounded memory or time.
MAX_N = 2 ** 18
_MAXMEM = 2 ** 30  # 128 * r * N bytes at most: 256 MiB at MAX_N with r = 8


class DamagedKeyFile(ValueError):
    """The file is not a sealed key this module can read."""


def is_sealed(text: bytes) -> bool:
    return text.lstrip().startswith(BEGIN)


def is_protected(text: bytes) -> bool:
    """Sealed here, or by an earlier version as an encrypted PKCS#8 PEM."""
    head = text.lstrip()
    return head.startswith(BEGIN) or head.startswith(LEGACY_BEGIN)


def _kdf(passphrase: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(passphrase, salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)


def seal(private_raw: bytes, actor: str, passphrase: bytes) -> bytes:
    salt, nonce = os.urandom(16), os.urandom(12)
    key = _kdf(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    sealed = AESGCM(key).encrypt(nonce, private_raw, actor.encode())
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    body = json.dumps({"v": 1, "actor": actor, "kdf": "scrypt", "n": SCRYPT_N,
                       "r": SCRYPT_R, "p": SCRYPT_P, "salt": b64(salt), "nonce": b64(nonce),
                       "sealed": b64(sealed)}, sort_keys=True).encode()
    lines = base64.encodebytes(body).strip()
    return BEGIN + b"\n" + lines + b"\n" + END + b"\n"


def parameters(text: bytes) -> dict:
    """The JSON header of a sealed file (cost parameters included); DamagedKeyFile if
    the file is not one."""
    try:
        inner = text.strip()
        if not (inner.startswith(BEGIN) and inner.endswith(END)):
            raise ValueError
        fields = json.loads(base64.b64decode(inner[len(BEGIN):-len(END)]))
        n, r, p = fields["n"], fields["r"], fields["p"]
        if (fields.get("v") != 1 or fields.get("kdf") != "scrypt"
                or not all(isinstance(x, int) for x in (n, r, p))
                or not 2 <= n <= MAX_N or n & (n - 1) or not 1 <= r <= 8 or not 1 <= p <= 16):
            raise ValueError
        return fields
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise DamagedKeyFile("not a sealed key file") from None


def unseal(text: bytes, actor: str, passphrase: bytes) -> bytes | None:
    """The raw private key, or None when the passphrase (or the actor) is not the one it
    was sealed for: the two cannot be told apart, and need not be."""
    f = parameters(text)
    try:
        salt, nonce, sealed = (base64.b64decode(f[k], validate=True)
                               for k in ("salt", "nonce", "sealed"))
        key = _kdf(passphrase, salt, f["n"], f["r"], f["p"])
        raw = AESGCM(key).decrypt(nonce, sealed, actor.encode())
    except InvalidTag:
        return None
    except (ValueError, TypeError, binascii.Error):
        raise DamagedKeyFile("not a sealed key file") from None
    if len(raw) != 32:
        raise DamagedKeyFile("not an Ed25519 key")
    return raw
