"""What the read commands ask: case list, case show (as of an instant of recording, or
as the world stood on a day), case diff, the decision trail, the chronology, deadlines
and actions.

Answers about "now" come from the read models, brought up to date first (on a read-only
copy, read as they are, ``Queries.read_only_note`` saying how far they reach); answers about
the past (an instant of recording, or a date before today) are replayed by folding the
events the ledger held then, so they never depend on what was recorded later. The evidence
views (the decision trail, the chronology) never read a read model: anyone with database
access can edit one, so they are derived from the signed events, and each event they quote
is checked against its signature first (projections.signed). ``cspr verify --projections``
proves the read models themselves.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timezone
from functools import cached_property
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select

from domain.calendar import WorkingDayCalendar, london_date
from domain.cosigners import JOINT_DECISIONS
from domain.errors import CsprError, InvalidFieldError, UnknownCaseError
from ledger.app import LedgerApplication
from ledger.mapper import format_instant
from projections import read
from projections import tables as T
from projections.actions import action_rows
from projections.case_view import DECISIONS, CaseView, clock_row
from projections.cosignatures import awaiting_cosignature
from projections.diff import case_diff
from projections.fold import HORIZON
from projections.projector import Projector, UnreadableCasesError
from projections.rows import case_rows
from projections.rule_sets import RuleSetHistory
from projections.signed import PERSONAL_DATA_EVENTS, personal_data_rows, signed_case_facts
from projections.source import LedgerFact, case_facts, fact_from_row
from service.calendar_england import england_calendar
from service.trail_signatures import COSIGNED, annotate

LONDON = ZoneInfo("Europe/London")


def parse_day(value: str | None, field: str = "as_of") -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidFieldError(field, "an ISO date YYYY-MM-DD", "not a date")


def parse_instant(value: str | None, field: str = "as_of") -> datetime | None:
    """An instant of recording; a bare date means the end of that London day."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, 23, 59, 59, 999999,
                            tzinfo=LONDON).astimezone(timezone.utc)
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFieldError(field, "an ISO date or date-time", "not a date")
    return instant if instant.tzinfo else instant.replace(tzinfo=LONDON)


