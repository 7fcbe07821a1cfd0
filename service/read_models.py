"""The read models checked against the events, as ``cspr verify --projections`` and the
nightly job ask for it (projections.check does the work)."""

from __future__ import annotations

from pathlib import Path

from domain.calendar import WorkingDayCalendar
from ledger.app import LedgerApplication
from ledger.report import Report
from projections.check import ProjectionCheck, check_projections
from service.calendar_england import england_calendar


def check_read_models(app: LedgerApplication, report: Report | None = None,
                      calendar: WorkingDayCalendar | None = None,
                      reference: Path | None = None, full: bool = True) -> ProjectionCheck:
    """Compare every read model with a rebuild from the events; the findings are added to
    ``report`` (a verify's), each marked acknowledged as verify marks its own. The nightly
    names its ``reference`` file (projections.reference), folded further each night and
    rebuilt from scratch when ``full``."""
    check = check_projections(app, calendar or england_calendar(), reference, full)
    if report is not None:
        for p in check.problems:
            p.acknowledged_at = next((a for a in report.acknowledgements.get(
                (p.position, p.kind), ()) if a > p.position), None)
        report.problems.extend(check.problems)
    return check
