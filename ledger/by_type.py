"""The ledger's own events that verify reads by type (an indexed read, not a scan):
the findings admins acknowledged, and the sizes the in-ledger checkpoints claim."""

from __future__ import annotations

import json

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from ledger.rowtypes import blob

ACK_TYPE = "integrity-alarm-acknowledged"


def acknowledgements(conn: Connection, t: Table) -> dict[tuple[int, str], list[int]]:
    """(position, kind) of each finding an admin acknowledged -> every such ack's
    position, in ledger order (the nightly counts only one recorded after it raised the
    finding: jobs.alarms)."""
    out: dict[tuple[int, str], list[int]] = {}
    for position, state in conn.execute(select(t.c.position, t.c.state)
                                        .where(t.c.event_type == ACK_TYPE)
                                        .order_by(t.c.id)):
        try:
            data = json.loads(blob(state))["data"]
            if type(position) is not int:
                continue  # the scan reports the column
            out.setdefault((int(data["position"]), str(data["kind"])), []).append(position)
        except (ValueError, KeyError, TypeError, RecursionError):
            continue  # the scan reports a payload that does not decode
    return out


def claimed_sizes(conn: Connection, t: Table) -> set[int]:
    """The sizes the ledger's own checkpoints claim (found by type: an indexed read)."""
    sizes = set()
    for (state,) in conn.execute(select(t.c.state)
                                 .where(t.c.event_type == "checkpoint-signed")):
        try:
            sizes.add(int(json.loads(blob(state))["data"]["size"]))
        except (ValueError, KeyError, TypeError, RecursionError):
            continue  # reported by the scan
    return sizes