class Queries:
    def __init__(self, app: LedgerApplication, now: datetime | None = None,
                 calendar: WorkingDayCalendar | None = None) -> None:
        self.app = app
        self.now = now or datetime.now(timezone.utc)
        self._calendar = calendar
        # Cases left out of an answer because their events could not be folded: the
        # command shows everything else, then fails loudly naming them (issue 8).
        self.unreadable: set[str] = set()
        # On a database that refuses writes (a replica), the read models are read as the
        # primary left them: this says how far they reach, for the command to show.
        self.read_only_note: str | None = None

    @cached_property
    def calendar(self) -> WorkingDayCalendar:
        return self._calendar or england_calendar()

    @property
    def today(self) -> date:
        return london_date(self.now)

    @cached_property
    def projector(self) -> Projector:
        projector = Projector(self.app, self.calendar)
        report = projector.update()
        self.unreadable.update(report.failed_cases)
        self.read_only_note = report.read_only_note()
        return projector

    def check_readable(self) -> None:
        """Raise, after the answer has been shown, if any case was left out of it."""
        if self.unreadable:
            raise UnreadableCasesError(sorted(self.unreadable))

    def _live(self, as_of: date | None) -> bool:
        return as_of is None or as_of >= self.today

    def facts(self, case: str, until: datetime | None = None) -> list[LedgerFact]:
        facts = case_facts(self.app, case, format_instant(until) if until else None)
        if not any(f.type == "incident-referred" for f in facts):
            raise UnknownCaseError(case)
        return facts

    def view(self, case: str, as_of_instant: datetime | None = None,
             as_of_day: date | None = None, occurred_by: date | None = None) -> CaseView:
        """The case as the ledger had recorded it by ``as_of_instant`` and, with
        ``occurred_by``, as it stood in the world at the end of that day: only the events
        that occurred on or before it, and the clocks judged then. A reader whose events
        were all recorded today asks the second question, not the first (issue 11)."""
        facts = self.facts(case, as_of_instant)
        if occurred_by is not None:
            if occurred_by > self.today:  # "as it stood then" has no answer for a future day
                raise InvalidFieldError("occurred_by", "a date not after today", "in the future")
            facts = [f for f in facts if f.occurred_on <= occurred_by]
            if not any(f.type == "incident-referred" for f in facts):
                raise InvalidFieldError("occurred_by", "a date on or after the day the "
                                        "case was referred", "before the case existed")
        day = occurred_by or as_of_day or london_date(as_of_instant or self.now)
        try:
            rule_set = RuleSetHistory.load(self.app).for_case(facts)
            return CaseView.fold(case, facts, rule_set, self.calendar, day)
        except CsprError:
            raise
        except Exception:  # as in the projector: one case's stored value, not a crash
            raise UnreadableCasesError([case]) from None

    def _views(self, refs: list[str], as_of: date) -> Iterator[CaseView]:
        for ref in refs:
            try:
                yield self.view(ref, as_of_day=as_of)
            except UnreadableCasesError:
                self.unreadable.add(ref)

    def _cases(self, case: str | None) -> list[str]:
        self.projector
        refs = [r["case_ref"] for r in read.case_summaries(self.app)]
        if case is None:
            return refs
        if case in self.unreadable:
            raise UnreadableCasesError([case])
        if case not in refs:
            raise UnknownCaseError(case)
        return [case]

    def case_list(self) -> list[dict[str, Any]]:
        self.projector
        # An action's clocks are its escalation rungs (§13.4, §21.2), not statutory
        # timescales: counted apart so that a case with every clock met shows 0 breached.
        counts = Counter((c["case"], "escalated" if c["action"] and c["status"] == "breached"
                          else c["status"]) for c in read.clock_rows(self.app, self.today))
        return [{"case": r["case_ref"], "stage": r["stage"], "opened_on": r["opened_on"],
                 "events": r["events"], "breached": counts[(r["case_ref"], "breached")],
                 "at_risk": counts[(r["case_ref"], "at_risk")],
                 "escalations": counts[(r["case_ref"], "escalated")],
                 "rule_set": r["rule_set"]}
                for r in read.case_summaries(self.app)]

    def deadlines(self, case: str | None, as_of: date | None) -> list[dict[str, Any]]:
        refs = self._cases(case)
        if self._live(as_of):
            return read.clock_rows(self.app, as_of or self.today, case)
        return [clock_row(v.case, c) for v in self._views(refs, as_of) for c in v.clocks]

    def attention(self) -> list[dict[str, Any]]:
        """The rows of ``deadlines`` breached or at risk today, for the Today page: only
        the clocks that can be are read (projections.read.clock_rows), not every one."""
        self.projector
        return [r for r in read.clock_rows(self.app, self.today, attention=True)
                if r["status"] in ("breached", "at_risk")]

    def awaiting_cosignature(self) -> list[dict[str, Any]]:
        """Every joint decision with a co-signer still to sign, as ``case show`` lists a
        case's, with the case added, in ledger order: for the Today and Co-sign pages. The
        read model names the decisions someone has still to sign (proj_decisions.pending,
        proved by ``verify --projections``); only those events and their cases'
        co-signatures are read and judged, not every joint decision of the ledger."""
        self.projector
        d, e = T.decisions.c, self.app.events_table.c
        waiting = d.pending.is_not(None) & (d.pending != "[]")
        queries = [select(e.position, e.state).where(
                       e.position.in_(select(d.position).where(waiting))),
                   select(e.position, e.state).where(
                       e.event_type == COSIGNED,
                       e.case_ref.in_(select(d.case_ref).where(waiting)))]
        if self.unreadable:
            # A case the projector could not fold has no rows, but its decisions still
            # wait for their signatures: judged from its events, as the scan did.
            queries.append(select(e.position, e.state).where(
                e.case_ref.in_(sorted(self.unreadable)),
                e.event_type.in_((*JOINT_DECISIONS, COSIGNED))))
        with self.app.engine.connect() as conn:
            rows = {p: s for q in queries for p, s in conn.execute(q)}
        facts = sorted((fact_from_row(p, bytes(s)) for p, s in rows.items()),
                       key=lambda f: f.position)
        case_of = {f.position: f.case for f in facts}
        return [{"case": case_of[r["position"]], **r}
                for r in awaiting_cosignature(facts, self.calendar, self.today)]

    def actions(self, case: str | None, as_of: date | None) -> list[dict[str, Any]]:
        refs = self._cases(case)
        if self._live(as_of):
            return read.action_rows(self.app, case)
        rows = []
        for ref in refs:
            try:
                rows += action_rows(ref, [f for f in self.facts(ref)
                                          if f.occurred_on <= as_of])
            except Exception:  # as in the projector: skip the case, name it
                self.unreadable.add(ref)
        return rows

    def history(self, case: str) -> list[dict[str, Any]]:
        """The decision trail, from the signed events (each decision shown proved), with
        who read, disclosed or erased the case's personal data, in ledger order."""
        # Issue 11 item 7: the co-signatures are quoted too, so they are proved as well.
        facts = self._signed_facts(case, lambda f: f.type in DECISIONS
                                   or f.type in PERSONAL_DATA_EVENTS or f.type == COSIGNED)
        decisions = annotate(self.app, [{**read.trail_row(r), "kind": "decision"}
                                        for r in self._fold_rows(case, T.decisions, facts)],
                             facts)
        return sorted(decisions + personal_data_rows(case, facts),
                      key=lambda r: r["position"])

    def diff(self, case: str, since: datetime, until: datetime) -> dict[str, Any]:
        try:
            before = self.view(case, as_of_instant=since)
        except UnknownCaseError:
            before = None  # the case did not exist yet at the first instant
        return case_diff(before, self.view(case, as_of_instant=until))

    def chronology(self, case: str) -> list[dict[str, Any]]:
        """The chronology, from the signed events (each entry shown proved)."""
        rows = self._signed_rows(case, T.chronology,
                                 lambda f: f.type == "chronology-entry-added")
        return [read.chronology_row(r) for r in sorted(
            rows, key=lambda r: (r["event_at"], r["position"]))]

    def _signed_rows(self, case: str, table: Table,
                     shown: Callable[[LedgerFact], bool]) -> list[dict[str, Any]]:
        """The rows ``table`` would hold for ``case``, derived from its signed events as
        the projector derives them, never read from the table (anyone with database
        access can edit it). A case the projector could not fold is refused as it is."""
        return self._fold_rows(case, table, self._signed_facts(case, shown))

    def _signed_facts(self, case: str, shown: Callable[[LedgerFact], bool]
                      ) -> list[LedgerFact]:
        facts = signed_case_facts(self.app, case, shown)
        if not any(f.type == "incident-referred" for f in facts):
            raise UnknownCaseError(case)
        return facts

    def _fold_rows(self, case: str, table: Table, facts: list[LedgerFact]
                   ) -> list[dict[str, Any]]:
        try:
            rule_set = RuleSetHistory.load(self.app).for_case(facts)
            view = CaseView.fold(case, facts, rule_set, self.calendar, HORIZON)
            return dict(case_rows(view))[table]
        except CsprError:
            raise
        except Exception:  # as in the projector: one case's stored value, not a crash
            raise UnreadableCasesError([case]) from None
