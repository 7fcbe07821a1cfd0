"""Cases (issue 12): the list with its filters, one case's page (as it stands, or as it
stood on a day), and what changed between two instants of recording.

Read through service.queries.Queries, as `cspr case list`, `case show`, `case history`,
`actions` and `case diff` read it; ``?format=json`` gives the CLI's keys (web.case_data).
Nothing personal is shown: the timeline names each event's type, dates and signer, never
its fields; opening personal fields is a separate, recorded action, not offered here. The
query parameters are a stage, a yes/no, dates and instants: never personal data.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, render_template, request

from cli.display import note, outcome, publication_delay_lines
from domain.errors import CsprError, InvalidFieldError, UnknownCaseError
from jobs.clock_names import CLOCK_LABELS, clock_label
from projections.case_view import STAGES
from projections.projector import UnreadableCasesError
from service.calendar_england import england_calendar
from service.queries import Queries, parse_day, parse_instant
from web import context
from web.case_data import case_page, diff_page
from web.session_actor import requires

bp = Blueprint("cases", __name__)

# Who reads cases: everyone who records or oversees them. An agency contributes its own
# information (§8.4) and sees no partnership-wide case pages.
CASE_ROLES = ("business_unit", "partner", "scrutineer", "ld_chair", "reviewer", "admin")
STAGE_NAMES = tuple(stage for _, stage in STAGES)
# The statuses Today counts; the filter's choices, with their words.
CLOCK_STATUSES = {"breached": "Breached", "at_risk": "At risk"}


def _queries() -> Queries:
    return Queries(context.ledger(), context.now(), england_calendar())


def _refused(template: str, status: int, errors: list[dict[str, str]], **page: Any) -> Any:
    if context.wants_json():
        return {"error": "there is a problem with the request",
                "problems": [e["text"] for e in errors]}, status
    return render_template(template, errors=errors, **page), status


def _problem(e: InvalidFieldError, href: str, label: str) -> dict[str, str]:
    # The CLI's words: the field, what was wrong, what is expected; never the value typed.
    return {"text": f"{label}: {e.problem}; expected {e.expected}", "href": href}


def _clock_filter(q: Queries) -> tuple[str | None, str | None, set[str] | None]:
    """``clock=<clock id>`` and ``status=breached|at_risk``, the filters Today links to:
    the clock and status asked for, and the cases with such a clock today (None: no such
    filter). Each is a choice: an unknown value filters nothing and is never shown."""
    clock = request.args.get("clock") or None
    status = request.args.get("status") or None
    if status not in CLOCK_STATUSES:
        status = None
    if clock is None and status is None:
        return None, None, None
    # Breached or at risk: only the clocks that can be are read (Queries.attention).
    rows = q.attention() if status else q.deadlines(None, None)
    if clock is not None and clock not in CLOCK_LABELS and \
            clock not in {r["clock"] for r in rows}:
        clock = None  # a clock of a later rule set is a choice once the ledger has one
    if clock is None and status is None:
        return None, None, None
    return clock, status, {r["case"] for r in rows if (clock is None or r["clock"] == clock)
                           and (status is None or r["status"] == status)}


@bp.get("/cases")
@requires(*CASE_ROLES)
def case_list() -> Any:
    """`cspr case list`, filtered by stage, by whether a clock is breached, and by a clock
    and its status today (a case is kept if one of its clocks matches both)."""
    q = _queries()
    rows = q.case_list()
    stage = request.args.get("stage") or None
    breached = request.args.get("breached") == "yes"
    if stage is not None and stage not in STAGE_NAMES:
        stage = None  # an unknown stage filters nothing: the filter is a choice, not text
    clock, status, with_clock = _clock_filter(q)
    shown = [r for r in rows if (stage is None or r["stage"] == stage)
             and (not breached or r["breached"] > 0)
             and (with_clock is None or r["case"] in with_clock)]
    if context.wants_json():
        return shown
    clocks = {**CLOCK_LABELS, **({clock: clock_label(clock)} if clock else {})}
    return render_template("cases/list.html", title="Cases", rows=shown, total=len(rows),
                           stages=STAGE_NAMES, stage=stage, breached=breached,
                           clocks=clocks, clock=clock, statuses=CLOCK_STATUSES,
                           status=status, unreadable=sorted(q.unreadable))


def _occurred_by() -> tuple[date | None, dict[str, str]]:
    """The "as it stood on" day: ``occurred_by=YYYY-MM-DD`` (scripts) or the GOV.UK date
    input's three boxes; the boxes as typed, to give them back on an error."""
    parts = {p: request.args.get(f"occurred_by-{p}", "").strip()
             for p in ("day", "month", "year")}
    text = request.args.get("occurred_by")
    if text is None and any(parts.values()):
        d, m, y = parts["day"], parts["month"], parts["year"]
        text = f"{y.zfill(4)}-{m.zfill(2)}-{d.zfill(2)}" if all(
            v.isdigit() and len(v) <= 4 for v in (d, m, y)) else ""
    return parse_day(text, "occurred_by") if text is not None else None, parts


@bp.get("/cases/<path:ref>")
@requires(*CASE_ROLES)
def case_show(ref: str) -> Any:
    """`cspr case show REF [--occurred-by DAY]`, with its timeline, trail and actions."""
    q = _queries()
    parts: dict[str, str] = {}
    page = {"title": f"Case {ref}", "ref": ref}
    try:
        day, parts = _occurred_by()
        shown = case_page(q, ref, day)
    except UnknownCaseError:
        abort(404)
    except InvalidFieldError as e:
        return _refused("cases/show.html", 400, [_problem(e, "#occurred_by-day", "As it stood on")],
                        view=None, parts=parts, **page)
    except UnreadableCasesError:
        abort(500)
    if context.wants_json():
        return shown
    days = {(c["clock"], c["action"]): c for c in shown["clock_days"]}
    return render_template("cases/show.html", view=shown, days=days, parts=parts,
                           occurred_by=day, errors=[], note=note, outcome=outcome,
                           publication_lines=publication_delay_lines, **page)


@bp.get("/case-diff/<path:ref>")
@requires(*CASE_ROLES)
def case_diff(ref: str) -> Any:
    """`cspr case diff REF --from --to`: events added, clocks changed, decisions made
    between two instants of recording (a bare date: the end of that London day).

    Not under /cases/REF/diff: a case reference may itself hold "/" (limits.REF_PATTERN),
    so that address could be another case's page."""
    since_text, until_text = request.args.get("from", ""), request.args.get("to", "")
    page = {"title": f"Changes to case {ref}", "ref": ref, "since": since_text,
            "until": until_text}
    if not since_text and not until_text and not context.wants_json():
        return render_template("cases/diff.html", diff=None, errors=[], **page)
    errors = []
    instants = {}
    for name, text in (("from", since_text), ("to", until_text)):
        try:
            instants[name] = parse_instant(text or None, name)
            if instants[name] is None:
                raise InvalidFieldError(name, "an ISO date or date-time", "missing")
        except InvalidFieldError as e:
            errors.append(_problem(e, f"#diff-{name}", name.capitalize()))
    if errors:
        return _refused("cases/diff.html", 400, errors, diff=None, **page)
    try:
        d = diff_page(_queries(), ref, instants["from"], instants["to"])
    except UnknownCaseError:
        abort(404)
    except CsprError:
        abort(500)
    if context.wants_json():
        return d
    return render_template("cases/diff.html", diff=d, errors=[], outcome=outcome,
                           label=clock_label, **page)
