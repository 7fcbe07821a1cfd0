"""Keeps the read models up to date from the ledger, incrementally, and rebuilds them.

The projector remembers the last chain position it processed (``proj_tracking``), in the
same transaction as the rows it writes, so a crash never leaves rows and position apart.
An update finds the cases touched after that position and re-folds each of them from its
facts (read through the case index), so the cost grows with the new events and the cases
they touch, never with the history. Concurrent updaters serialise on the tracking row.

Memory is bounded by a chunk of events, whatever the ledger's size and however long the
cases' histories (issue 8, finding 7): the touched cases are paged and gathered into
chunks by their number of events (projections.batches), and each chunk's facts are read,
folded, written and dropped before the next (projections.fold, which the check of the
read models, projections.check, runs too). Reading by case, along the case index, is what
lets a case's facts be released once folded: read in ledger order instead, every open
case's facts would be held until the end of the log. The constant (issue 13, measured on
SQLite at 200k and 1M events, bench/memory.py): about 66 MB of interpreter, libraries and
open ledger, plus about 16 MB of Python objects for a chunk of 5,000 events and its rows,
so about 90 MB peak RSS whatever the number of events. Only a single case of more than
5,000 events adds to it (about 2.3 KB an event of that case): a fold needs all of a
case's facts at once.

The fold itself is linear in a case's facts: each clock reads only the facts of the types
it names (projections.clock_index), not all of them for every clock.

A case that cannot be folded (a value stored by an older version, or a future bug) must
not take the other cases down (issue 8, finding 2): its rows are removed, it is listed in
``proj_failed`` with the kind of error (never a value), and every reader can ask
:meth:`Projector.failed_cases`. It is retried whenever it gets a new event, and by a
rebuild.

On a database that refuses writes (a read replica, ledger.read_only) nothing is brought
up to date: an update leaves the read models as the primary last wrote them and reports
how far they reach (``UpdateReport.read_only_note``); a rebuild is refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from domain.calendar import WorkingDayCalendar
from domain.errors import CsprError
from ledger.app import LedgerApplication
from ledger.read_only import refused_write, refuses_writes
from projections import batches
from projections import tables as T
from projections.fold import fold_chunk, store_chunk
from projections.rule_sets import RuleSetHistory

NAME = "cases"
SCHEMA = "schema"  # its tracking row holds the layout version of the tables
PAGE = 5000  # rows read at a time when finding the touched cases


class UnreadableCasesError(CsprError):
    """Some cases could not be folded; everything else was done and shown."""

    def __init__(self, cases: list[str]) -> None:
        self.cases = cases
        super().__init__(
            f"{len(cases)} case(s) could not be read and are left out: {', '.join(cases)} "
            "(a stored value this version cannot process; the other cases are complete. "
            "Report it; 'cspr projections rebuild' retries after an upgrade)")


class ReadModelsUnavailableError(CsprError):
    """The database refuses writes and its read models cannot be read as they are."""

    def __init__(self, why: str, command: str = "update") -> None:
        super().__init__(
            f"the read models {why}, and this database refuses writes (a read-only copy, "
            f"such as a replica): run 'cspr projections {command}' on the primary, or read "
            "from the primary")


@dataclass
class UpdateReport:
    events_read: int = 0
    cases_updated: int = 0
    position: int = 0
    # Every case the read models currently leave out because its fold failed (this run
    # or an earlier one): what readers and the nightly report loudly.
    failed_cases: list[str] = field(default_factory=list)
    # On a database that refuses writes: nothing was updated, and the ledger's last
    # position (``position`` is how far the read models reach).
    read_only: bool = False
    head: int = 0

    def read_only_note(self) -> str | None:
        """What a reader of a read-only copy is told: how far its answer reaches."""
        if not self.read_only:
            return None
        return (f"read models as of position {self.position} of {self.head} (a read-only "
                "copy: brought up to date on the primary)")


class Projector:
    def __init__(self, app: LedgerApplication, calendar: WorkingDayCalendar) -> None:
        self.app = app
        self.calendar = calendar
        self.read_only = refuses_writes(app.engine)
        if self.read_only:
            self._check_as_is()
        else:
            self._create_tables()

    def _create_tables(self) -> None:
        # Two processes starting at once (two cron hosts) may both find the tables
        # missing; the loser of the race sees them created and carries on.
        for attempt in range(5):
            try:
                T.metadata.create_all(self.app.engine, checkfirst=True)
                with self.app.engine.begin() as conn:
                    self._lock_schema(conn)
                return
            except DBAPIError as e:
                if refused_write(e):  # made read-only since asked: rolled back, read as is
                    self.read_only = True
                    self._check_as_is()
                    return
                if attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _lock_schema(self, conn: Connection) -> None:
        tr = T.tracking.c
        if conn.execute(select(tr.name).where(tr.name == NAME)).first() is None:
            conn.execute(insert(T.tracking).values(name=NAME, position=0))
        # The tracking row first, as every update does: whoever changes the tables
        # below holds it, so an updater never waits on them while holding it (deadlock).
        self._lock(conn)
        version = conn.execute(select(tr.position).where(tr.name == SCHEMA)).scalar()
        if version == T.SCHEMA_VERSION:
            return
        # Read models of an older layout: drop and rebuild them from the ledger.
        T.metadata.drop_all(conn, tables=list(T.PER_CASE))
        T.metadata.create_all(conn, tables=list(T.PER_CASE))
        conn.execute(update(T.tracking).where(tr.name == NAME).values(position=0))
        conn.execute(delete(T.tracking).where(tr.name == SCHEMA))
        conn.execute(insert(T.tracking).values(name=SCHEMA, position=T.SCHEMA_VERSION))

    def _check_as_is(self) -> None:
        """Refuse read models that cannot be read without writing: missing, or of
        another layout (the primary rebuilds them on its next update)."""
        names = set(inspect(self.app.engine).get_table_names())
        if not {t.name for t in T.metadata.sorted_tables} <= names:
            raise ReadModelsUnavailableError("are not in this database")
        tr = T.tracking.c
        with self.app.engine.connect() as conn:
            rows = dict(conn.execute(select(tr.name, tr.position)
                                     .where(tr.name.in_((NAME, SCHEMA)))).all())
        if NAME not in rows:
            raise ReadModelsUnavailableError("have never been made in this database")
        if rows.get(SCHEMA) != T.SCHEMA_VERSION:
            raise ReadModelsUnavailableError("are of another version's layout")

    def position(self) -> int:
        with self.app.engine.connect() as conn:
            return conn.execute(select(T.tracking.c.position)
                                .where(T.tracking.c.name == NAME)).scalar() or 0

    def failed_cases(self) -> list[str]:
        with self.app.engine.connect() as conn:
            return self._failed(conn)

    @staticmethod
    def _failed(conn: Connection) -> list[str]:
        return list(conn.execute(select(T.failed.c.case_ref)
                                 .order_by(T.failed.c.case_ref)).scalars())

    def _lock(self, conn: Connection) -> int:
        # Write first, read second: the no-op update takes the row lock on PostgreSQL and
        # the database write lock on SQLite, so the position read is the latest one.
        conn.execute(update(T.tracking).where(T.tracking.c.name == NAME)
                     .values(position=T.tracking.c.position))
        return int(conn.execute(select(T.tracking.c.position)
                                .where(T.tracking.c.name == NAME)).scalar_one())

    def update(self) -> UpdateReport:
        if self.read_only:
            return self._as_is()
        return self._run(rebuild=False)

    def rebuild(self) -> UpdateReport:
        if self.read_only:
            raise ReadModelsUnavailableError("cannot be rebuilt here", "rebuild")
        return self._run(rebuild=True)

    def _as_is(self) -> UpdateReport:
        """The read models as they are: how far they reach, and the ledger's head (no
        lock: nothing here writes; a replica replaying meanwhile only raises the head)."""
        tr, t = T.tracking.c, self.app.events_table
        with self.app.engine.connect() as conn:
            position = conn.execute(select(tr.position).where(tr.name == NAME)).scalar()
            head = conn.execute(select(func.max(t.c.position))).scalar()
            return UpdateReport(position=int(position or 0), read_only=True,
                                head=int(head or 0), failed_cases=self._failed(conn))

    def _run(self, rebuild: bool) -> UpdateReport:
        t = self.app.events_table
        with self.app.engine.begin() as conn:
            since = self._lock(conn)
            if rebuild:
                for table in T.PER_CASE:
                    conn.execute(delete(table))
                since = 0
            head = conn.execute(select(func.max(t.c.position))).scalar() or 0
            report = UpdateReport(position=since)
            if head > since:
                report.events_read = int(conn.execute(
                    select(func.count()).select_from(t)
                    .where(t.c.position > since, t.c.position <= head)).scalar_one())
                history = RuleSetHistory.load(self.app)
                # The first update touches every case: the case index finds them without
                # reading the whole log.
                cases = (batches.all_cases(conn, t) if rebuild or since == 0 else
                         batches.counted(conn, t, self._touched(conn, since, head)))
                for chunk in batches.chunks(cases):
                    report.cases_updated += self._project(conn, chunk, head, history,
                                                          clear=not rebuild)
                report.position = head
                conn.execute(update(T.tracking).where(T.tracking.c.name == NAME)
                             .values(position=head))
            report.failed_cases = self._failed(conn)
        return report

    def _touched(self, conn: Connection, since: int, head: int) -> list[str]:
        """The cases with an event in (since, head]; rows are paged, refs kept."""
        t = self.app.events_table
        refs: set[str] = set()
        last = since
        while last < head:
            page = conn.execute(
                select(t.c.position, t.c.case_ref)
                .where(t.c.position > last, t.c.position <= head)
                .order_by(t.c.position).limit(PAGE)).all()
            if not page:
                break
            refs.update(r for _, r in page if r is not None)
            last = page[-1][0]
        return sorted(refs)

    def _project(self, conn: Connection, refs: list[str], head: int,
                 history: RuleSetHistory, clear: bool) -> int:
        """Fold and write one chunk of cases; returns how many got rows."""
        chunk = fold_chunk(conn, self.app.events_table, refs, head, history, self.calendar)
        if clear:
            for table in T.PER_CASE:
                conn.execute(delete(table).where(table.c.case_ref.in_(refs)))
        return store_chunk(conn, chunk)
