"""Where an incremental verify starts: after the position an earlier run verified.

The nightly job verifies only what was appended since its last run, so what it reads
must not grow with the history: the key registry (actor events, found by type), the
stored link at the mark, the last signed head before it (found by the position index),
a count of the rows up to the mark, and, for each stream the new rows continue, its
version at the mark (asked when the stream is first met, by the stream's index).
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from sqlalchemy import Table, func, select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.types import NullType

from ledger.keys_registry import KeyRegistry
from ledger.rowtypes import blob, raw, stored_columns

_REGISTRY_TYPES = ["actor-registered", "actor-key-rotated", "actor-revoked",
                   "ledger-initialised"]


def seed(conn: Connection, t: Table, v: Any, since: int, since_hash: bytes | None) -> int:
    """Start the verifier ``v`` after position ``since``: trust what an earlier run
    verified up to there, replaying only the key registry and the last stored link.
    Returns the notification id to read on from."""
    quiet = KeyRegistry()
    for position, state in conn.execute(
            select(t.c.position, t.c.state)
            .where(t.c.position <= since, t.c.event_type.in_(_REGISTRY_TYPES))
            .order_by(t.c.position)):
        try:
            p = json.loads(blob(state))
            quiet.authority(position, p)
            if p["type"] == "ledger-initialised" and v.partnership is None:
                v.partnership = str(p["data"]["partnership"])
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            continue  # verified (or found malformed) when it was new
    v.keys = quiet.keys
    first = conn.execute(select(raw(t.c.chain_hash)).where(t.c.position == 1)).scalar()
    if "head_signature" in stored_columns(conn, t):
        v.last_head = int(conn.execute(select(func.max(t.c.position)).where(
            t.c.position <= since, t.c.head_signature.is_not(None))).scalar() or 0)
    v.ledger_id = first.hex() if isinstance(first, bytes) else ""
    row = conn.execute(select(t.c.id, t.c.chain_hash, t.c.recorded_at)
                       .where(t.c.position == since)).first()
    v.n = since
    if row is None:
        v.problem(since, "position", f"no event at position {since}, which an earlier run "
                                     "verified: events were removed")
        return int(conn.execute(select(func.max(t.c.id))
                                .where(t.c.position < since)).scalar() or 0)
    start_id, stored = int(row[0]), row[1] if isinstance(row[1], bytes) else b""
    # The mark may fall inside a transaction: its run of one instant goes on unjudged.
    v.run_at, v.run_start = row[2], 0
    # Each stream's version at the mark, so continuity is checked across it.
    v.version_before = lambda oid: version_at(conn, t, oid, start_id)
    v.stored_previous = v.last = v.hashes[since] = stored
    if since_hash is not None and stored != since_hash:
        v.problem(since, "chain", "the event at the last verified position was changed "
                                  "after it was verified")
    # Catches a row removed or slipped in before the mark. Counted as all rows less those
    # after the mark: SQLite counts a whole table from its smallest index without reading
    # a row, where counting a range of ids reads every row in it.
    total = conn.execute(select(func.count()).select_from(t)).scalar_one()
    after = conn.execute(select(func.count()).select_from(t)
                         .where(t.c.id > start_id)).scalar_one()
    before = total - after
    if before != since:
        v.problem(since, "position", f"{before} events at or before position {since}, "
                                     "which an earlier run verified: events were removed "
                                     "or added outside the ledger")
    return start_id


def version_at(conn: Connection, t: Table, oid: str, last_id: int) -> int:
    """The stream's last version among the rows up to ``last_id`` (0 if none, or if the
    highest stored there is not an integer: that row was reported when it was new)."""
    version = conn.execute(select(type_coerce(func.max(t.c.originator_version), NullType()))
                           .where(t.c.originator_id == UUID(oid), t.c.id <= last_id)
                           ).scalar()
    return version if isinstance(version, int) else 0
