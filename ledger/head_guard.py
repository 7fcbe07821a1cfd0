"""The writer checks the head it extends: no honest write may bless a tampered chain.

Signed heads (ledger.heads) make a deletion with the chain recomputed visible, but only
until the next write: whoever can write the database could delete an event, recompute the
links, clear the later head signatures, and wait for the next ``cspr record`` to sign a
fresh, valid head over the altered chain (docs/threat-model.md, 3.1). So, under the write
lock and before linking, the writer checks that the head it is about to extend carries a
valid signed head; if not, it appends nothing and says why.

Cost: one indexed read and one Ed25519 verification per write transaction, skipped when
the head is exactly the one this process wrote last (it signed that itself). The public
keys come from the ledger's own actor events, read once and cached.

One way out, on purpose: a batch made only of ``integrity-alarm-acknowledged`` events is
let through, because that is how an admin, having seen the finding ``verify`` reports,
takes responsibility for the ledger as it is and lets it be written again (the finding
stays reported, as acknowledged). A ledger written before signed heads existed is opened
the same way.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from ledger.by_type import ACK_TYPE
from ledger.errors import UnsignedHeadError
from ledger.heads import head_message
from ledger.signing import verify_signature

_KEY_EVENTS = ("actor-registered", "actor-key-rotated")


class HeadGuard:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.last_written: tuple[int, bytes] | None = None
        self.public_keys: dict[str, bytes] = {}
        t = table.c
        self._head_row = select(t.head_signature, t.head_previous, t.key_id)

    def check(self, session: Session, position: int, chain_hash: bytes, ledger_id: bytes,
              batch: Sequence[Any]) -> None:
        """Raise UnsignedHeadError unless the head at ``position`` is validly signed."""
        if position == 0 or (position, chain_hash) == self.last_written:
            return
        if all(e.event_type == ACK_TYPE for e in batch):
            return
        row = session.execute(self._head_row.where(
            self.table.c.position == position)).first()
        signature, previous, key = row if row is not None else (None, None, None)
        public_key = self._public_key(session, key) if isinstance(key, str) else None
        if not (isinstance(signature, bytes | memoryview) and type(previous) is int
                and public_key is not None
                and verify_signature(public_key, bytes(signature), head_message(
                    ledger_id.hex(), position, chain_hash, previous))):
            raise UnsignedHeadError(position)

    def wrote(self, position: int, chain_hash: bytes) -> None:
        self.last_written = (position, chain_hash)

    def _public_key(self, session: Session, key_id: str) -> bytes | None:
        if key_id not in self.public_keys:
            t = self.table.c
            for (state,) in session.execute(select(t.state).where(
                    t.event_type.in_(_KEY_EVENTS))):
                try:
                    data = json.loads(bytes(state))["data"]
                    self.public_keys.setdefault(str(data["key_id"]),
                                                bytes.fromhex(data["public_key"]))
                except (ValueError, KeyError, TypeError, RecursionError):
                    continue  # verify reports a payload that does not decode
        return self.public_keys.get(key_id)
