"""Raw access to the real database behind a ledger, the way an attacker would have it."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import create_engine, text

from service.home import Home

COLUMNS = ("originator_id", "originator_version", "topic", "state", "position",
           "chain_hash", "signature", "sealed", "recorded_at", "case_ref", "actor",
           "key_id", "event_type")


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
