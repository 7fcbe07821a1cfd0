"""What one stored row proves on its own, whatever came before it.

Verify runs this in its worker processes: column types, decoding the payload, whether
the stored bytes are canonical JSON, type against topic, the indexed columns against
the payload, the sealed personal data against its commitment, and a checkpoint's own
arithmetic. What depends on the rows before (stream versions, signed-head ends, the key
registry and roles) is left to the main process, which gets from here only the few
fields it needs (``Facts``); the findings are returned in the order the single-process
verifier made them, so a report does not depend on how the work was split.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, NamedTuple

from domain.catalogue import EVENT_TYPES
from ledger.canonical_check import decode_text, is_canonical_text
from ledger.merkle import CompactRange
from ledger.rowtypes import stream_id, typed

COLUMNS = ["originator_id", "originator_version", "topic", "state", "position",
           "chain_hash", "signature", "sealed", "head_signature", "head_previous",
           "recorded_at", "case_ref", "actor", "key_id", "event_type"]
POSITION, CHAIN_HASH = 1 + COLUMNS.index("position"), 1 + COLUMNS.index("chain_hash")
STATE, EVENT_TYPE = 1 + COLUMNS.index("state"), 1 + COLUMNS.index("event_type")
REGISTERING = frozenset({"actor-registered", "actor-key-rotated"})
ACTOR_KINDS = frozenset({"actor-registered", "actor-key-rotated", "actor-revoked"})
# The payload had no "data" at all: its absence, not a value, must reach the key registry
# (which then fails as the single-process verifier did). JSON never decodes to Ellipsis.
NO_DATA = ...
DECODE_ERRORS = (ValueError, KeyError, TypeError, AttributeError, ArithmeticError,
                 RecursionError)
_TOPIC_SUFFIX = {name: ":" + et.class_name for name, et in EVENT_TYPES.items()}
AFTER_AUTHORITY = frozenset({"ledger-initialised", "checkpoint-signed"})

Finding = tuple[int, str, str]  # (position, kind, detail)


class Stored(NamedTuple):
    """A row's columns, each of its stored type or an empty value of it."""

    oid: str | None
    version: int | None
    topic: str
    state: bytes | None
    position: int | None
    chain_hash: bytes
    signature: bytes
    sealed: bytes | None
    head: bytes | None
    previous: int | None
    columns: tuple[Any, ...]  # recorded_at, case_ref, actor, key_id, event_type
    bad: tuple[str, ...]  # the columns that held another type


class Facts(NamedTuple):
    """What the main process needs of one row, in ledger order."""

    n: int  # the position it is checked as
    oid: str | None
    version: int | None
    head: bool  # it carries a signed head
    previous: int | None
    recorded_at: Any
    # (type, key_id, actor, data) for the key registry, or None if the payload did not
    # get that far; data is only kept for actor events (NO_DATA: there was none).
    auth: tuple[Any, Any, Any, Any] | None


def stored(row: Any) -> Stored:
    (oid, version, topic, state, position, chain_hash, signature, sealed, head,
     previous, *columns) = row[1:]
    if (type(state) is bytes and type(signature) is bytes and type(topic) is str
            and type(chain_hash) is bytes and type(position) is int
            and type(version) is int and (sealed is None or type(sealed) is bytes)
            and (head is None or type(head) is bytes)
            and (previous is None or type(previous) is int)
            and (oid := _stream(oid)) is not None):
        return Stored(oid, version, topic, state, position, chain_hash, signature, sealed,
                      head, previous, tuple(columns), ())
    # Rare: the slow path that names every column holding another type.
    values, bad = typed(COLUMNS, row[1:])
    (oid, version, topic, state, position, chain_hash, signature, sealed, head,
     previous, *columns) = values.values()
    return Stored(oid, version, topic, None if "state" in bad else state, position,
                  chain_hash, signature, sealed, head, previous, tuple(columns),
                  tuple(bad))


def _stream(value: Any) -> str | None:
    if type(value) is bytes and len(value) == 16:
        # str(UUID(bytes=value)), without building the UUID: every row has one.
        h = value.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return stream_id(value)


def next_position(n: int, position: Any) -> int:
    """The position a row is checked as, after one checked as ``n``: one gap is one
    finding, so a row claiming a later position moves the count on to it."""
    return position if type(position) is int and position > n + 1 else n + 1


