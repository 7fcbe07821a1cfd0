"""Checkpoints and verification, as the CLI and the nightly job ask for them.

A checkpoint is signed twice by the system key: as the JSON file of
``ledger.checkpoint`` and as a C2SP signed note (``ledger.checkpoint_note``), the form a
witness cosigns and any transparency-log tool reads. ``verify`` takes either form, and
the witnesses' keys whose cosignatures it must find (``ledger.witnessing``).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from sqlalchemy import select

from ledger import merkle_cache
from ledger.app import LedgerApplication
from ledger.chain import GENESIS
from ledger.checkpoint import extend_tree, sign_checkpoint
from ledger.checkpoint_note import (note_view, sign_checkpoint_note,
                                    signature_value)
from ledger.merkle import CompactRange
from ledger.note import NoteError, VKey
from ledger.report import Report
from ledger.verify import verify_ledger
from ledger.witnessing import witness_problems
from domain.errors import InvalidFieldError
from service.actors import load_actor_signer
from service.home import Home
from service.writer import Writer, make_intent


def create_checkpoint(app: LedgerApplication, home: Home,
                      clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                      upto: int | None = None, by: str = "system",
                      before_append: Callable[[dict[str, Any]], None] | None = None,
                      tree: CompactRange | None = None) -> dict[str, Any]:
    """Sign a checkpoint of the ledger as it is, or of its first ``upto`` events (the
    nightly job signs only what it has verified). A checkpoint already in the ledger
    beyond ``upto`` (another run's) is not undone: this one then repeats its size.
    ``by`` signs it; the writer refuses anyone without the system role.
    ``before_append`` sees the signed checkpoint before its ``checkpoint-signed`` is
    appended: whatever it raises appends nothing. ``tree``: the Merkle tree to sign,
    already built from the events (ledger.proofs), instead of extending the last one."""
    system = load_actor_signer(home, by)
    head = None
    if tree is None:
        tree = _last_tree(app)
        head = extend_tree(app, tree, upto)
    if head is None:
        head = _head_hash(app, tree.size)
    now = clock()
    note, line = sign_checkpoint_note(app.origin(), tree.size, tree.root(), system)
    cp = sign_checkpoint(tree.size, head, tree.root(), system, now,
                         app.partnership(), note)
    intent = make_intent("checkpoint-signed", None, {
        "size": cp["size"], "root_hash": cp["root_hash"], "head_hash": cp["head_hash"],
        "frontier": [h.hex() for h in tree.hashes], "note_signature": signature_value(line),
    }, None, by, now)
    if before_append is not None:
        before_append(cp)
    Writer(app, clock).append([intent], {by: system})
    # Keeps an evidence export's proofs from rehashing the ledger; derived, so after
    # the checkpoint and outside its transaction.
    merkle_cache.refresh(app, cp["size"])
    return cp


def _last_tree(app: LedgerApplication) -> CompactRange:
    """The Merkle tree as the last checkpoint left it, so only newer events are read."""
    t = app.events_table
    with app.engine.connect() as conn:
        state = conn.execute(select(t.c.state).where(t.c.event_type == "checkpoint-signed")
                             .order_by(t.c.id.desc()).limit(1)).scalar()
    if state is not None:
        data = json.loads(bytes(state))["data"]
        if "frontier" in data:
            tree = CompactRange(data["size"], [bytes.fromhex(h) for h in data["frontier"]])
            if tree.root().hex() == data["root_hash"]:
                return tree
    return CompactRange()


def _head_hash(app: LedgerApplication, position: int) -> bytes:
    t = app.events_table
    with app.engine.connect() as conn:
        value = conn.execute(select(t.c.chain_hash).where(t.c.position == position)).scalar()
    return bytes(value) if value is not None else GENESIS


_CHECKPOINT_FILE = "a checkpoint JSON file or a C2SP signed checkpoint note"


def load_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint file in either form: the JSON object, or a signed note (with or
    without cosignatures) as ``ledger.checkpoint_note.note_view`` reads it."""
    try:
        raw = Path(path).read_bytes()
    except OSError:
        raise InvalidFieldError("checkpoint", _CHECKPOINT_FILE, "unreadable")
    if raw.lstrip()[:1] == b"{":
        try:
            data = json.loads(raw)
        except ValueError:
            raise InvalidFieldError("checkpoint", _CHECKPOINT_FILE, "unreadable")
        if not isinstance(data, dict):
            raise InvalidFieldError("checkpoint", "a checkpoint JSON object", "invalid")
        return data
    try:
        return note_view(raw)
    except NoteError:
        raise InvalidFieldError("checkpoint", _CHECKPOINT_FILE, "invalid")


def verify(app: LedgerApplication, checkpoint: dict[str, Any] | None = None,
           progress: Callable[[int], None] | None = None,
           receipts: Sequence[Mapping[str, Any]] = (),
           witnesses: Sequence[VKey] = ()) -> Report:
    """Verify the ledger (and the checkpoint file and receipts, if given); with
    ``witnesses``, also that each has cosigned the ledger's checkpoints (and the
    checkpoint, if a note)."""
    report = verify_ledger(app, checkpoint, progress=progress, receipts=receipts)
    if witnesses:
        report.problems.extend(witness_problems(app, report.origin, witnesses, checkpoint))
        report.apply_acknowledgements()
    return report
