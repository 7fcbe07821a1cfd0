"""Raw access to the real database behind a ledger, the way an attacker would have it."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import create_engine, text

from ledger.chain import GENESIS, leaf_hash_of, link, signed_bytes
from ledger.rowtypes import stream_id

from service.home import Home

COLUMNS = ("originator_id", "originator_version", "topic", "state", "position",
           "chain_hash", "signature", "sealed", "recorded_at", "case_ref", "actor",
           "key_id", "event_type", "head_signature", "head_previous")


@contextmanager
def raw(home: Home) -> Iterator[Any]:
    """A DB-API-ish cursor with ``execute(sql, params)`` and ``:name`` parameters."""
    if home.db_url is None:
        conn = sqlite3.connect(home.root / "ledger.sqlite")
        try:
            yield _Sqlite(conn)
            conn.commit()
        finally:
            conn.close()
    else:
        engine = create_engine(home.db_url)
        with engine.begin() as conn:
            yield _Sa(conn)
        engine.dispose()


class _Sqlite:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        return self.conn.execute(sql, params or {}).fetchall()


class _Sa:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        result = self.conn.execute(text(sql), params or {})
        return [tuple(r) for r in result] if result.returns_rows else []


def row_at(db: Any, position: int) -> dict[str, Any]:
    cols = ", ".join(COLUMNS)
    (row,) = db.execute(f"SELECT id, {cols} FROM cspr_events WHERE position = :p",
                        {"p": position})
    return dict(zip(("id", *COLUMNS), row))


def rows_from(db: Any, position: int) -> list[dict[str, Any]]:
    cols = ", ".join(COLUMNS)
    rows = db.execute(f"SELECT id, {cols} FROM cspr_events WHERE position >= :p "
                      "ORDER BY position", {"p": position})
    return [dict(zip(("id", *COLUMNS), row)) for row in rows]


def rechain(db: Any, position: int, rows: list[dict[str, Any]]) -> None:
    """The insider's rewrite without any key: replace every row from ``position`` on by
    ``rows`` (deleted, reordered, duplicated, as given), renumber them, recompute every
    unkeyed link and the head row. Signatures and signed heads are copied as they were."""
    db.execute("DELETE FROM cspr_events WHERE position >= :p", {"p": position})
    chain = GENESIS if position == 1 else bytes(row_at(db, position - 1)["chain_hash"])
    next_id = db.execute("SELECT coalesce(max(id), 0) FROM cspr_events")[0][0] + 1
    for n, row in enumerate(rows, start=position):
        leaf = leaf_hash_of(signed_bytes(stream_id(row["originator_id"]),
                                         row["originator_version"], row["topic"],
                                         bytes(row["state"])), bytes(row["signature"]))
        chain = link(chain, leaf)
        values = {**row, "id": next_id, "position": n, "chain_hash": chain}
        next_id += 1
        names = ["id", *COLUMNS]
        db.execute(f"INSERT INTO cspr_events ({', '.join(names)}) VALUES "
                   f"({', '.join(':' + c for c in names)})", values)
    db.execute("UPDATE cspr_head SET position = :p, chain_hash = :c",
               {"p": position + len(rows) - 1, "c": chain})
