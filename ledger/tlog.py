"""C2SP checkpoints (c2sp.org/tlog-checkpoint) and the witness's add-checkpoint request body
(c2sp.org/tlog-witness): the two texts a ledger and its witness exchange.

A checkpoint's note text is ``origin\\nsize\\nbase64(root)\\n`` plus optional extension
lines; it is signed as a note (``ledger.note``). An add-checkpoint body is ``old N\\n``,
up to 63 base64 consistency-proof hashes one per line, a blank line, then the signed
checkpoint. Parsing is strict and raises ``NoteError`` naming the field at fault, never
echoing its content. Only the standard library and ``ledger.note`` are used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.note import (
    MAX_NOTE_BYTES,
    NoteError,
    check_text,
    decode_base64,
    encode_base64,
    parse_note,
    utf8_text,
)

__all__ = [
    "Checkpoint", "checkpoint_text", "parse_checkpoint",
    "AddCheckpoint", "format_add_checkpoint", "parse_add_checkpoint",
    "MAX_PROOF_LINES", "MAX_TREE_SIZE", "MAX_REQUEST_BYTES",
]

HASH_SIZE = 32
MAX_PROOF_LINES = 63  # tlog-witness: a client MUST NOT send more
MAX_TREE_SIZE = 2**63 - 1
MAX_REQUEST_BYTES = MAX_NOTE_BYTES + 64 * (MAX_PROOF_LINES + 1)  # sizes travel as uint64 elsewhere; stay within signed range
# ASCII digits only (int() would take other scripts' digits and underscores); no leading 0.
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()


def _size(text: str, field: str) -> int:
    if not _DECIMAL.fullmatch(text) or int(text) > MAX_TREE_SIZE:
        raise NoteError(f"{field}: not a decimal size without leading zeros")
    return int(text)


def checkpoint_text(cp: Checkpoint) -> str:
    """The note text of ``cp``; refuses what ``parse_checkpoint`` would refuse."""
    # A newline inside the origin or an extension would shift every later line.
    if any("\n" in line for line in (cp.origin, *cp.extensions)):
        raise NoteError("checkpoint: origin and extensions must be single lines")
    text = (f"{cp.origin}\n{cp.size}\n{encode_base64(cp.root)}\n"
            + "".join(f"{e}\n" for e in cp.extensions))
    if parse_checkpoint(text) != cp:  # e.g. a size that is not an int, a 31-byte root
        raise NoteError("checkpoint: size or root hash out of range")
    return text


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint's note text (without signatures)."""
    check_text(text)
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint: fewer than three lines (origin, size, root hash)")
    origin, size, root64, *extensions = lines
    if not origin:
        raise NoteError("checkpoint origin: empty")
    if any(not e for e in extensions):
        raise NoteError("checkpoint extension line: empty")
    root = decode_base64(root64, "checkpoint root hash")
    if len(root) != HASH_SIZE:
        raise NoteError("checkpoint root hash: not 32 bytes")
    return Checkpoint(origin, _size(size, "checkpoint size"), root, tuple(extensions))


@dataclass
class AddCheckpoint:
    old_size: int
    proof: list[bytes]
    note: str  # the signed checkpoint note, as sent


def format_add_checkpoint(old_size: int, proof: Sequence[bytes], note: str) -> str:
    """The add-checkpoint request body for a signed checkpoint ``note``."""
    if len(proof) > MAX_PROOF_LINES or any(len(h) != HASH_SIZE for h in proof):
        raise NoteError("add-checkpoint proof: at most 63 hashes of 32 bytes")
    lines = "".join(f"{encode_base64(h)}\n" for h in proof)
    body = f"old {old_size}\n{lines}\n{note}"
    parse_add_checkpoint(body)
    return body


def parse_add_checkpoint(text: str | bytes) -> AddCheckpoint:
    """Parse a request body; also checks that the note is a well-formed signed checkpoint
    and that the old size is not past it (signatures and consistency are the witness's)."""
    text = utf8_text(text, "add-checkpoint request", MAX_REQUEST_BYTES)
    head, sep, note = text.partition("\n\n")  # proof lines are never empty: first blank
    if not sep:
        raise NoteError("add-checkpoint request: no blank line before the checkpoint")
    lines = head.split("\n")
    old = lines[0]
    if not old.startswith("old "):
        raise NoteError("add-checkpoint old size: the first line must be 'old <size>'")
    old_size = _size(old[4:], "add-checkpoint old size")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise NoteError("add-checkpoint proof: more than 63 lines")
    proof = []
    for line in lines[1:]:
        h = decode_base64(line, "add-checkpoint proof")
        if len(h) != HASH_SIZE:
            raise NoteError("add-checkpoint proof: a hash is not 32 bytes")
        proof.append(h)
    if old_size == 0 and proof:
        raise NoteError("add-checkpoint proof: must be empty when the old size is 0")
    cp = parse_checkpoint(parse_note(note).text)
    if old_size > cp.size:
        raise NoteError("add-checkpoint old size: larger than the checkpoint's size")
    return AddCheckpoint(old_size, proof, note)
