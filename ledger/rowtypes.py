"""Rows as they are stored, whatever their type: verify reads every column raw (no
library conversion that could raise mid-read) and names a column holding another type
as a finding. SQLite's dynamic typing lets anyone with the file store text in `position`
or an integer in `signature`; neither may stop verify or make it allocate the integer's
worth of bytes."""

from __future__ import annotations

from typing import Any, Iterator
from uuid import UUID

from sqlalchemy import Table, inspect, null, select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.types import NullType

from ledger import snapshot

_BLOBS = frozenset({"state", "chain_hash", "signature"})
_TEXTS = frozenset({"topic", "recorded_at", "actor", "key_id", "event_type"})
_EMPTY = {"state": b"", "chain_hash": b"", "signature": b"", "topic": "",
          "recorded_at": "", "actor": "", "key_id": "", "event_type": ""}


def raw(column: Any) -> Any:
    return type_coerce(column, NullType()).label(column.name)


def raw_rows(conn: Connection, table: Table, columns: list[str],
             after_id: int = 0) -> Iterator[Any]:
    """(id, *columns) of every row after ``after_id`` in notification order, unconverted.
    A column the stored table lacks (a copy of a ledger made before it existed, opened
    read-only so nothing adds it) reads as NULL."""
    present = stored_columns(conn, table)
    cols = [raw(table.c[name]) if name in present else null().label(name)
            for name in columns]
    last = after_id
    while True:
        batch = conn.execute(select(table.c.id, *cols).where(table.c.id > last)
                             .order_by(table.c.id).limit(snapshot.PAGE)).all()
        if not batch:
            return
        yield from batch
        last = batch[-1][0]


def stored_columns(conn: Connection, table: Table) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(table.name)}


def blob(value: Any) -> bytes:
    """The bytes of a binary column; TypeError for anything else."""
    if type(value) is bytes:
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise TypeError("not a binary value")


def stream_id(value: Any) -> str | None:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview) and len(value) == 16:
        return str(UUID(bytes=bytes(value)))
    return None


def typed(names: list[str], values: tuple[Any, ...]) -> tuple[dict[str, Any], list[str]]:
    """The row's values by column, each of its stored type or replaced by an empty value
    of the right type, and the names of the columns that held another type."""
    out = dict(zip(names, values))
    bad = []
    for name, value in out.items():
        if name in _BLOBS:
            ok = isinstance(value, bytes | bytearray | memoryview)
            if ok and type(value) is not bytes:
                out[name] = bytes(value)
        elif name in _TEXTS:
            ok = type(value) is str
        elif name == "case_ref":
            ok = value is None or type(value) is str
        elif name in ("sealed", "head_signature"):
            ok = value is None or isinstance(value, bytes | bytearray | memoryview)
        elif name in ("position", "originator_version"):
            ok = type(value) is int
        elif name == "head_previous":
            ok = value is None or type(value) is int
        else:  # originator_id
            out[name] = stream_id(value)
            ok = out[name] is not None
        if not ok:
            bad.append(name)
            out[name] = _EMPTY.get(name)
    return out, bad
