"""Signed heads: each write transaction ends with its writer's signature over the chain.

Event signatures bind what an event says, and the chain binds the order, but anyone who can
write the database can delete or reorder events and recompute every (unkeyed) link. So,
inside the write transaction and after linking, the writer signs ``(ledger id, position,
chain hash)`` of the transaction's last event, with the key that signed that event, and the
signature is stored on that row, with the position the previous transaction ended at. Removing, reordering, duplicating or changing any event
then breaks every later head signature, which only the writers' keys could remake; only
whole final transactions can vanish unseen by the ledger alone, and receipts and witnessed
checkpoints (held elsewhere) catch those (docs/threat-model.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ledger.canonical import canonical_json

_HEX = re.compile(r"[0-9a-f]*")

HEAD_DOMAIN = b"cspr-ledger/head/v1\n"
RECEIPT_FORMAT = "cspr-receipt/v1"


def head_message(ledger_id: str, position: int, chain_hash: bytes, previous: int) -> bytes:
    """``previous``: the position the transaction before ended at (0 for the first), as
    the writer found it. Signed, so clearing the head of an earlier transaction's end
    (to hide a change behind the next write's head) leaves a head naming an end that
    carries none."""
    if _HEX.fullmatch(ledger_id) is None or type(position) is not int \
            or type(previous) is not int:
        return HEAD_DOMAIN + canonical_json(  # whatever a tampered row holds
            {"chain_hash": chain_hash.hex(), "ledger": ledger_id, "position": position,
             "previous": previous})
    # The same bytes, built directly: hex text and integers need no escaping, and this
    # runs under the write lock of every append (tests/ledger/test_signed_heads.py).
    return b'%s{"chain_hash":"%s","ledger":"%s","position":%d,"previous":%d}' % (
        HEAD_DOMAIN, chain_hash.hex().encode(), ledger_id.encode(), position, previous)


@dataclass(frozen=True)
class Head:
    """A transaction's signed head, as handed to whoever recorded it: their receipt."""

    ledger: str
    position: int
    chain_hash: str
    previous: int
    actor: str
    key_id: str
    head_signature: str

    def as_json(self) -> dict[str, Any]:
        return {"format": RECEIPT_FORMAT, "ledger": self.ledger, "position": self.position,
                "chain_hash": self.chain_hash, "previous": self.previous,
                "actor": self.actor, "key_id": self.key_id,
                "head_signature": self.head_signature}
