"""Signed checkpoints: "the ledger had N events, ending in this hash, with this Merkle root".

A checkpoint is signed by the ledger's ``system`` key and kept outside the database (a file
handed to the scrutineer, a board pack, an email). Later, ``verify --checkpoint`` proves
the ledger has only grown since: the first N events must still hash to the same head and
the same RFC 9162 Merkle root. The root also lets a third party check one event's
inclusion, or two checkpoints' consistency, without the whole ledger.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from sqlalchemy import select

from ledger.canonical import canonical_json
from ledger.chain import GENESIS, leaf_hash_of, signed_bytes
from ledger.mapper import format_instant
from ledger.merkle import CompactRange
from ledger.report import Problem
from ledger.signing import Signer, verify_signature

if TYPE_CHECKING:
    from ledger.app import LedgerApplication

CHECKPOINT_DOMAIN = b"cspr-ledger/checkpoint/v1\n"
FORMAT = "cspr-checkpoint/v1"


def _body(cp: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in cp.items() if k != "signature"}
    return CHECKPOINT_DOMAIN + canonical_json(unsigned)


def sign_checkpoint(size: int, head_hash: bytes, root_hash: bytes, signer: Signer,
                    issued_at: datetime, partnership: str) -> dict[str, Any]:
    cp = {"format": FORMAT, "partnership": partnership, "size": size,
          "head_hash": head_hash.hex(), "root_hash": root_hash.hex(),
          "issued_at": format_instant(issued_at), "actor": signer.actor,
          "key_id": signer.key_id}
    cp["signature"] = signer.sign(_body(cp)).hex()
    return cp


def checkpoint_problems(cp: dict[str, Any], chain: Mapping[int, bytes],
                        roots: Mapping[int, bytes], keys: dict[str, Any],
                        size_now: int, partnership: str | None = None) -> list[Problem]:
    """``chain`` and ``roots``: the recomputed chain hash and Merkle root after each
    position the verifier kept (the checkpoint's size among them); ``partnership``: the
    one the ledger was initialised for."""
    problems: list[Problem] = []
    try:
        size, head, root, kid = (int(cp["size"]), cp["head_hash"], cp["root_hash"],
                                 cp["key_id"])
        signature = bytes.fromhex(cp["signature"])
    except (KeyError, ValueError, TypeError):
        return [Problem(0, "checkpoint", "the checkpoint file is malformed")]
    entry = keys.get(kid)
    if entry is None or "system" not in entry.roles \
            or not verify_signature(entry.public_key, signature, _body(cp)):
        problems.append(Problem(0, "checkpoint", "the checkpoint's signature does not verify "
                                                 "with a registered system key"))
    elif entry.until is not None and entry.until <= size:
        # A retired key's holder could otherwise vouch for history written after it.
        problems.append(Problem(entry.until, "checkpoint", "the checkpoint is signed by a "
                                "system key rotated or revoked before its size"))
    if entry is not None and cp.get("actor") != entry.actor:
        problems.append(Problem(0, "checkpoint", "the checkpoint's actor is not the "
                                                 "holder of its key"))
    if cp.get("format") != FORMAT:
        problems.append(Problem(0, "checkpoint", "the checkpoint file's format is not "
                                                 + FORMAT))
    if partnership is not None and cp.get("partnership") != partnership:
        problems.append(Problem(0, "checkpoint", "the checkpoint is of another "
                                                 "partnership's ledger"))
    if size > size_now:
        problems.append(Problem(size_now + 1, "truncated",
                                f"the checkpoint covers {size} events, the ledger has only "
                                f"{size_now}: events after position {size_now} were removed"))
        return problems
    if chain.get(size, b"").hex() != head:
        problems.append(Problem(size, "checkpoint", "the first events no longer hash to the "
                                                    "checkpoint's head: history was rewritten"))
    if roots.get(size, b"").hex() != root:
        problems.append(Problem(size, "checkpoint", "the Merkle root of the first events "
                                                    "differs from the checkpoint's"))
    return problems


def _leaf_rows(app: "LedgerApplication", after: int,
               upto: int | None) -> Iterator[tuple[bytes, bytes]]:
    """(leaf hash, stored chain hash) of each event after position ``after`` (up to
    ``upto``), in order, a page at a time."""
    t = app.events_table
    last = after
    with app.engine.connect() as conn:
        while True:
            q = (select(t.c.position, t.c.originator_id, t.c.originator_version, t.c.topic,
                        t.c.state, t.c.signature, t.c.chain_hash)
                 .where(t.c.position > last).order_by(t.c.position).limit(5000))
            if upto is not None:
                q = q.where(t.c.position <= upto)
            batch = conn.execute(q).all()
            if not batch:
                return
            for position, oid, version, topic, state, signature, chain in batch:
                yield (leaf_hash_of(signed_bytes(oid, version, topic, bytes(state)),
                                    bytes(signature)), bytes(chain))
            last = batch[-1][0]


def read_leaves(app: "LedgerApplication", after: int = 0) -> tuple[list[bytes], bytes]:
    """The leaf hashes of the events after position ``after``, in order, and the stored
    chain hash of the last one read (GENESIS when there is none)."""
    leaves: list[bytes] = []
    head = GENESIS
    for leaf, head in _leaf_rows(app, after, None):
        leaves.append(leaf)
    return leaves, head


def extend_tree(app: "LedgerApplication", tree: CompactRange,
                upto: int | None = None) -> bytes | None:
    """Append to ``tree`` the leaves of the events after its size (up to position
    ``upto``), streaming: memory stays O(log n) however many there are. Returns the
    stored chain hash of the last event appended, or None if there was none."""
    head = None
    for leaf, head in _leaf_rows(app, tree.size, upto):
        tree.append(leaf)
    return head
