"""What exactly is signed, and how each event is linked to the one before it.

The actor signs ``signed_bytes``: a domain-separated canonical header binding the aggregate
id and version, the event's topic, and the SHA-256 of its payload (which itself carries the
type, case, occurred and recorded times, actor and key id, the public fields, and only a
*hash* of the sealed personal data). Signing happens before the write lock is taken, so a
slow signature never holds up other writers.

Under the lock, the ledger links each event to the previous row in commit order:
``chain_n = SHA-256(chain_{n-1} || leaf_n)`` with ``leaf_n`` the RFC 9162 leaf hash of
``signed_bytes || signature``, and ``chain_0`` 32 zero bytes. The same leaf hashes feed
the Merkle tree of signed checkpoints, so one hash per event serves both proofs.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

EVENT_DOMAIN = b"cspr-ledger/event/v1\n"
_PLAIN = re.compile(r"[A-Za-z0-9_.:-]*")  # characters JSON writes as they are
GENESIS = bytes(32)


def signed_bytes(originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    oid = str(originator_id)
    if type(version) is int and _PLAIN.fullmatch(topic) and _PLAIN.fullmatch(oid):
        # The same bytes as below, formatted directly (as head_message does): a uuid and
        # a class path need no escaping, and this runs for every event appended/verified.
        return b'%s{"originator_id":"%s","originator_version":%d,"state_sha256":"%s",' \
               b'"topic":"%s"}' % (EVENT_DOMAIN, oid.encode(), version,
                                   hashlib.sha256(state).hexdigest().encode(), topic.encode())
    header = {
        "originator_id": oid,
        "originator_version": version,
        "topic": topic,
        "state_sha256": hashlib.sha256(state).hexdigest(),
    }
    # Strings and ints only, so plain sorted compact JSON *is* canonical_json's output;
    # skipping its float check matters on the hot path of every append and verify.
    return EVENT_DOMAIN + json.dumps(header, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode()


def leaf_hash_of(signed: bytes, signature: bytes) -> bytes:
    # RFC 9162 §2.1.1 leaf: SHA-256(0x00 || entry); computed inline because it is on the
    # hot path of every append and every verify.
    return hashlib.sha256(b"\x00" + signed + signature).digest()


def link(previous: bytes, leaf: bytes) -> bytes:
    return hashlib.sha256(previous + leaf).digest()


@dataclass(frozen=True)
class SignedStoredEvent(StoredEvent):
    """A stored event with the evidence the recorder writes beside it."""

    signature: bytes
    sealed: bytes | None
    recorded_at: str
    case_ref: str | None
    actor: str
    key_id: str
    event_type: str
    leaf: bytes  # computed where it is signed, so nothing is hashed under the lock
    # A new case's wrapped data key, stored in the same transaction as this event.
    new_data_key: bytes | None = None
    # The id of the master key that wrapped it (ledger.envelope.master_id).
    data_key_master: str | None = None
    # Who signed it: the last event of a transaction signs the transaction's head with it.
    signer: Any = field(default=None, compare=False, repr=False)
