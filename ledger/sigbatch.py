"""The parallel half of verify: hashing and Ed25519 checks of a batch, in a worker."""

from __future__ import annotations

from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.chain import leaf_hash_of, signed_bytes


@lru_cache(maxsize=4096)
def _key(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def hash_and_verify(batch: list[tuple]) -> tuple[list[bytes], list[int]]:
    """For each (originator_id, version, topic, state, signature, public_key, position):
    the event's leaf hash, in order, and the positions whose signature does not verify
    (rows with no known key are reported elsewhere and only hashed here)."""
    leaves, bad = [], []
    for oid, version, topic, state, signature, public_key, position in batch:
        signed = signed_bytes(oid, version, topic, state)
        leaves.append(leaf_hash_of(signed, signature))
        if public_key is None:
            continue
        try:
            _key(public_key).verify(signature, signed)
        except (InvalidSignature, ValueError):
            bad.append(position)
    return leaves, bad
