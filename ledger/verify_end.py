"""What verify judges once every row is read: the head row against the last row, the
ledger's own checkpoints against the history before them, and the outside evidence
(a checkpoint, receipts) against the chain hashes and roots kept at their sizes."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ledger.checkpoint import checkpoint_problems
from ledger.receipts import receipt_problems


def checkpoint_size(checkpoint: dict[str, Any] | None) -> int | None:
    try:
        return int(checkpoint["size"]) if checkpoint else None
    except (KeyError, TypeError, ValueError):
        return None


def head_problems(v: Any, head: Any) -> None:
    """``head``: the head row (position, chain hash) as read in the same snapshot."""
    n = v.n
    if n > 0 and not v.last_signed:
        v.problem(n, "head_signature", "the last event carries no signed head: the end of "
                                       "its write transaction was removed")
    if head is not None and (type(head[0]) is not int or type(head[1]) is not bytes):
        v.problem(n, "column", "the head row holds another type than it stores")
    elif head is None or head[0] != n or head[1] != v.stored_previous:
        v.problem(n + 1 if head is None or head[0] > n else n, "head",
                  f"the ledger's head says {head[0] if head else 'nothing'} events, "
                  f"{n} found: events were removed or added outside the ledger")


def evidence_problems(v: Any, since: int, checkpoint: dict[str, Any] | None,
                      receipts: Sequence[Mapping[str, Any]]) -> None:
    report = v.report
    for position, size, head_hash, root_hash in v.claimed:
        if size < since:
            continue  # verified when it was new
        if v.hashes.get(size, b"").hex() != head_hash or (
                not since and v.roots.get(size, b"").hex() != root_hash):
            v.problem(position, "checkpoint", "a signed checkpoint in the ledger no longer "
                                              "matches the history before it")
    if checkpoint is not None:
        report.problems.extend(checkpoint_problems(checkpoint, v.hashes, v.roots, v.keys,
                                                   v.n, v.partnership, origin=report.origin))
    for receipt in receipts:
        report.problems.extend(receipt_problems(receipt, v.hashes, v.keys, v.n, v.ledger_id))
