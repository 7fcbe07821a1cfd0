"""The compliance report as one self-contained HTML page for a partnership board: no
external CSS, script, font or image; inline CSS and an inline SVG chart; every text escaped;
A4-printable. Import ``to_html`` from ``jobs.render``."""

from __future__ import annotations

from datetime import date
from html import escape

from jobs.compliance import BreachRow, ClockTally, ComplianceReport, OverdueAction
from jobs.render_chart import SEGMENTS, chart_svg, clock_label, pct

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
           "Dec")
_LEVELS = {"head_of_service": "Head of Service", "chief_officer": "Chief Officer",
           "partners": "Safeguarding partners"}
_ESCALATED = ' class="escalated"'

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
 color:#1a1a1a;background:#fff;margin:0 auto;max-width:1000px;padding:24px;line-height:1.4}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.2em;margin:28px 0 8px;
 border-bottom:2px solid #1a1a1a;padding-bottom:2px}
.sub{color:#444;margin:0 0 16px}
.kpis{display:flex;flex-wrap:wrap;gap:10px;list-style:none;padding:0;margin:12px 0}
.kpis li{border:1px solid #bbb;border-left:6px solid #777;padding:6px 12px;min-width:130px}
.kpis b{display:block;font-size:1.6em}.kpis span{font-size:.85em;color:#444}
.kpis .ok{border-left-color:#2e7d32}.kpis .late{border-left-color:#f0a202}
.kpis .bad{border-left-color:#c62828}.kpis .run{border-left-color:#90a4ae}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:8px 0}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
thead th{background:#eceff1}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tfoot td,tfoot th{font-weight:700;background:#f5f5f5}
code{font-size:.85em;color:#444}time,td.ref{white-space:nowrap}
figure{margin:8px 0}figcaption{font-size:.9em;margin-top:4px}.none{color:#444;font-style:italic}
tr.escalated td{background:#fdecea}
.chart text{font-family:inherit}.chart .lb{font-size:12px}.chart .lg{font-size:12px}
.chart .sg{font-size:11px;font-weight:600}.chart .rt{font-size:12px}
.chart .ax{font-size:10px;fill:#555}
footer{margin-top:28px;font-size:.8em;color:#333;border-top:1px solid #ccc;padding-top:8px}
@page{size:A4;margin:14mm}
@media print{body{padding:0;max-width:none;font-size:10pt}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 h2{break-after:avoid}tr,figure,.kpis li{break-inside:avoid}thead{display:table-header-group}
 tfoot{display:table-row-group}}
"""


def _day(value: str | date | None) -> str:
    """A date for people (``3 Apr 2025``) inside a <time> carrying the ISO date."""
    if value is None:
        return ""
    d = value if isinstance(value, date) else date.fromisoformat(value)
    return (f'<time datetime="{d.isoformat()}">'
            f'{d.day} {_MONTHS[d.month - 1]} {d.year}</time>')


def _e(value: object) -> str:
    return "" if value is None else escape(str(value))


def _clock_cell(clock_id: str) -> str:
    return f"{_e(clock_label(clock_id))}<br><code>{_e(clock_id)}</code>"


def _summary(r: ComplianceReport) -> str:
    t, a = r.totals, r.actions
    kpis = [
        ("", t.due, "deadlines due", f"{t.not_required} not required"),
        ("ok", t.met_on_time, "met on time", f"timeliness {pct(t.timeliness)}"),
        ("late", t.met_late, "met late", ""),
        ("bad", t.breached, "breached", ""),
        ("run", t.pending, "still running", f"{t.at_risk} at risk"),
        ("bad", a.get("overdue", 0), "overdue actions",
         f"{a.get('overdue_escalated', 0)} escalated"),
    ]
    items = "".join(f'<li class="{c}"><b>{n}</b>{_e(label)}'
                    f'{"<br><span>" + _e(note) + "</span>" if note else ""}</li>'
                    for c, n, label, note in kpis)
    if t.due:
        text = (f"Of the {t.due} statutory deadlines that fell due between "
                f"{_day(r.period_from)} and {_day(r.period_to)}, {t.met_on_time} were met "
                f"on time, {t.met_late} late and {t.breached} were breached; {t.pending} "
                f"are still running. Timeliness (met on time, of those decided) is "
                f"{_e(pct(t.timeliness))}.")
    else:
        text = (f"No statutory deadline fell due between {_day(r.period_from)} and "
                f"{_day(r.period_to)}.")
    text += (f" {a.get('overdue', 0)} improvement actions were open past their deadline "
             f"on {_day(r.as_of)}, {a.get('overdue_escalated', 0)} of them escalated.")
    return f'<ul class="kpis">{items}</ul>\n<p>{text}</p>\n{_personal_data(r)}'


def _personal_data(r: ComplianceReport) -> str:
    p = r.personal_data
    return (f'<p class="personal-data">Personal data was opened '
            f"{p.get('accessed', 0)} time(s), disclosed {p.get('disclosed', 0)} time(s) and "
            f"erased for {p.get('erased', 0)} case(s) between {_day(r.period_from)} and "
            f"{_day(r.period_to)}; each is a signed event, listed with who, when and why by "
            f"<code>cspr case history</code>.</p>")


def _count_cells(t: ClockTally) -> str:
    return (f'<td class="n">{t.due}</td><td class="n">{t.met_on_time}</td>'
            f'<td class="n">{t.met_late}</td><td class="n">{t.breached}</td>'
            f'<td class="n">{t.pending}'
            f'{f" ({t.at_risk} at risk)" if t.at_risk else ""}</td>'
            f'<td class="n">{t.not_required}</td>'
            f'<td class="n">{_e(pct(t.timeliness))}</td>')


def _figures_table(r: ComplianceReport) -> str:
    head = ("<tr><th scope=\"col\">Clock</th>" + "".join(
        f'<th scope="col" class="n">{h}</th>' for h in
        ("Due", "Met on time", "Met late", "Breached", "Still running", "Not required",
         "Timeliness")) + "</tr>")
    body = "".join(f'<tr><th scope="row">{_clock_cell(t.clock)}</th>{_count_cells(t)}</tr>'
                   for t in r.clocks)
    foot = f'<tr><th scope="row">All clocks</th>{_count_cells(r.totals)}</tr>'
    return (f"<table><caption>Figures by clock (the numbers behind the chart)</caption>"
            f"<thead>{head}</thead><tbody>{body}</tbody><tfoot>{foot}</tfoot></table>")


def _outcome(b: BreachRow) -> str:
    if b.superseded:
        base = "Met in time" if b.status == "met" else "Not required"
        late = ", recorded late" if b.recorded_late else ""
        return f"{base}{late}; breach alert superseded"
    outcome = {"breached": "Breached (not met)", "met_late": "Met late"}.get(b.status, b.status)
    # A clock run from a fallback start: the reader must see the breach rests on it.
    return f"{outcome}; start assumed: {b.start_assumed}" if b.start_assumed else outcome


def _breaches_table(r: ComplianceReport) -> str:
    if not r.breaches:
        return '<p class="none">No clock was breached or met late in the period.</p>'
    head = "".join(f'<th scope="col">{h}</th>' for h in
                   ("Due", "Case", "Clock", "Action", "Outcome", "Met on", "§"))
    rows = "".join(
        f"<tr><td>{_day(b.due_on)}</td><td class='ref'>{_e(b.case)}</td>"
        f"<td>{_clock_cell(b.clock)}</td>"
        f"<td>{_e(b.action)}</td><td>{_e(_outcome(b))}</td><td>{_day(b.met_on)}</td>"
        f"<td>{_e(b.paragraph)}</td></tr>" for b in r.breaches)
    return (f"<table><caption>Clocks breached or met late, by due date</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")


def _escalations(e: OverdueAction) -> str:
    if not e.escalations:
        return "Not yet"
    return "<br>".join(f"{_e(_LEVELS.get(x['level'], x['level']))} {_day(x['on'])}"
                       for x in e.escalations)


def _actions_table(r: ComplianceReport) -> str:
    if not r.exceptions:
        return '<p class="none">No improvement action is open past its deadline.</p>'
    head = "".join(f'<th scope="col"{c}>{h}</th>' for h, c in (
        ("Case", ""), ("Action", ""), ("Agency", ""), ("Owner", ""),
        ("Original deadline", ""), ("Deadline in force", ""), ("Days overdue", ' class="n"'),
        ("Escalated to", ""), ("Responses", ' class="n"')))
    rows = "".join(
        f'<tr{_ESCALATED if e.escalations else ""}><td class="ref">{_e(e.case)}</td>'
        f"<td>{_e(e.action)}</td><td>{_e(e.agency)}</td><td>{_e(e.owner)}</td>"
        f"<td>{_day(e.original_deadline)}</td><td>{_day(e.deadline)}"
        f"{' (extended)' if e.extended else ''}</td>"
        f'<td class="n">{e.days_overdue}</td><td>{_escalations(e)}</td>'
        f'<td class="n">{e.responses}</td></tr>' for e in r.exceptions)
    return (f"<table><caption>Improvement actions open past their deadline, most overdue "
            f"first</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")


def _cosignatures_table(r: ComplianceReport) -> str:
    """Issue 11 item 7 (§8.9, §21.1): joint decisions not fully co-signed after 5 WD."""
    if not r.cosignatures_late:
        return ('<p class="none">Every joint decision of the period was fully co-signed '
                "within 5 working days.</p>")
    head = "".join(f'<th scope="col">{h}</th>' for h in
                   ("Decided", "Case", "Decision", "Position", "Due", "Still to sign",
                    "Completed"))
    rows = "".join(
        f"<tr><td>{_day(c['occurred_on'])}</td><td class='ref'>{_e(c['case'])}</td>"
        f"<td>{_e(c['decision'])}</td><td>{_e(c['position'])}</td>"
        f"<td>{_day(c['due_on'])}</td><td>{_e(', '.join(c['still_to_sign']) or '-')}</td>"
        f"<td>{_day(c['completed_on']) if c['completed_on'] else 'not yet'}</td></tr>"
        for c in r.cosignatures_late)
    return (f"<table><caption>Joint decisions not fully co-signed after 5 working days "
            f"(§8.9, §21.1)</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody>"
            f"</table>")


def _footer(r: ComplianceReport) -> str:
    rule_sets = ", ".join(f"<code>{_e(x)}</code>" for x in r.rule_sets) or "none"
    calendars = ", ".join(f"<code>{_e(x)}</code>" for x in r.calendars) or "none"
    return (
        f"<footer><p>Deadlines computed under rule set(s) {rule_sets} with working-day "
        f"calendar(s) {calendars}; clocks and actions judged at the end of "
        f"{_day(r.as_of)} (Europe/London). A clock counts in the period when its due date "
        f"falls between {_day(r.period_from)} and {_day(r.period_to)}, both included; "
        f"clocks that were not required are not counted as due. Timeliness is the share "
        f"met on time among the clocks whose outcome is known (met on time, met late or "
        f"breached); clocks still running are left out. An action is overdue when it is "
        f"still open after its deadline in force, whatever the period; its original "
        f"deadline is shown too (§13.4). A breach alert later contradicted by a "
        f"late-recorded event is never erased: it is listed as superseded.</p>"
        f"<p>Produced by cspr-ledger. This report holds no personal data.</p></footer>")


def page_head(title: str) -> list[str]:
    """The lines that open every report page: self-contained, the house style inline."""
    return ["<!DOCTYPE html>", '<html lang="en-GB">', '<head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>", f"<style>{CSS}</style></head>", "<body>"]


def to_html(report: ComplianceReport) -> str:
    r = report
    title = (f"Statutory timescales: compliance report — {r.partnership}, "
             f"{r.period_from.isoformat()} to {r.period_to.isoformat()}")
    if r.clocks:
        chart = chart_svg(r.clocks, f"Timeliness by clock, {r.period_from.isoformat()} to "
                                    f"{r.period_to.isoformat()}")
        legend = ", ".join(label.lower() for _, label, _, _ in SEGMENTS)
        chart += (f'<figcaption class="none">Each bar is 100% of the deadlines of that '
                  f"clock due in the period, split into {legend}; the figure on the right "
                  f"is the share met on time and the number due.</figcaption>")
    else:
        chart = '<p class="none">No clock fell due in the period.</p>'
    return "\n".join([
        *page_head(title),
        "<header><h1>Child Safeguarding Practice Reviews: statutory timescales</h1>",
        f'<p class="sub">{_e(r.partnership)} · compliance report for '
        f"{_day(r.period_from)} to {_day(r.period_to)} · position at {_day(r.as_of)}</p>"
        "</header>",
        "<main>",
        f'<section aria-labelledby="s-summary"><h2 id="s-summary">Summary</h2>'
        f"{_summary(r)}</section>",
        f'<section aria-labelledby="s-chart"><h2 id="s-chart">Timeliness by clock</h2>'
        f"<figure>{chart}</figure>{_figures_table(r)}</section>",
        f'<section aria-labelledby="s-breaches"><h2 id="s-breaches">Breaches and late '
        f"clocks</h2>{_breaches_table(r)}</section>",
        f'<section aria-labelledby="s-actions"><h2 id="s-actions">Overdue improvement '
        f"actions</h2>{_actions_table(r)}</section>",
        f'<section aria-labelledby="s-cosign"><h2 id="s-cosign">Joint decisions awaiting '
        f"co-signature</h2>{_cosignatures_table(r)}</section>",
        "</main>",
        _footer(r),
        "</body></html>",
        "",
    ])
