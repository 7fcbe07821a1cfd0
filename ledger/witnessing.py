"""What a witness's cosignatures prove, and ``verify --witness``'s checks of them.

A witness cosigns a checkpoint only after checking, with a consistency proof, that it
extends the last one it cosigned (``cspr witness cosign``). Its cosignature comes back
into the ledger as a signed ``checkpoint-cosigned`` event holding the checkpoint's size and
root, the witness's key name and hash, and the cosignature line's value (base64 of key
hash || timestamp || Ed25519 signature): with the ledger's origin that rebuilds the very
note the witness signed, so anyone holding the witness's vkey can check it again.

``verify --witness VKEY`` (read-only, no key needed) asks, for each witness: that the
ledger holds at least one of its cosignatures; that each verifies under VKEY and is of a
checkpoint the ledger signed (same size and root); and, for a checkpoint file given as a
note, that it carries a valid cosignature by VKEY. A history truncated or rewritten
after a cosigned checkpoint is then found against that note (``verify --checkpoint``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from sqlalchemy import select

from ledger.checkpoint_note import NOTE_FORMAT
from ledger.note import (
    Note,
    NoteError,
    NoteSignature,
    VKey,
    decode_base64,
    parse_note,
    verify_cosignature,
)
from ledger.report import Problem
from ledger.rowtypes import blob
from ledger.tlog import Checkpoint, checkpoint_text

if TYPE_CHECKING:
    from ledger.app import LedgerApplication

COSIGNED = "checkpoint-cosigned"


@dataclass(frozen=True)
class Cosignature:
    """One ``checkpoint-cosigned`` event's claim."""

    position: int
    size: int
    root: bytes
    witness: str
    key_hash: bytes
    value: str  # the signature line's base64: key hash || timestamp || signature
    timestamp: int

    def is_by(self, vkey: VKey) -> bool:
        return self.witness == vkey.name and self.key_hash == vkey.key_hash

    def note(self, origin: str) -> Note:
        """The cosigned note as the witness signed it (its cosignature line only)."""
        raw = decode_base64(self.value, "cosignature")
        return Note(checkpoint_text(Checkpoint(origin, self.size, self.root)),
                    [NoteSignature(self.witness, raw[:4], raw[4:])])

    def verifies(self, origin: str, vkey: VKey) -> bool:
        try:
            return verify_cosignature(self.note(origin), vkey) == self.timestamp
        except NoteError:
            return False


def cosignatures(app: "LedgerApplication") -> Iterator[Cosignature | int]:
    """Every recorded cosignature, in ledger order; the position alone of one whose
    payload does not decode (verify reports the payload itself)."""
    for position, data in _by_type(app, COSIGNED):
        try:
            yield Cosignature(int(position), int(data["size"]),
                              bytes.fromhex(data["root_hash"]), str(data["witness"]),
                              bytes.fromhex(data["witness_key_hash"]),
                              str(data["cosignature"]), int(data["timestamp"]))
        except (KeyError, ValueError, TypeError):
            yield int(position)


def signed_checkpoints(app: "LedgerApplication") -> set[tuple[int, str]]:
    """(size, hex root) of every checkpoint the ledger signed (``checkpoint-signed``)."""
    out = set()
    for _, data in _by_type(app, "checkpoint-signed"):
        try:
            out.add((int(data["size"]), str(data["root_hash"])))
        except (KeyError, ValueError, TypeError):
            continue  # verify reports the payload
    return out


def _by_type(app: "LedgerApplication", event_type: str) -> Iterator[tuple[Any, Any]]:
    t = app.events_table
    with app.engine.connect() as conn:
        rows = conn.execute(select(t.c.position, t.c.state)
                            .where(t.c.event_type == event_type).order_by(t.c.id)).all()
    for position, state in rows:
        try:
            yield position, json.loads(blob(state))["data"]
        except (ValueError, KeyError, TypeError, RecursionError):
            yield position, None


def witness_problems(app: "LedgerApplication", origin: str, witnesses: Sequence[VKey],
                     checkpoint: dict[str, Any] | None = None) -> list[Problem]:
    recorded = list(cosignatures(app))
    signed = signed_checkpoints(app)
    problems = [Problem(p, "witness", "a checkpoint-cosigned event does not decode")
                for p in recorded if isinstance(p, int)]
    claims = [c for c in recorded if isinstance(c, Cosignature)]
    for vkey in witnesses:
        # The witness is named by its key hash: its name was typed on the command line.
        who = f"witness key {vkey.key_hash.hex()}"
        mine = [c for c in claims if c.is_by(vkey)]
        if not mine:
            problems.append(Problem(0, "witness", f"no checkpoint of this ledger is "
                                                  f"cosigned by {who}"))
        for c in mine:
            if not c.verifies(origin, vkey):
                problems.append(Problem(c.position, "witness", f"the cosignature by {who} "
                                        "does not verify under its key"))
            if (c.size, c.root.hex()) not in signed:
                problems.append(Problem(c.position, "witness", f"{who} cosigned a "
                                        "checkpoint this ledger never signed"))
        if checkpoint is not None and checkpoint.get("format") == NOTE_FORMAT:
            try:
                ok = verify_cosignature(parse_note(checkpoint["note"]), vkey) is not None
            except (KeyError, NoteError):
                ok = False
            if not ok:
                problems.append(Problem(0, "witness", f"the checkpoint note carries no "
                                                      f"valid cosignature by {who}"))
    return problems
