"""Whether the database refuses writes: a PostgreSQL hot standby (a read replica), a
database or role with ``default_transaction_read_only = on``, or a SQLite connection with
``query_only`` (ledger.storage.ReadOnlyDatastore).

The readers that otherwise write something derived on the way (the projector's tracking
row, the Merkle cache) ask first, and read what is there instead: asking is a ``SHOW`` or
a ``PRAGMA``, so no transaction is left failed behind a refused write. A write refused
anyway (the setting changed in between) is recognised by :func:`refused_write`.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

READ_ONLY_SQLSTATE = "25006"  # read_only_sql_transaction: a standby, or read-only default


def refuses_writes(bind: Engine | Connection) -> bool:
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return refuses_writes(conn)
    name = bind.dialect.name
    if name == "postgresql":
        # "on" in a hot standby as well as under default_transaction_read_only.
        return bind.execute(text("SHOW transaction_read_only")).scalar() == "on"
    if name == "sqlite":
        return bool(bind.execute(text("PRAGMA query_only")).scalar())
    return False


def refused_write(error: DBAPIError) -> bool:
    """Whether ``error`` is the database refusing a write because it is read-only."""
    orig = error.orig
    if getattr(orig, "sqlstate", None) == READ_ONLY_SQLSTATE:
        return True
    message = str(orig).lower()
    return "readonly database" in message or "query_only" in message
