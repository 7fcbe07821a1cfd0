"""The ledger as the read commands open it: its database engine and the events table in
plain SQLAlchemy Core, without the event store.

``case list``, ``deadlines``, ``actions``, ``case show`` and ``case diff`` read the read
models (brought up to date from the events) and the events' indexed columns, never a
stream through the event store: opening eventsourcing-sqlalchemy for them loaded
sqlalchemy.orm and sqlalchemy_utils, a third of their start-up (issue 13). The engine is
made as the library's datastore makes it (ledger.storage.LedgerDatastore); the table is
the library's ``cspr_events`` less ``originator_id``, whose type is the library's own
(a read needing it opens the ledger itself, ledger.app). It creates no table, and is for
a command that does not fork: its engine is not among those ledger.storage closes before a
fork.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, LargeBinary, MetaData, Table, Text, create_engine, inspect
from sqlalchemy.engine import Engine

from ledger.schema import BIGINT, EVENTS_TABLE, evidence_columns, head_table

# Its own MetaData: never created from here (the event store creates the real table).
events_read_table = Table(
    EVENTS_TABLE,
    MetaData(),
    *evidence_columns(),
    # The library's columns (eventsourcing_sqlalchemy.models.StoredEventRecord).
    Column("id", BIGINT, primary_key=True, autoincrement=True),
    Column("originator_version", BIGINT, nullable=False),
    Column("topic", Text(), nullable=False),
    Column("state", LargeBinary(), nullable=False),
)


class LedgerReader:
    """What the read models' code uses of a LedgerApplication: ``engine`` and
    ``events_table``."""

    events_table = events_read_table

    def __init__(self, url: str) -> None:
        self.url = url
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            # As LedgerDatastore: wait while another process commits, rather than fail.
            kwargs["connect_args"] = {"timeout": 60}
        self.engine: Engine = create_engine(url, echo=False, **kwargs)

    def holds_ledger(self) -> bool:
        """Whether the database has a ledger's tables (this opening creates none)."""
        names = inspect(self.engine).get_table_names()
        return EVENTS_TABLE in names and head_table.name in names

    def close(self) -> None:
        self.engine.dispose()
