"""The nightly's integrity check: verify what is new since the last clean mark (the whole
ledger once a week), compare the read models with the events (with the rebuild kept from
the night before, projections.reference; from scratch once a week), keep the alarm up.

Nothing is recorded on a ledger that does not verify: ``verify_since_mark`` returns None
while any finding is open, and the run then records nothing and signs no checkpoint
(jobs.alarms keeps the findings and the mark).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from domain.calendar import london_date
from jobs import alarms
from jobs.nightly_result import NightlyResult
from ledger.app import LedgerApplication
from ledger.report import Report
from ledger.verify import verify_ledger
from projections.reference import reference_path
from service.home import Home
from service.read_models import check_read_models

# Incremental verify starts at the last clean mark, so it would never see an *older* row
# changed by someone with database access; the whole ledger is verified again this often
# (the first run, and then weekly; about 12 minutes for a million events here).
FULL_VERIFY_EVERY = timedelta(days=7)


def verify_since_mark(app: LedgerApplication, home: Home, now: datetime,
                      result: NightlyResult, full_every: timedelta | None = None,
                      views: bool = False) -> Report | None:
    """Verify from the last position verified clean (the whole ledger when the last full
    verify is ``full_every`` old or more); None while any finding is open."""
    mark = alarms.load_mark(home.root)
    today = london_date(now)
    full = full_every is not None and (
        mark.full_on is None or today - date.fromisoformat(mark.full_on) >= full_every)
    since = 0 if full else mark.position
    check = verify_ledger(app, since=since, since_hash=None if full else mark.chain_hash)
    if views:  # every read model against the events: an edited row misleads this run
        # Against the rebuild kept from last night, brought up to date (issue 13); rebuilt
        # from the events alone on the weekly full verify (projections.reference).
        check_read_models(app, check, reference=reference_path(home.root), full=full)
    result.events_verified += check.events_checked
    # Positions and kinds only: the JSON goes to logs, and a detail may quote a tampered
    # row's text.
    result.problems += [{"position": p.position, "kind": p.kind,
                         "acknowledged_at": p.acknowledged_at} for p in check.problems]
    # Every finding, acknowledged by verify's reckoning or not: jobs.alarms decides which
    # acknowledgement counts (one recorded after the finding was raised).
    result.alarms = alarms.update_alarms(
        home.root, app, alarms.grouped([alarms.finding(p) for p in check.problems]),
        check.acknowledgements,
        check.size, now.isoformat())
    result.verify_ok = not result.alarms
    if result.alarms:
        return None
    alarms.advance_mark(home.root, check.size, check.stored_head,
                        today.isoformat() if full else None)
    return check
