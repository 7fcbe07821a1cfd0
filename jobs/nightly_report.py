"""What the nightly leaves for people: the signed checkpoint's file and the year's
compliance report, from the clock rows the run already read.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from domain.calendar import WorkingDayCalendar
from jobs.compliance import compliance
from jobs.files import replace_file
from jobs.render import to_csv, to_html, to_json
from ledger.app import LedgerApplication
from projections import read
from projections.signed import personal_data_log
from service.cosigning import late_cosignature_rows
from service.home import Home

# Above this many changed cases one read of every clock costs less than a query per case
# (the first night records breaches in most cases; a later night in a handful).
_PER_CASE_LIMIT = 200


def refresh_clocks(app: LedgerApplication, as_of: date, clocks: list[dict[str, Any]],
                   since: int, upto: int) -> list[dict[str, Any]]:
    """``clocks``, read once the read models had reached position ``since``, as a new
    read would give them once they reached ``upto``: only the cases with an event in
    between are read again (each case's rows are its own), the others kept as read."""
    t = app.events_table
    with app.engine.connect() as conn:
        touched = set(conn.execute(
            select(t.c.case_ref).distinct()
            .where(t.c.position > since, t.c.position <= upto,
                   t.c.case_ref.is_not(None))).scalars())
    if not touched:
        return clocks
    if len(touched) > _PER_CASE_LIMIT:
        return read.clock_rows(app, as_of)
    fresh = {case: read.clock_rows(app, as_of, case) for case in touched}
    out: list[dict[str, Any]] = []
    for row in clocks:
        rows = fresh.get(row["case"])
        if rows is None:
            out.append(row)
        elif rows:  # the case's new rows where its old ones began
            out += rows
            fresh[row["case"]] = []
    if any(fresh.values()):
        # A case with no clock at the first read: where it sorts is the database's
        # collation's business, so the database orders it.
        return read.clock_rows(app, as_of)
    return out


def save_checkpoint(home: Home, as_of: date, cp: dict[str, Any]) -> None:
    folder = home.root / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    replace_file(folder / f"checkpoint-{as_of.isoformat()}.json",
                 json.dumps(cp, indent=2, sort_keys=True) + "\n")


def write_report(app: LedgerApplication, home: Home, as_of: date,
                 clocks: list[dict[str, Any]], failed: set[str],
                 calendar: WorkingDayCalendar) -> Path:
    period_from = as_of.replace(year=as_of.year - 1) + timedelta(days=1) \
        if not (as_of.month == 2 and as_of.day == 29) else date(as_of.year - 1, 3, 1)
    report = compliance([c for c in clocks if c["case"] not in failed],
                        [a for a in read.action_rows(app) if a["case"] not in failed],
                        period_from, as_of, as_of, app.partnership(),
                        personal_data_log(app),
                        # Issue 11 item 7: joint decisions not fully co-signed after 5 WD.
                        late_cosignature_rows(app, calendar, as_of))
    home.reports.mkdir(parents=True, exist_ok=True)
    stem = home.reports / f"compliance-{as_of.isoformat()}"
    for suffix, render in ((".html", to_html), (".json", to_json), (".csv", to_csv)):
        replace_file(stem.with_suffix(suffix), render(report))
    return stem.with_suffix(".html")
