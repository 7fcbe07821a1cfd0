"""The read models' tables, beside the ledger in the same database.

Clock rows are stored as judged at an open horizon (every fact known, no date yet passed
judgement) and judged against a date when read: a clock that nobody stopped becomes
breached at midnight without any new event, so its status cannot be frozen into a row.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

BIGINT = BigInteger().with_variant(Integer(), "sqlite")
# Bump when a table below changes: the read models are derived, so an older layout is
# dropped and rebuilt from the ledger rather than migrated.
# 3: proj_clocks.start_assumed; 4: proj_decisions signatures (issue 11); 5: the Today
# page's indexes (issue 13: create_all adds no index to a table that exists already, and
# looking for each at every opening cost a read command 6.6 ms on PostgreSQL).
SCHEMA_VERSION = 5
metadata = MetaData()

tracking = Table(
    "proj_tracking", metadata,
    Column("name", String(32), primary_key=True),
    Column("position", BIGINT, nullable=False),
)

cases = Table(
    "proj_cases", metadata,
    Column("case_ref", String(64), primary_key=True),
    Column("stage", String(40), nullable=False),
    Column("opened_on", String(10)),
    Column("events", Integer, nullable=False),
    Column("rule_set", String(32), nullable=False),
    Column("harm", String(20)),
    Column("threshold", String(10)),
    Column("last_position", BIGINT, nullable=False),
)

clocks = Table(
    "proj_clocks", metadata,
    Column("case_ref", String(64), primary_key=True),
    Column("clock", String(48), primary_key=True),
    # Text: an action reference stored before references were bounded may be longer
    # than any limit we would pick, and must still project (issue 8, migration).
    Column("action", Text, primary_key=True),  # '' for case clocks
    Column("seq", Integer, nullable=False),
    Column("starts_on", String(10)),
    Column("due_on", String(10)),
    Column("at_risk_on", String(10)),
    Column("horizon_status", String(16), nullable=False),
    Column("met_on", String(10)),
    Column("recorded_late", Boolean, nullable=False),
    Column("breach_superseded", Boolean, nullable=False),
    Column("breach_recorded", Boolean, nullable=False),
    Column("rule_set", String(32), nullable=False),
    Column("calendar", String(64), nullable=False),
    Column("paragraph", String(64), nullable=False),
    Column("original_due_on", String(10)),
    Column("unit", String(16), nullable=False),
    Column("start_assumed", String(64)),  # the rule's reason when the start is assumed
)

actions = Table(
    "proj_actions", metadata,
    Column("case_ref", String(64), primary_key=True),
    Column("action", Text, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("agency", Text, nullable=False),
    Column("owner", Text, nullable=False),
    Column("original_deadline", String(10), nullable=False),
    Column("deadline", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("completed_on", String(10)),
    Column("escalations", Text, nullable=False),  # JSON list of {"level", "on"}
    Column("responses", Integer, nullable=False),
)

decisions = Table(
    "proj_decisions", metadata,
    Column("position", BIGINT, primary_key=True),
    Column("case_ref", String(64), nullable=False, index=True),
    Column("decision", String(48), nullable=False),
    Column("outcome", Text),
    Column("rationale", Text),
    Column("decided_by", Text),  # JSON list
    Column("action", Text),
    Column("recorded_by", String(64), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("occurred_at", String(32), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Column("recorded_late", Boolean, nullable=False),
    # Issue 11 items 7 and 12: the closure's Child Death Review reference, and the
    # decision's co-signers, signatures (JSON list of {actor, key_id, at, position,
    # cosignature}) and those still to sign (JSON list).
    Column("child_death_review_ref", Text),
    Column("cosigners", Text),
    Column("signatures", Text),
    Column("pending", Text),
)

chronology = Table(
    "proj_chronology", metadata,
    Column("position", BIGINT, primary_key=True),
    Column("case_ref", String(64), nullable=False, index=True),
    Column("agency", Text, nullable=False),
    Column("event_at", String(32), nullable=False),
    Column("source", Text, nullable=False),
    Column("child_seen", Boolean, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("personal_fields", Text, nullable=False),  # JSON list of sealed field names
)

# Cases whose events this version could not fold: left out of the other tables, named
# by every reader (issue 8). The error's kind only: a message may quote a stored value.
failed = Table(
    "proj_failed", metadata,
    Column("case_ref", String(64), primary_key=True),
    Column("error", String(80), nullable=False),
)

# The Today page's read (projections.read.clock_rows, attention=True) asks for the clocks
# still running, or stopped only after the day asked about: without these the planner has
# no choice but to read every clock of every case (issue 13, bench/explain.py). Added to
# an existing database with the layout version (SCHEMA_VERSION 5: rebuilt once).
_STOPPED = ("met", "met_late", "not_required")
Index("proj_clocks_running_idx", clocks.c.due_on,
      postgresql_where=clocks.c.horizon_status.not_in(_STOPPED),
      sqlite_where=clocks.c.horizon_status.not_in(_STOPPED))
Index("proj_clocks_met_idx", clocks.c.met_on)
# The Today page's joint decisions still awaiting a co-signature (service.queries,
# awaiting_cosignature): a handful among every decision of the ledger.
_PENDING = decisions.c.pending.is_not(None) & (decisions.c.pending != "[]")
Index("proj_decisions_pending_idx", decisions.c.case_ref, decisions.c.position,
      postgresql_where=_PENDING, sqlite_where=_PENDING)

PER_CASE = (cases, clocks, actions, decisions, chronology, failed)