def chain_hash_of(row: Any) -> bytes:
    """The row's chain hash as ``stored`` reads it (empty if of another type)."""
    value = row[CHAIN_HASH]
    return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else b""


def examine(row: Any, s: Stored, n: int) -> tuple[Facts, list[Finding], list[Finding],
                                                  tuple[tuple[Any, ...], ...]]:
    """The row's facts, ``n`` the position it should have; its findings before the stream and head checks (types, position),
    those after them (payload), and the steps that follow the key registry's check
    (``after_authority``)."""
    early: list[Finding] = [(n, "column", f"column {name} holds another type than it "
                                          "stores") for name in s.bad] if s.bad else []
    if s.position is not None and s.position != n:
        early.append((n, "position", f"row {row[0]} claims position {s.position}, expected "
                                  f"{n} (an event is missing, extra or moved)"))
        n = next_position(n - 1, s.position)
    late: list[Finding] = []
    recorded_at = auth = None
    tail: tuple[tuple[Any, ...], ...] = ()
    if s.state is not None:
        try:
            text = s.state.decode("utf-8")  # strictly, as canonical JSON is
            p = decode_text(text)
            recorded_at = p.get("recorded_at") if isinstance(p, dict) else None
            if not is_canonical_text(text, p):
                late.append((n, "canonical", "state is not the canonical JSON of its own "
                                          "value"))
            kind = p["type"]
            suffix = _TOPIC_SUFFIX.get(kind)
            if suffix is None or not s.topic.endswith(suffix):
                late.append((n, "type", f"stored type '{kind}' and topic '{s.topic}' "
                                     "disagree"))
            if s.columns != (p["recorded_at"], p["case"], p["actor"], p["key_id"], kind):
                late.append((n, "column", "indexed columns differ from the signed payload"))
            personal = p.get("personal")
            if personal and s.sealed is not None:
                if hashlib.sha256(s.sealed).hexdigest() != personal["sha256"]:
                    late.append((n, "personal_data", "sealed personal data does not match "
                                                  "the signed commitment"))
            data = p["data"] if kind in ACTOR_KINDS else (None if "data" in p else NO_DATA)
            auth = (kind, p["key_id"], p["actor"], data)
            if kind in AFTER_AUTHORITY:
                tail = after_authority(n, p, kind)
        except DECODE_ERRORS as e:
            late.append((n, "malformed", f"payload does not decode ({type(e).__name__})"))
            auth = None
    facts = Facts(n, s.oid, s.version, s.head is not None, s.previous, recorded_at, auth)
    return facts, early, late, tail


def registered_key(row: Any) -> dict[str, bytes]:
    """The key id and key a registering row names, if it decodes: a candidate only (the
    key registry decides whether it is anyone's key, in ledger order)."""
    try:
        data = json.loads(row[STATE])["data"]
        if type(data["key_id"]) is str:
            return {data["key_id"]: bytes.fromhex(data["public_key"])}
    except DECODE_ERRORS:
        pass  # reported at the row, in ledger order
    return {}


def after_authority(n: int, p: dict[str, Any], kind: Any) -> tuple[tuple[Any, ...], ...]:
    """What the single-process verifier did after the key registry's check, worked out
    here and replayed in order there: ("partnership", name or None, error),
    ("claim", (n, size, head, root)), ("problem", kind, detail), ("malformed", error)."""
    steps: list[tuple[Any, ...]] = []
    if kind == "ledger-initialised":
        try:
            steps.append(("partnership", str(p["data"]["partnership"]), None))
        except DECODE_ERRORS as e:  # a finding only where the name is still to be set
            steps.append(("partnership", None, type(e).__name__))
    if kind == "checkpoint-signed":
        try:
            data = p["data"]
            steps.append(("claim", (n, int(data["size"]), str(data["head_hash"]),
                                    str(data["root_hash"]))))
            frontier = data.get("frontier")
            if frontier is not None and CompactRange(
                    data["size"], [bytes.fromhex(h) for h in frontier]).root().hex() \
                    != data["root_hash"]:
                steps.append(("problem", "checkpoint", "the checkpoint's frontier does "
                                                       "not give its root"))
        except DECODE_ERRORS as e:
            steps.append(("malformed", type(e).__name__))
    return tuple(steps)
