"""Receipts: what a recorder keeps of its write, and the proof the ledger still holds it.

A receipt is a transaction's signed head (ledger.heads) handed to whoever wrote it. The
ledger alone cannot show that whole final transactions were cut off (what is left still
ends in a valid signed head); a receipt kept elsewhere can: the ledger must still reach the
receipt's position, with the same chain hash there, and the receipt's head signature must
verify with the key it names, registered in this ledger (so a receipt cannot be forged by
whoever runs the database, nor borrowed from another ledger).
"""

from __future__ import annotations

from typing import Any, Mapping

from ledger.heads import RECEIPT_FORMAT, head_message
from ledger.report import Problem
from ledger.signing import verify_signature

FIELDS = ("format", "ledger", "position", "chain_hash", "previous", "actor", "key_id",
          "head_signature")


def receipt_position(receipt: Mapping[str, Any]) -> int | None:
    position = receipt.get("position")
    return position if type(position) is int else None


def receipt_problems(receipt: Mapping[str, Any], hashes: Mapping[int, bytes],
                     keys: Mapping[str, Any], size_now: int, ledger_id: str) -> list[Problem]:
    """``hashes``: the stored chain hash after each position the verifier kept (the
    receipt's among them); ``keys``: the key registry as verify replayed it."""
    position = receipt_position(receipt)
    previous = receipt.get("previous")
    try:
        chain_hash = bytes.fromhex(receipt["chain_hash"])
        signature = bytes.fromhex(receipt["head_signature"])
        entry = keys.get(receipt["key_id"])
    except (KeyError, TypeError, ValueError):
        position = None
    if position is None or receipt.get("format") != RECEIPT_FORMAT or position < 1 \
            or type(previous) is not int:
        return [Problem(0, "receipt", "the receipt is malformed")]
    if receipt.get("ledger") != ledger_id:
        return [Problem(0, "receipt", "the receipt is of another ledger")]
    if entry is None or entry.actor != receipt.get("actor") or not verify_signature(
            entry.public_key, signature,
            head_message(ledger_id, position, chain_hash, previous)):
        return [Problem(0, "receipt", "the receipt's head signature does not verify with "
                                      "the key it names: it was not issued by this ledger")]
    if position > size_now:
        return [Problem(size_now + 1, "truncated",
                        f"the receipt is for position {position}, the ledger has only "
                        f"{size_now} events: events after position {size_now} were "
                        "removed")]
    if hashes.get(position) != chain_hash:
        return [Problem(position, "receipt", "the ledger no longer holds the chain the "
                                             "receipt was given for: history was "
                                             "rewritten")]
    return []
