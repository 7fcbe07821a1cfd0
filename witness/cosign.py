"""The witness's one decision: cosign an offered checkpoint, or refuse it and keep evidence.

``cosign_checkpoint`` follows c2sp.org/tlog-witness's add-checkpoint: the note must carry a
valid signature by a key pinned for its origin; then, against the last checkpoint cosigned
for that origin, the offered one must not be smaller (rollback), must not give another root
for the same size (split view), must come with a proof from exactly the stored size, and
that RFC 9162 consistency proof must verify (else the history was rewritten). Only then is
it cosigned (tlog-cosignature/v1, timestamped ``now``) and recorded as the new latest, under
the state's lock so that two requests cannot roll each other back.

The clock is a parameter: the caller reads it once.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.merkle import EMPTY_ROOT, verify_consistency
from ledger.note import (
    Note,
    NoteError,
    NoteSignature,
    VKey,
    cosign,
    decode_vkey,
    format_note,
    format_signature,
    parse_note,
    verify_note,
)
from ledger.tlog import AddCheckpoint, Checkpoint, parse_add_checkpoint, parse_checkpoint
from witness.errors import (
    BadEmptyTreeError,
    CheckpointRefusedError,
    MalformedRequestError,
    OldSizeMismatchError,
    RewrittenHistoryError,
    RollbackError,
    SplitViewError,
    UnknownOriginError,
    UntrustedCheckpointError,
)
from witness.state import Latest, WitnessState


@dataclass(frozen=True)
class Cosigned:
    origin: str
    size: int
    root: bytes
    timestamp: int
    note: str  # the offered note's signatures plus this witness's cosignature
    cosignature: str  # the witness's signature line alone (add-checkpoint's response)


def cosign_checkpoint(state: WitnessState, key: Ed25519PrivateKey,
                      request: str | bytes, now: int) -> Cosigned:
    """Check an add-checkpoint request body and cosign its checkpoint at time ``now``
    (POSIX seconds). Raises MalformedRequestError (nothing written) or a
    CheckpointRefusedError (evidence kept once the signature is valid)."""
    try:
        req = parse_add_checkpoint(request)
        note = parse_note(req.note)
        cp = parse_checkpoint(note.text)
    except NoteError as e:
        raise MalformedRequestError(str(e)) from None
    check_signed(note, state.trusted(cp.origin))
    with state.lock():
        last = state.latest(cp.origin)
        try:
            check_consistent(req, cp, last)
        except CheckpointRefusedError as e:
            offered = {"offered.note": req.note, "request": _text(request)}
            previous = {"previous.note": last.note} if last else {}
            state.keep_evidence(e.kind, now, {**previous, **offered})
            raise
        own = decode_vkey(state.vkey)
        line = cosign(note.text, state.name, key, now)
        # A cosignature of ours from an earlier request is stale: replaced, not repeated.
        others = [s for s in note.signatures if not _is_from(s, own)]
        cosigned = format_note(Note(note.text, [*others, line]))
        state.record(cp.origin, Latest(cp.size, cp.root, cosigned, now))
    return Cosigned(cp.origin, cp.size, cp.root, now, cosigned, format_signature(line))


def _is_from(sig: NoteSignature, vkey: VKey) -> bool:
    return sig.name == vkey.name and sig.key_hash == vkey.key_hash


def _text(request: str | bytes) -> str:
    return request if isinstance(request, str) else request.decode("utf-8")


def check_signed(note: Note, trusted: list[VKey]) -> None:
    """At least one pinned key's signature verifies, and none of theirs fails: a note
    whose known key's signature fails is malformed (signed-note), whatever else it has."""
    if not trusted:
        raise UnknownOriginError()
    present = [k for k in trusted if any(_is_from(s, k) for s in note.signatures)]
    if not present:
        raise UntrustedCheckpointError("no signature line from a key pinned for its origin")
    if not all(verify_note(note, k) for k in present):
        raise UntrustedCheckpointError("a signature by a pinned key does not verify")


def check_consistent(req: AddCheckpoint, cp: Checkpoint, last: Latest | None) -> None:
    """The offered checkpoint extends the last one cosigned (or is the first)."""
    if cp.size == 0 and cp.root != EMPTY_ROOT:
        raise BadEmptyTreeError()
    last_size = last.size if last else 0
    if cp.size < last_size:
        raise RollbackError(cp.size, last_size)
    if last and cp.size == last.size and cp.root != last.root:
        raise SplitViewError(cp.size)
    if req.old_size != last_size:
        raise OldSizeMismatchError(req.old_size, last_size)
    if last_size == 0:
        return  # the empty tree is consistent with every tree: no proof (parser checked)
    assert last is not None
    if not verify_consistency(last.size, cp.size, last.root, cp.root, req.proof):
        raise RewrittenHistoryError(last.size, cp.size)

