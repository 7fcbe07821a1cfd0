"""The compliance report as JSON, CSV and a self-contained HTML page (``to_html``, drawn in
``jobs/render_html.py``).

CSV layout: one table, one header, a ``section`` column saying what each row is, so a
spreadsheet user can filter on it (or sort, or pivot) without splitting the file:
- ``clock``: one row per clock id (``clock_name`` beside it: the name people read, as the
  HTML page and the letters give it), with the counts and ``timeliness`` (a fraction 0-1,
  empty when undefined);
- ``total``: the same counts over every clock (``clock`` = ``total``);
- ``breach``: one row per clock breached or met late in the period, or whose breach alert
  was superseded; ``start_assumed`` gives the rule's reason when the clock ran from an
  assumed start (empty otherwise);
- ``overdue_action``: one row per open action past its deadline at the as-of date;
- ``cosignature_late``: one row per joint decision of the period not fully co-signed
  after 5 working days (issue 11, §8.9, §21.1): ``still_to_sign`` names joined by ``; ``,
  ``completed_on`` empty while still pending;
- ``report``: one row with the partnership, period, as-of date, rule sets, calendars,
  the action counts (``actions_*`` columns) and the reads, disclosures and erasures of
  personal data recorded in the period (``personal_data_*`` columns).
A column that does not apply to a section is left empty. Booleans are ``yes``/``no``;
dates are ISO (YYYY-MM-DD); escalations are ``level on`` pairs joined by ``; ``. A text cell
that a spreadsheet would read as a formula (starting with = + - @ or a tab/CR) is prefixed
with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from jobs.clock_names import clock_label
from jobs.compliance import PERSONAL_DATA_COUNTS, ClockTally, ComplianceReport
from jobs.render_html import to_html

__all__ = ["CSV_COLUMNS", "to_csv", "to_html", "to_json"]

COUNT_COLUMNS = ("due", "met_on_time", "met_late", "breached", "pending", "at_risk",
                 "not_required", "timeliness")
ACTION_COUNTS = ("total", "open", "completed", "not_implemented", "overdue",
                 "overdue_escalated")
CSV_COLUMNS: tuple[str, ...] = (
    "section", "clock", "clock_name", "case", "action", *COUNT_COLUMNS,
    "due_on", "status", "met_on", "recorded_late", "superseded", "paragraph", "start_assumed",
    "agency", "owner", "original_deadline", "deadline", "extended", "days_overdue",
    "escalation_level", "escalations", "responses",
    "partnership", "period_from", "period_to", "as_of", "rule_sets", "calendars",
    *(f"actions_{k}" for k in ACTION_COUNTS),
    *(f"personal_data_{k}" for k in PERSONAL_DATA_COUNTS.values()),
    "decision", "position", "occurred_on", "still_to_sign", "completed_on",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_json(report: ComplianceReport) -> str:
    """``report.as_json()`` as indented JSON text, ending with a newline."""
    return json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _counts(t: ClockTally) -> dict[str, Any]:
    return {**{k: getattr(t, k) for k in COUNT_COLUMNS}, "clock": t.clock,
            "clock_name": clock_label(t.clock)}


def _rows(report: ComplianceReport) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [{"section": "clock", **_counts(t)} for t in report.clocks]
    rows.append({"section": "total", **_counts(report.totals), "clock_name": "All clocks"})
    for b in report.breaches:
        rows.append({"section": "breach", "clock": b.clock,
                     "clock_name": clock_label(b.clock), "case": b.case,
                     "action": b.action, "due_on": b.due_on, "status": b.status,
                     "met_on": b.met_on, "recorded_late": b.recorded_late,
                     "superseded": b.superseded, "paragraph": b.paragraph,
                     "start_assumed": b.start_assumed})
    for e in report.exceptions:
        rows.append({"section": "overdue_action", "case": e.case, "action": e.action,
                     "agency": e.agency, "owner": e.owner,
                     "original_deadline": e.original_deadline, "deadline": e.deadline,
                     "extended": e.extended, "days_overdue": e.days_overdue,
                     "escalation_level": e.escalation_level,
                     "escalations": "; ".join(f"{x['level']} {x['on']}"
                                              for x in e.escalations),
                     "responses": e.responses})
    for c in report.cosignatures_late:
        rows.append({"section": "cosignature_late", "case": c["case"],
                     "decision": c["decision"], "position": c["position"],
                     "occurred_on": c["occurred_on"], "due_on": c["due_on"],
                     "still_to_sign": "; ".join(c["still_to_sign"]),
                     "completed_on": c["completed_on"]})
    rows.append({
        "section": "report", "partnership": report.partnership,
        "period_from": report.period_from.isoformat(),
        "period_to": report.period_to.isoformat(), "as_of": report.as_of.isoformat(),
        "rule_sets": "; ".join(report.rule_sets), "calendars": "; ".join(report.calendars),
        **{f"actions_{k}": report.actions.get(k, 0) for k in ACTION_COUNTS},
        **{f"personal_data_{k}": report.personal_data.get(k, 0)
           for k in PERSONAL_DATA_COUNTS.values()},
    })
    return rows


def to_csv(report: ComplianceReport) -> str:
    """One CSV table (RFC 4180, CRLF line ends) with a ``section`` column; see the module
    docstring for the layout."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in _rows(report):
        writer.writerow([_cell(row.get(c)) for c in CSV_COLUMNS])
    return out.getvalue()
