"""The ledger's checkpoints as C2SP signed notes (c2sp.org/tlog-checkpoint), and its
system keys as the vkeys that verify them.

A checkpoint note's text is ``<origin>\\n<size>\\n<base64 root>\\n``: the ledger's origin
(ledger.identity), the number of events and their RFC 9162 Merkle root. The system key in
force signs it as an Ed25519 (0x01) note signature under the key name ``<origin>``, so
the vkey an inspector pins is ``<origin>+<key hash>+<base64(0x01 || public key)>``
(``cspr actor list --vkeys``). A witness adds its cosignature lines; anything else reading
the note ignores lines from keys it does not know.
"""

from __future__ import annotations

from typing import Any, Iterable

from ledger.note import (
    ALG_ED25519,
    Note,
    NoteSignature,
    encode_base64,
    encode_vkey,
    format_note,
    key_hash,
    parse_note,
    sign_note,
)
from ledger.signing import Signer, verify_signature
from ledger.tlog import Checkpoint, checkpoint_text, parse_checkpoint

NOTE_FORMAT = "c2sp-checkpoint-note"  # how load_checkpoint marks a checkpoint given as a note


def sign_checkpoint_note(origin: str, size: int, root: bytes,
                         signer: Signer) -> tuple[str, NoteSignature]:
    """The signed note of a checkpoint, and its signature line's value."""
    text = checkpoint_text(Checkpoint(origin, size, root))
    signature = sign_note(text, origin, signer.sign, signer.public_key_raw)
    return format_note(Note(text, [signature])), signature


def signature_value(signature: NoteSignature) -> str:
    """What follows the key name on a signature line: base64(key hash || signature)."""
    return encode_base64(signature.key_hash + signature.signature)


def system_vkey(origin: str, public_key: bytes) -> str:
    return encode_vkey(origin, public_key, ALG_ED25519)


def note_view(text: str | bytes) -> dict[str, Any]:
    """A signed checkpoint note as the dict ``checkpoint_problems`` reads (``size`` and
    ``root_hash``, no ``head_hash``: a note names no chain head). Raises NoteError."""
    note = parse_note(text)
    cp = parse_checkpoint(note.text)
    return {"format": NOTE_FORMAT, "origin": cp.origin, "size": cp.size,
            "root_hash": cp.root.hex(), "note": format_note(note)}


def system_signatures(note: Note, entries: Iterable[Any]) -> list[tuple[Any, str, bool]]:
    """Each (key entry, key name, verifies) for a signature line made with one of the
    ``entries`` (KeyEntry of system keys): a line is a key's when its key hash is that
    key's under the line's name (c2sp signed-note: a key is its name AND its hash)."""
    message = note.text.encode("utf-8")
    found = []
    for line in note.signatures:
        for entry in entries:
            if line.key_hash == key_hash(line.name, ALG_ED25519, entry.public_key):
                found.append((entry, line.name, len(line.signature) == 64 and
                              verify_signature(entry.public_key, line.signature, message)))
    return found
