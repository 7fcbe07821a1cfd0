"""The Scrutineer's pages (issue 12): the decision trail (each case's, on its case page),
the verification status with the last witnessed checkpoint, the compliance report for a
period, and an evidence pack of a period as a download.

For the Independent Scrutineer, and the admin who keeps the ledger. Each answer is the
CLI's (web.scrutineer_data, service.compliance_report): `cspr verify`, `cspr report
compliance`, `cspr evidence export`. Verifying reads every event, so it runs when asked
(its own page), not on every visit; the index shows what the last nightly verify found. The period is two dates in the
query string (or the form): never personal data.
"""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from typing import Any

from flask import Blueprint, Response, render_template, request, send_file

from domain.calendar import add_months
from domain.errors import CsprError, InvalidFieldError
from service.calendar_england import england_calendar
from service.queries import Queries, parse_day
from web import context
from service.compliance_report import MEDIA, compliance_text
from web.scrutineer_data import checkpoints, evidence_pack, verification
from web.session_actor import requires
from web.today import last_nightly

bp = Blueprint("scrutineer", __name__)

ROLES = ("scrutineer", "admin")
FORMATS = ("html", "csv", "json")


def _queries() -> Queries:
    return Queries(context.ledger(), context.now(), england_calendar())


def _period(values: Any, today: date) -> tuple[dict[str, str], date | None, date | None,
                                               list[dict[str, str]]]:
    """The period asked for (default: the 12 months to today), as typed and as dates, and
    the problems with it, each naming its field (never repeating what was typed)."""
    typed = {"from": (values.get("from") or "").strip(), "to": (values.get("to") or "").strip()}
    typed["from"] = typed["from"] or (add_months(today, -12) + timedelta(days=1)).isoformat()
    typed["to"] = typed["to"] or today.isoformat()
    days: dict[str, date | None] = {}
    errors = []
    for name, label in (("from", "First day"), ("to", "Last day")):
        try:
            days[name] = parse_day(typed[name], name)
        except InvalidFieldError as e:
            days[name] = None
            errors.append({"text": f"{label}: {e.problem}; expected {e.expected}",
                           "href": f"#period-{name}"})
    if days["from"] and days["to"] and days["to"] < days["from"]:
        errors.append({"text": "Last day: before the first day; expected a day on or "
                               "after it", "href": "#period-to"})
    return typed, days["from"], days["to"], errors


def _index(status: int = 200, errors: list[dict[str, str]] | None = None,
           pack: dict[str, str] | None = None) -> Any:
    q = _queries()
    today = q.today
    period, _, _, _ = _period({}, today)
    data = {"cases": q.case_list(), "last_nightly": last_nightly(context.home()),
            "checkpoints": checkpoints(q.app), "unreadable_cases": sorted(q.unreadable)}
    if context.wants_json():
        if errors:
            return {"error": "there is a problem with the request",
                    "problems": [e["text"] for e in errors]}, status
        return data
    return render_template("scrutineer/index.html", title="Scrutineer", period=period,
                           pack=pack or period, errors=errors or [], formats=FORMATS,
                           **data), status


@bp.get("/scrutineer")
@requires(*ROLES)
def index() -> Any:
    return _index()


@bp.get("/scrutineer/verify")
@requires(*ROLES)
def verify_now() -> Any:
    """`cspr verify`: intact, or each finding with its position."""
    report = verification(context.home())
    if context.wants_json():
        return report
    return render_template("scrutineer/verify.html", title="Verification", report=report,
                           checkpoints=checkpoints(context.ledger()))


@bp.get("/scrutineer/compliance")
@requires(*ROLES)
def compliance() -> Any:
    """`cspr report compliance --from --to --format`: a download, in the format asked for
    (``format``: html, the default, csv or json)."""
    fmt = request.args.get("format") or "html"
    q = _queries()
    typed, start, end, errors = _period(request.args, q.today)
    if fmt not in FORMATS:
        errors.append({"text": "Format: not one offered; expected html, csv or json",
                       "href": "#period-from"})
    if errors:
        return _index(400, errors)
    text = compliance_text(q, start, end, fmt)
    name = f"compliance-{start.isoformat()}-to-{end.isoformat()}.{fmt}"
    return Response(text, mimetype=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/scrutineer/evidence-pack")
@requires(*ROLES)
def evidence_pack_download() -> Any:
    """`cspr evidence export --from --to`: the pack's zip, which its own verify.py checks.
    A period with no events, or a pack that does not verify, is a problem on the form,
    and nothing is appended."""
    typed, start, end, errors = _period(request.form, _queries().today)
    if not errors:
        try:
            name, data = evidence_pack(context.ledger(), context.home(), start, end,
                                       context.state().clock)
        except InvalidFieldError:  # the only one a period can cause: no events in it
            errors.append({"text": "First day: the ledger recorded no events in this "
                                   "period; expected a period with events",
                           "href": "#pack-from"})
        except CsprError as e:  # e.g. the pack does not verify: the CLI's words
            errors.append({"text": f"No pack was made: {e}", "href": "#pack-from"})
    if errors:
        return _index(400, [dict(e, href=e["href"].replace("period", "pack"))
                            for e in errors], typed)
    return send_file(BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name=name)
