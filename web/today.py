"""Today (issue 12): what needs someone's attention now, on one page.

- the statutory clocks breached or at risk today (the rows of `cspr deadlines`, with the
  clock's name: service.queries.Queries.attention), summarised: how many of each clock
  are breached and at risk, each count linking to the case list filtered to that clock
  and status, then the most urgent ``LIMIT`` (breached first, then the soonest due);
- the letters in the outbox not yet sent (pending delivery, or held for a person);
- the joint decisions still awaiting a co-signature (as `cspr case show` lists them under
  ``awaiting_cosignature``, with the case added), the soonest due first;
- the last nightly run, from what `cspr jobs nightly` leaves under the home: the newest
  checkpoints/checkpoint-DATE.json and reports/compliance-DATE.html, its verify result
  from nightly/ (the open integrity alarms; the last position verified clean), and the
  cron wrapper's logs/last-run.json where it is used (how the last attempt ended).

A ledger of 2,000 cases has thousands of clocks breached or at risk: listing each made the
page 1.4 MB and over a second to render (bench/web.py), and nobody reads such a list. The
page shows counts and the head of the list; the letters and decisions are capped the same
way, with how many more there are.

``?format=json`` gives the same keys, for scripts:
``{"today", "clock_counts": [{"clock", "name", "breached", "at_risk"}], "clocks": [the
most urgent LIMIT rows of deadlines, with "name"], "clocks_total", "clocks_limit",
"letters": {"pending", "held", "letters": [every letter]}, "awaiting_cosignature": [every
decision], "last_nightly", "unreadable_cases"}``. The clocks are the one list cut short
(``clocks_total`` says by how much): every one is in `cspr deadlines --json`, and per case
in ``/cases?clock=ID&status=breached&format=json``. Letters and decisions waiting are few
by nature and kept whole.

Any signed-in person sees it: it names cases, clocks and counts, never personal data.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from flask import Blueprint, render_template

from domain.calendar import london_date
from jobs.clock_names import CLOCK_LABELS, clock_label
from jobs.outbox import Outbox
from service.calendar_england import england_calendar
from service.home import Home
from service.queries import Queries
from web import context
from web.session_actor import requires

bp = Blueprint("today", __name__)

# How many clocks, letters and decisions the page lists before "and K more".
LIMIT = 20
_DAY = r"-(\d{4}-\d{2}-\d{2})\."


def most_urgent(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Breached first, then the soonest due: what to act on first is at the top."""
    return sorted(rows, key=lambda r: (r["status"] != "breached", r["due_on"], r["case"]))


def clock_counts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """How many of each clock are breached and at risk, in the order of PROCEDURE.md's
    clocks (CLOCK_LABELS), a clock of a later rule set after them."""
    counts = Counter((r["clock"], r["status"]) for r in rows)
    known = list(CLOCK_LABELS)
    ids = sorted({r["clock"] for r in rows},
                 key=lambda c: (known.index(c) if c in known else len(known), c))
    return [{"clock": c, "name": clock_label(c), "breached": counts[(c, "breached")],
             "at_risk": counts[(c, "at_risk")]} for c in ids]


def letters(home: Home) -> dict[str, Any]:
    """Letters not yet sent: the case and file of each, never its recipients."""
    outbox = Outbox(home.outbox, "unused@localhost")  # read only: the sender is not used
    pending = [{"case": m.case, "file": m.name, "state": "pending"} for m in outbox.pending()]
    held = [{"case": m.case, "file": m.name, "state": "held"} for m in outbox.held()]
    return {"pending": len(pending), "held": len(held), "letters": pending + held}


def _newest(folder: Path, stem: str, suffix: str) -> tuple[str, Path] | None:
    """The newest ``<stem>-DATE.<suffix>`` in ``folder``, with its date."""
    if not folder.is_dir():
        return None
    named = re.compile(f"^{stem}{_DAY}{suffix}$")
    dated = [(m.group(1), p) for p in folder.iterdir() if (m := named.match(p.name))]
    return max(dated) if dated else None


def _read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return default


def last_nightly(home: Home) -> dict[str, Any]:
    """What the last `cspr jobs nightly` left behind. A run stopped by an integrity alarm
    writes no checkpoint and no report: the open alarms say so (verify_ok false)."""
    checkpoint = _newest(home.root / "checkpoints", "checkpoint", "json")
    report = _newest(home.reports, "compliance", "html")
    state = home.root / "nightly"
    mark = _read_json(state / "verified.json", {})
    open_alarms = [a for a in _read_json(state / "alarms.json", [])
                   if a.get("acknowledged_at") is None]
    ran = [d for d, _ in (checkpoint, report) if d] if (checkpoint or report) else []
    cp = _read_json(checkpoint[1], {}) if checkpoint else {}
    # The cron wrapper's record of its last attempt (cron/cspr-nightly), when it is used:
    # how it ended, even a run that crashed before writing anything else.
    wrapper = _read_json(home.root / "logs" / "last-run.json", None)
    return {
        "as_of": max(ran) if ran else None,
        "checkpoint_size": cp.get("size"),
        "checkpoint_root": cp.get("root_hash"),
        "report": report[1].name if report else None,
        "verified_up_to": mark.get("position"),
        "full_verify_on": mark.get("full_on"),
        "verify_ok": not open_alarms if (ran or mark or open_alarms) else None,
        "open_alarms": [{k: a.get(k) for k in ("position", "kind", "raised_at")}
                        for a in open_alarms],
        "wrapper": {k: wrapper.get(k) for k in ("start", "end", "exit_code", "status")}
        if isinstance(wrapper, dict) else None,
    }


def today_json() -> dict[str, Any]:
    q = Queries(context.ledger(), context.now(), england_calendar())
    rows = q.attention()
    return {
        "today": london_date(context.now()).isoformat(),
        "clock_counts": clock_counts(rows),
        "clocks": [{**r, "name": clock_label(r["clock"])}
                   for r in most_urgent(rows)[:LIMIT]],
        "clocks_total": len(rows),
        "clocks_limit": LIMIT,
        "letters": letters(context.home()),
        "awaiting_cosignature": sorted(q.awaiting_cosignature(),
                                       key=lambda d: (d["due_on"], d["position"])),
        "last_nightly": last_nightly(context.home()),
        # Cases whose events could not be read are named, as the CLI does (exit 1 there).
        "unreadable_cases": sorted(q.unreadable),
    }


@bp.get("/today")
@requires()
def today() -> Any:
    data = today_json()
    if context.wants_json():
        return data
    return render_template("today.html", title="Today", limit=LIMIT, **data)
