"""`cspr report compliance` as one service: the inputs it reads and the renderers it
offers, shared by the CLI and the Scrutineer's download (issue 12), so the two cannot drift.

The nightly writes its own yearly report through jobs.nightly: it reuses the clock rows it
has already computed and leaves out the cases it could not process, which a request made
by a person does not do.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable

from domain.errors import InvalidFieldError
from jobs.compliance import ComplianceReport, compliance
from jobs.render import to_csv, to_html, to_json
from projections.signed import personal_data_log
from service.cosigning import late_cosignature_rows
from service.queries import Queries

RENDERERS: dict[str, Callable[[Any], str]] = {"html": to_html, "csv": to_csv,
                                              "json": to_json}
MEDIA = {"html": "text/html", "csv": "text/csv", "json": "application/json"}


def compliance_for(q: Queries, start: date, end: date) -> ComplianceReport:
    """The report for ``[start, end]``, judged at the end of ``end`` or today if sooner:
    a period that has not ended yet is reported as it stands."""
    if start > end:
        raise InvalidFieldError("to", "a day on or after --from", "before --from")
    as_of = min(end, q.today)
    return compliance(q.deadlines(None, as_of), q.actions(None, as_of), start, end, as_of,
                      q.app.partnership(), personal_data_log(q.app),
                      # Issue 11 item 7: joint decisions not fully co-signed after 5 WD.
                      late_cosignature_rows(q.app, q.calendar, as_of))


def compliance_text(q: Queries, start: date, end: date, fmt: str) -> str:
    """The report rendered as ``fmt`` (html, csv or json)."""
    return RENDERERS[fmt](compliance_for(q, start, end))
