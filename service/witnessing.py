"""The ledger's side of its witness: what it sends, what it records back, what it publishes.

- ``add_checkpoint_request``: the tlog-witness add-checkpoint body for a new checkpoint
  (``cspr checkpoint --proof-from SIZE``, and the nightly's letter to the witness);
- ``record_cosignature``: a note the witness cosigned, checked and appended as a signed
  ``checkpoint-cosigned`` event (``cspr checkpoint cosigned FILE --witness VKEY``);
- ``system_vkeys``: the vkey of every system key the ledger ever had, with the positions
  it was in force (``cspr actor list --vkeys``), read-only: an inspector pins them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import select

from domain.errors import InvalidFieldError, RuleViolationError
from ledger.app import LedgerApplication
from ledger.checkpoint_note import system_vkey
from ledger.keys_registry import KeyRegistry
from ledger.note import (
    ALG_COSIGNATURE_V1,
    NoteError,
    VKey,
    decode_vkey,
    encode_base64,
    parse_note,
    verify_cosignature,
)
from ledger.proofs import consistency
from ledger.rowtypes import blob
from ledger.tlog import format_add_checkpoint, parse_checkpoint
from ledger.witnessing import Cosignature, cosignatures, signed_checkpoints
from service.actors import load_actor_signer
from service.evidence import create_checkpoint
from service.home import Home
from service.writer import Receipt, Writer, make_intent

def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


_ACTOR_EVENTS = ["actor-registered", "actor-key-rotated", "actor-revoked"]


class NotThisLedgersCheckpointError(RuleViolationError):
    def __init__(self, why: str) -> None:
        super().__init__(f"the cosigned note is not a checkpoint this ledger signed: {why}")


class CosignatureInvalidError(RuleViolationError):
    def __init__(self) -> None:
        super().__init__("the note carries no cosignature that verifies under the witness "
                         "key given")


@dataclass(frozen=True)
class Recorded:
    position: int
    size: int
    new: bool  # False: this very cosignature was already recorded


def witness_vkey(text: str, option: str = "witness") -> VKey:
    """A witness's vkey (cosignature/v1, type 0x04), as ``cspr witness init`` prints it."""
    try:
        vkey = decode_vkey(text)
    except NoteError:
        raise InvalidFieldError(option, "a witness vkey (name+keyhash+base64key)", "invalid")
    if vkey.alg != ALG_COSIGNATURE_V1:
        raise InvalidFieldError(option, "a witness vkey of signature type 0x04 "
                                        "(cosignature/v1)", "wrong type")
    return vkey


def add_checkpoint_request(app: LedgerApplication, cp: dict[str, Any], old_size: int) -> str:
    """The add-checkpoint body offering checkpoint ``cp`` (create_checkpoint's) to a
    witness that last cosigned ``old_size`` events."""
    signed = _signed_roots(app)
    signed[cp["size"]] = bytes.fromhex(cp["root_hash"])
    made = consistency(app, old_size, cp["size"], signed)
    return format_add_checkpoint(old_size, made.proof, cp["note"])


def checkpoint_for_witness(app: LedgerApplication, home: Home, old_size: int,
                           by: str = "system", clock: Callable[[], datetime] = _utcnow
                           ) -> tuple[dict[str, Any], str]:
    """A new checkpoint of the ledger and its add-checkpoint request from ``old_size``,
    in one pass over the events since then; a refusal appends nothing."""
    made = consistency(app, old_size, app.size(), _signed_roots(app))
    cp = create_checkpoint(app, home, clock, by=by, tree=made.tree)
    return cp, format_add_checkpoint(old_size, made.proof, cp["note"])


def _signed_roots(app: LedgerApplication) -> dict[int, bytes]:
    return {size: bytes.fromhex(root) for size, root in signed_checkpoints(app)}


def last_cosigned_size(app: LedgerApplication) -> int:
    """The largest size a witness cosigned, by the ledger's record (0 if none)."""
    return max((c.size for c in cosignatures(app) if isinstance(c, Cosignature)), default=0)


def record_cosignature(app: LedgerApplication, home: Home, note_text: bytes, vkey: VKey,
                       by: str = "system", clock: Callable[[], datetime] = _utcnow
                       ) -> Recorded:
    """Append ``checkpoint-cosigned`` for the witness's cosignature on ``note_text``,
    once it is shown to be of a checkpoint this ledger signed and to verify."""
    try:
        note = parse_note(note_text)
        body = parse_checkpoint(note.text)
    except NoteError:
        raise InvalidFieldError("note", "a C2SP checkpoint note cosigned by the witness",
                                "invalid")
    if body.origin != app.origin():
        raise NotThisLedgersCheckpointError("wrong origin")
    if body.extensions or (body.size, body.root.hex()) not in signed_checkpoints(app):
        raise NotThisLedgersCheckpointError("no checkpoint-signed of its size and root")
    timestamp = verify_cosignature(note, vkey)
    if timestamp is None:
        raise CosignatureInvalidError()
    line = next(s for s in note.signatures
                if s.name == vkey.name and s.key_hash == vkey.key_hash
                and int.from_bytes(s.signature[:8], "big") == timestamp)
    value = encode_base64(line.key_hash + line.signature)
    for c in cosignatures(app):
        if isinstance(c, Cosignature) and c.is_by(vkey) and c.value == value:
            return Recorded(c.position, c.size, new=False)
    signer = load_actor_signer(home, by)
    intent = make_intent("checkpoint-cosigned", None, {
        "size": body.size, "root_hash": body.root.hex(), "witness": vkey.name,
        "witness_key_hash": vkey.key_hash.hex(), "cosignature": value,
        "timestamp": timestamp,
    }, None, by, clock())
    receipt: Receipt = Writer(app, clock).append([intent], {by: signer})[0]
    return Recorded(receipt.position, body.size, new=True)


def system_vkeys(app: LedgerApplication) -> list[dict[str, Any]]:
    """Every key that ever held the system role, named by the ledger's origin, with the
    position that registered it and the one that rotated or revoked it (None: in force)."""
    origin = app.origin()
    registry = KeyRegistry()
    since: dict[str, int] = {}
    t = app.events_table
    with app.engine.connect() as conn:
        rows = conn.execute(select(t.c.position, t.c.state)
                            .where(t.c.event_type.in_(_ACTOR_EVENTS))
                            .order_by(t.c.position)).all()
    for position, state in rows:
        try:
            registry.authority(position, json.loads(blob(state)))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # verify reports it
        for kid in registry.keys:
            since.setdefault(kid, position)
    return [{"actor": e.actor, "key_id": kid, "vkey": system_vkey(origin, e.public_key),
             "from_position": since[kid], "until_position": e.until}
            for kid, e in registry.keys.items() if "system" in e.roles]
