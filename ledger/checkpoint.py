"""Signed checkpoints: "the ledger had N events, ending in this hash, with this Merkle root".

A checkpoint is signed by the ledger's ``system`` key and kept outside the database (a file
handed to the scrutineer, a board pack, an email). Later, ``verify --checkpoint`` proves
the ledger has only grown since: the first N events must still hash to the same head and
the same RFC 9162 Merkle root. The root also lets a third party check one event's
inclusion, or two checkpoints' consistency, without the whole ledger.

The same checkpoint also travels as a C2SP signed note (ledger.checkpoint_note), which
``checkpoint_problems`` checks too: signed by a system key in force at its size, under
the ledger's origin, and of the history the ledger holds (a note names no chain head).
This module also streams the events' leaf hashes, for checkpoints and for proofs.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from sqlalchemy import select

from ledger.canonical import canonical_json
from ledger.chain import GENESIS, leaf_hash_of, signed_bytes
from ledger.checkpoint_note import NOTE_FORMAT, system_signatures
from ledger.mapper import format_instant
from ledger.merkle import CompactRange
from ledger.report import Problem
from ledger.rowtypes import raw, stream_id
from ledger.note import parse_note
from ledger.signing import Signer, verify_signature
from ledger.tlog import parse_checkpoint

if TYPE_CHECKING:
    from ledger.app import LedgerApplication

CHECKPOINT_DOMAIN = b"cspr-ledger/checkpoint/v1\n"
FORMAT = "cspr-checkpoint/v1"


def _body(cp: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in cp.items() if k != "signature"}
    return CHECKPOINT_DOMAIN + canonical_json(unsigned)


def sign_checkpoint(size: int, head_hash: bytes, root_hash: bytes, signer: Signer,
                    issued_at: datetime, partnership: str,
                    note: str | None = None) -> dict[str, Any]:
    """The JSON checkpoint; ``note``, the same checkpoint as a C2SP signed note, is
    carried (and so signed) too."""
    cp = {"format": FORMAT, "partnership": partnership, "size": size,
          "head_hash": head_hash.hex(), "root_hash": root_hash.hex(),
          "issued_at": format_instant(issued_at), "actor": signer.actor,
          "key_id": signer.key_id}
    if note is not None:
        cp["note"] = note
    cp["signature"] = signer.sign(_body(cp)).hex()
    return cp


def checkpoint_problems(cp: dict[str, Any], chain: Mapping[int, bytes],
                        roots: Mapping[int, bytes], keys: dict[str, Any],
                        size_now: int, partnership: str | None = None,
                        origin: str | None = None) -> list[Problem]:
    """``chain`` and ``roots``: the recomputed chain hash and Merkle root after each
    position the verifier kept (the checkpoint's size among them); ``partnership``: the
    one the ledger was initialised for; ``origin``: the ledger's C2SP origin, which a
    checkpoint given as a signed note (``checkpoint_note.note_view``) must name."""
    if cp.get("format") == NOTE_FORMAT:
        return note_problems(cp, roots, keys, size_now, origin)
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
        problems.append(retired_key_problem(entry.until))
    if entry is not None and cp.get("actor") != entry.actor:
        problems.append(Problem(0, "checkpoint", "the checkpoint's actor is not the "
                                                 "holder of its key"))
    if cp.get("format") != FORMAT:
        problems.append(Problem(0, "checkpoint", "the checkpoint file's format is not "
                                                 + FORMAT))
    if partnership is not None and cp.get("partnership") != partnership:
        problems.append(Problem(0, "checkpoint", "the checkpoint is of another "
                                                 "partnership's ledger"))
    return problems + history_problems(size, head, root, chain, roots, size_now)


def note_problems(cp: dict[str, Any], roots: Mapping[int, bytes], keys: dict[str, Any],
                  size_now: int, origin: str | None = None) -> list[Problem]:
    """A checkpoint given as a signed note (ledger.checkpoint_note.note_view): signed
    by a system key of the ledger in force at its size, under the ledger's origin, and
    of the history the ledger holds (a note names no head: its root is what is checked)."""
    try:
        note = parse_note(cp["note"])
        body = parse_checkpoint(note.text)
    except (KeyError, ValueError, TypeError):
        return [Problem(0, "checkpoint", "the checkpoint note is malformed")]
    problems: list[Problem] = []
    system = [e for e in keys.values() if "system" in e.roles]
    lines = system_signatures(note, system)
    valid = [(entry, name) for entry, name, ok in lines if ok]
    if any(not ok for _, _, ok in lines):
        problems.append(Problem(0, "checkpoint", "a signature line of a system key does "
                                                 "not verify: the note was altered"))
    if not valid:
        problems.append(Problem(0, "checkpoint", "the checkpoint note is not signed by a "
                                                 "registered system key"))
    elif all(e.until is not None and e.until <= body.size for e, _ in valid):
        problems.append(retired_key_problem(min(e.until for e, _ in valid)))
    if origin is not None and (body.origin != origin
                               or any(name != origin for _, name in valid)):
        problems.append(wrong_origin())
    return problems + history_problems(body.size, None, body.root.hex(), {}, roots,
                                       size_now)


def wrong_origin() -> Problem:
    return Problem(0, "checkpoint", "wrong origin: the checkpoint note names another "
                                    "ledger than this one")


def retired_key_problem(until: int) -> Problem:
    # A retired key's holder could otherwise vouch for history written after it.
    return Problem(until, "checkpoint", "the checkpoint is signed by a system key rotated "
                                        "or revoked before its size")


def history_problems(size: int, head: str | None, root: str, chain: Mapping[int, bytes],
                     roots: Mapping[int, bytes], size_now: int) -> list[Problem]:
    """Whether the ledger still holds the history a checkpoint of ``size`` events signed:
    its root (hex) and, when the checkpoint names one, its head (hex)."""
    if size > size_now:
        return [Problem(size_now + 1, "truncated",
                        f"the checkpoint covers {size} events, the ledger has only "
                        f"{size_now}: events after position {size_now} were removed")]
    problems = []
    if head is not None and chain.get(size, b"").hex() != head:
        problems.append(Problem(size, "checkpoint", "the first events no longer hash to the "
                                                    "checkpoint's head: history was rewritten"))
    if roots.get(size, b"").hex() != root:
        problems.append(Problem(size, "checkpoint", "the Merkle root of the first events "
                                                    "differs from the checkpoint's"))
    return problems


def leaf_rows(app: "LedgerApplication", after: int,
               upto: int | None) -> Iterator[tuple[bytes, bytes]]:
    """(leaf hash, stored chain hash) of each event after position ``after`` (up to
    ``upto``), in order, a page at a time."""
    t = app.events_table
    last = after
    # Unconverted columns: the type layer's UUID and blob conversions cost more than the
    # hashing, over a million events.
    columns = [raw(t.c[name]) for name in ("originator_id", "originator_version", "topic",
                                           "state", "signature", "chain_hash")]
    with app.engine.connect() as conn:
        while True:
            q = (select(t.c.position, *columns)
                 .where(t.c.position > last).order_by(t.c.position).limit(5000))
            if upto is not None:
                q = q.where(t.c.position <= upto)
            batch = conn.execute(q).all()
            if not batch:
                return
            for position, oid, version, topic, state, signature, chain in batch:
                yield (leaf_hash_of(signed_bytes(stream_id(oid) or "", version, topic,
                                                 bytes(state)), bytes(signature)),
                       bytes(chain))
            last = batch[-1][0]


def leaves_at(app: "LedgerApplication", indexes: list[int]) -> dict[int, bytes]:
    """The leaf hash of each leaf index given (0-based: index i is position i + 1)."""
    t = app.events_table
    columns = [raw(t.c[name]) for name in ("originator_id", "originator_version", "topic",
                                           "state", "signature")]
    out: dict[int, bytes] = {}
    with app.engine.connect() as conn:
        for i in range(0, len(indexes), 900):
            chunk = [index + 1 for index in indexes[i:i + 900]]
            for position, oid, version, topic, state, signature in conn.execute(
                    select(t.c.position, *columns).where(t.c.position.in_(chunk))):
                out[position - 1] = leaf_hash_of(
                    signed_bytes(stream_id(oid) or "", version, topic, bytes(state)),
                    bytes(signature))
    return out


def read_leaves(app: "LedgerApplication", after: int = 0) -> tuple[list[bytes], bytes]:
    """The leaf hashes of the events after position ``after``, in order, and the stored
    chain hash of the last one read (GENESIS when there is none)."""
    leaves: list[bytes] = []
    head = GENESIS
    for leaf, head in leaf_rows(app, after, None):
        leaves.append(leaf)
    return leaves, head


def extend_tree(app: "LedgerApplication", tree: CompactRange,
                upto: int | None = None) -> bytes | None:
    """Append to ``tree`` the leaves of the events after its size (up to position
    ``upto``), streaming: memory stays O(log n) however many there are. Returns the
    stored chain hash of the last event appended, or None if there was none."""
    head = None
    for leaf, head in leaf_rows(app, tree.size, upto):
        tree.append(leaf)
    return head
