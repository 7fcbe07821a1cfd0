"""Turns domain events into signed stored events and back.

This is where an event is split into its public fields and its sealed personal fields,
encoded canonically, and signed by the actor who recorded it. The signer comes from the
``signing_as`` context the service opens around a save, keyed by the event's ``actor``,
so one transaction (an import) can carry events signed by several actors.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any, Iterator
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from domain.catalogue import personal_field_names
from ledger.canonical import canonical_json, loads
from ledger.chain import SignedStoredEvent, leaf_hash_of, signed_bytes
from ledger.envelope import Sealer
from ledger.signing import Signer

_signers: ContextVar[dict[str, Signer]] = ContextVar("cspr_signers")

# Aggregate-level fields the ledger sets; everything else on an event is its content.
_ENVELOPE = ("originator_id", "originator_version", "timestamp")


@contextmanager
def signing_as(*signers: Signer) -> Iterator[None]:
    token = _signers.set({s.actor: s for s in signers})
    try:
        yield
    finally:
        _signers.reset(token)


def format_instant(instant: datetime) -> str:
    # Fixed width, UTC, microseconds: sorts as text in SQL, and is what gets signed.
    # (isoformat, not strftime: this runs for every event appended.)
    return instant.astimezone(timezone.utc).replace(tzinfo=None).isoformat(
        timespec="microseconds") + "Z"


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text)  # 3.11 reads the trailing Z as UTC


class SigningMapper(Mapper):
    sealer: Sealer  # set by the application once its datastore exists

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        topic = get_topic(type(domain_event))
        content = {k: v for k, v in vars(domain_event).items() if k not in _ENVELOPE}
        actor = content["actor"]
        try:
            signer = _signers.get()[actor]
        except (LookupError, KeyError):
            raise RuntimeError(f"no signer for actor '{actor}' in this save") from None
        data = dict(content["data"])
        personal = {
            name: data.pop(name)
            for name in personal_field_names(content["type"])
            if name in data
        }
        recorded_at = format_instant(domain_event.timestamp)
        payload = {**content, "data": data, "recorded_at": recorded_at}
        payload["key_id"] = signer.key_id
        sealed = new_key = None
        if personal:
            sealed, new_key = self.sealer.seal(content["case"], personal)
            payload["personal"] = {
                "fields": sorted(personal),
                "sha256": hashlib.sha256(sealed).hexdigest(),
            }
        state = canonical_json(payload, checked=False)  # the catalogue validated it
        oid, version = domain_event.originator_id, domain_event.originator_version
        signed = signed_bytes(oid, version, topic, state)
        signature = signer.sign(signed)
        return SignedStoredEvent(
            originator_id=oid,
            originator_version=version,
            topic=topic,
            state=state,
            signature=signature,
            sealed=sealed,
            recorded_at=recorded_at,
            case_ref=content.get("case"),
            actor=actor,
            key_id=signer.key_id,
            event_type=content["type"],
            leaf=leaf_hash_of(signed, signature),
            new_data_key=new_key,
            data_key_master=self.sealer.master_id if new_key is not None else None,
            signer=signer,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        cls = resolve_topic(stored_event.topic)
        state = loads(stored_event.state)  # a new dict, ours to change
        state.pop("key_id", None)
        # Personal data is opened only on explicit, authorised request (see Ledger), never
        # to rebuild an aggregate: the procedure's rules do not depend on it.
        state.pop("personal", None)
        state["timestamp"] = parse_instant(state.pop("recorded_at"))
        oid = stored_event.originator_id
        state["originator_id"] = oid if isinstance(oid, UUID) else UUID(str(oid))
        state["originator_version"] = stored_event.originator_version
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event
