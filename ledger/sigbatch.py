"""Ed25519 verification of a batch of signatures, run in a worker process."""

from __future__ import annotations

from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


@lru_cache(maxsize=4096)
def _key(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def verify_batch(batch: list[tuple[bytes, bytes, bytes, int]]) -> list[int]:
    """Return the positions whose signature does not verify."""
    bad = []
    for public_key, signature, message, position in batch:
        try:
            _key(public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            bad.append(position)
    return bad
