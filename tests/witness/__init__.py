"""Tests of the independent witness. ``Log`` is a made-up transparency log with a real
Ed25519 key and a real RFC 9162 tree over random leaf hashes: it signs checkpoints and
builds add-checkpoint requests exactly as a ledger would send them."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.merkle import consistency_proof, root_from_leaf_hashes
from ledger.note import Note, encode_vkey, format_note, sign_note
from ledger.tlog import Checkpoint, checkpoint_text, format_add_checkpoint

ORIGIN = "cspr-ledger/testshire-safeguarding-partnership/0123456789abcdef"


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)


class Log:
    def __init__(self, origin: str = ORIGIN, leaves: list[bytes] | None = None) -> None:
        self.origin = origin
        self.keys = [Ed25519PrivateKey.generate()]
        self.leaves: list[bytes] = list(leaves or [])

    def grow(self, n: int) -> "Log":
        self.leaves += [os.urandom(32) for _ in range(n)]
        return self

    def fork(self, keep: int) -> "Log":
        """Another history sharing the first ``keep`` leaves, signed by the same keys."""
        other = Log(self.origin, self.leaves[:keep])
        other.keys = list(self.keys)
        return other

    def rotate(self) -> None:
        self.keys.append(Ed25519PrivateKey.generate())

    def vkey(self, which: int = -1) -> str:
        return encode_vkey(self.origin, raw_public(self.keys[which]))

    def note(self, size: int | None = None, signers: tuple[int, ...] = (-1,)) -> str:
        size = len(self.leaves) if size is None else size
        text = checkpoint_text(Checkpoint(self.origin, size,
                                          root_from_leaf_hashes(self.leaves[:size])))
        sigs = [sign_note(text, self.origin, self.keys[i].sign, raw_public(self.keys[i]))
                for i in signers]
        return format_note(Note(text, sigs))

    def request(self, old: int, size: int | None = None,
                signers: tuple[int, ...] = (-1,)) -> str:
        size = len(self.leaves) if size is None else size
        proof = consistency_proof(self.leaves[:size], old) if 0 < old < size else []
        return format_add_checkpoint(old, proof, self.note(size, signers))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (the lock file aside) and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "lock"}
