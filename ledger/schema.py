"""The ledger's tables: the library's event table widened with the evidence columns.

eventsourcing-sqlalchemy owns ``cspr_events`` (notification id, aggregate id and version,
topic, state); we add what a verifier needs beside each row: the actor's signature, the
chain position and hash, the sealed personal data, and copies of a few signed values
(recorded time, case, actor, type) as indexed columns so that "as of" and per-case reads do
not decode every payload. The copies are checked against the signed payload by ``verify``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

BIGINT = BigInteger().with_variant(Integer(), "sqlite")
EVENTS_TABLE = "cspr_events"


def evidence_columns() -> list[Column[Any]]:
    """What we add beside each of the library's columns, in table order (new objects at
    each call: a column belongs to one table)."""
    return [
        Column("position", BIGINT, nullable=False),
        Column("chain_hash", LargeBinary(32), nullable=False),
        Column("signature", LargeBinary(64), nullable=False),
        Column("sealed", LargeBinary(), nullable=True),
        Column("recorded_at", String(32), nullable=False),
        Column("case_ref", String(64), nullable=True),
        Column("actor", String(64), nullable=False),
        Column("key_id", String(32), nullable=False),
        Column("event_type", String(64), nullable=False),
        # Set on the last event of each write transaction only (ledger.heads): the writer's
        # signature over (ledger id, position, chain hash) after linking.
        Column("head_signature", LargeBinary(64), nullable=True),
        # The position the previous transaction ended at, as the writer saw it: signed with
        # the head, so a transaction end removed before it stays a finding (ledger.heads).
        Column("head_previous", BIGINT, nullable=True),
    ]


def __getattr__(name: str) -> Any:
    # SignedEventRecord is made when the event store first asks for it (ledger.storage):
    # its base loads eventsourcing-sqlalchemy, sqlalchemy.orm and sqlalchemy_utils, a third
    # of a read command's start-up, and the read commands never need it (issue 13).
    if name != "SignedEventRecord":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from eventsourcing_sqlalchemy.models import StoredEventRecord

    record = type(name, (StoredEventRecord,), {
        "__module__": __name__, "__abstract__": True,
        **{column.name: column for column in evidence_columns()},
        # Redeclared on purpose: the library copies __table_args__ only from the base
        # class's own __dict__, and without the unique (originator_id, originator_version)
        # index optimistic concurrency silently disappears.
        "__table_args__": (Index("stored_aggregate_event_index", "originator_id",
                                 "originator_version", unique=True),),
    })
    globals()[name] = record
    return record


def add_extra_indexes(table: Table) -> None:
    """Attach our indexes to the library's table, once (its record class is cached)."""
    if any(ix.name == f"{table.name}_position_idx" for ix in table.indexes):
        return
    Index(f"{table.name}_position_idx", table.c.position, unique=True)
    Index(f"{table.name}_case_idx", table.c.case_ref, table.c.id)
    Index(f"{table.name}_recorded_idx", table.c.recorded_at)
    # The ledger's own streams (rule sets, actors, checkpoints) are read by type.
    Index(f"{table.name}_type_idx", table.c.event_type, table.c.id)


metadata = MetaData()

# The chain head: one row. Updating it is also how a SQLite writer takes the database's
# write lock before reading the head (a deferred transaction would read a stale head and
# fork the chain when several processes append at once).
head_table = Table(
    "cspr_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("position", BIGINT, nullable=False),
    Column("chain_hash", LargeBinary(32), nullable=False),
)

# Per-case data keys, wrapped by the master key that lives only under <home>/keys/.
# Deleting a row is not erasure (dead tuples, WAL pages and backups keep it): ledger.erasure.
data_keys_table = Table(
    "cspr_data_keys",
    metadata,
    Column("case_ref", String(64), primary_key=True),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", String(32), nullable=False),
)

# The id of the master key the data keys are wrapped under (ledger.envelope.master_id):
# one row, moved by an erasure's re-wrap in the same transaction, so that a process still
# holding the retired master key in memory cannot store a new case key under it.
master_key_table = Table(
    "cspr_master_key",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key_id", String(64), nullable=False),
)

# Derived, never trusted: hashes of complete Merkle subtrees, so that proofs do not rehash
# the whole ledger (ledger.merkle_cache). Rebuilt from the events at will.
merkle_table = Table(
    "cspr_merkle_nodes",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BIGINT, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)
