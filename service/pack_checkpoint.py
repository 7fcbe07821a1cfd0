"""Which checkpoint an evidence pack goes out under, and its note as the ledger signed it.

A pack reuses a checkpoint the ledger already signed when one covers it, rather than
appending a new one: the newest a witness cosigned (with every cosignature recorded for
it), else the newest. Only when none covers the pack does the export sign a new one.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from ledger.app import LedgerApplication
from ledger.tlog import Checkpoint, checkpoint_text
from ledger.witnessing import cosignatures


def reusable_checkpoint(app: LedgerApplication, last: int, since: int) -> dict | None:
    """A checkpoint the ledger signed that covers the pack and can be rebuilt as a note
    (it kept its signature): the newest one a witness cosigned, so that the recipient's
    ``--witness`` check has its cosignature even when a nightly has signed a newer one
    since; else the newest one."""
    need = max(last, since)
    cosigned = {(c.size, c.root.hex()) for c in cosignatures(app) if not isinstance(c, int)}
    t = app.events_table
    newest = None
    with app.engine.connect() as conn:
        states = conn.execute(select(t.c.state).where(t.c.event_type == "checkpoint-signed")
                              .order_by(t.c.id.desc()))
        for (state,) in states:
            cp = _covering(state, need)
            if cp is None:
                break  # older checkpoints are smaller still
            if (cp["size"], cp["root_hash"]) in cosigned:
                return cp
            newest = newest or cp
            if not cosigned:
                break
    return newest


def _covering(state: Any, need: int) -> dict | None:
    try:
        data = json.loads(bytes(state))["data"]
        ok = int(data["size"]) >= need and isinstance(data["note_signature"], str)
        return {"size": int(data["size"]), "root_hash": str(data["root_hash"]),
                "note_signature": data["note_signature"]} if ok else None
    except (TypeError, ValueError, KeyError, RecursionError):
        return None


def rebuilt_note(app: LedgerApplication, origin: str, cp: dict[str, Any]) -> str:
    """The note the ledger signed (§12.3), with every witness cosignature recorded for it."""
    text = checkpoint_text(Checkpoint(origin, cp["size"], bytes.fromhex(cp["root_hash"])))
    lines = [f"\u2014 {origin} {cp['note_signature']}\n"]
    for c in cosignatures(app):
        if not isinstance(c, int) and (c.size, c.root.hex()) == (cp["size"], cp["root_hash"]):
            line = f"\u2014 {c.witness} {c.value}\n"
            if line not in lines:
                lines.append(line)
    return text + "\n" + "".join(lines)
