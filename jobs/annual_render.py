"""The annual report (``jobs.annual``) as JSON, CSV and one self-contained, printable HTML
page in the compliance report's house style (its CSS and cells, ``jobs.render_html``)."""

from __future__ import annotations

import csv
import io
import json
from jobs.annual import SECTIONS, AnnualReport, flat_figures
from jobs.render_chart import chart_svg, pct
from jobs.render_html import _day, _e, _figures_table, page_head

_TITLES = {"referrals": "Referrals", "decisions": "Decisions",
           "reviews": "Reviews commissioned, completed and published",
           "improvements": "Findings and improvements",
           "actions": "Improvement actions", "learning": "Learning below threshold"}


def to_json(report: AnnualReport) -> str:
    return json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n"


def to_csv(report: AnnualReport) -> str:
    """One row per figure (section, figure, value), then one per timeliness count and one
    per action not implemented, with its reason (§23.1), and one per publication delay
    notified, with its reason (§19.1; its recipients in the action column)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["section", "figure", "value", "case", "action", "on", "reason"])
    for section, name, value in flat_figures(report):
        w.writerow([section, name, value, "", "", "", ""])
    for t in report.timeliness:
        for k in ("due", "met_on_time", "met_late", "breached", "pending", "not_required"):
            w.writerow(["timeliness", f"{t['clock']}.{k}", t[k], "", "", "", ""])
    for r in report.not_implemented:
        w.writerow(["not_implemented", "reason", "", r["case"], r["action"], r["on"],
                    r["reason"]])
    for r in report.publication_delays:
        w.writerow(["publication_delayed", "reason", "", r["case"], r["recipients"], r["on"],
                    r["reason"]])
    return out.getvalue()


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _section(report: AnnualReport, section: str) -> str:
    rows = "".join(f'<tr><th scope="row">{_e(_label(k))}<br>'
                   f"<code>{_e(section)}.{_e(k)}</code></th>"
                   f'<td class="n">{v}</td></tr>'
                   for k, v in report.figures[section].items())
    return (f'<section aria-labelledby="s-{section}"><h2 id="s-{section}">'
            f"{_e(_TITLES[section])} <small>({_e(SECTIONS[section])})</small></h2>"
            f'<table><thead><tr><th scope="col">Figure</th><th scope="col" class="n">'
            f"Number</th></tr></thead><tbody>{rows}</tbody></table></section>")


def _not_implemented(report: AnnualReport) -> str:
    if not report.not_implemented:
        body = '<p class="none">No action was closed as not implemented in the period.</p>'
    else:
        rows = "".join(f"<tr><td>{_day(r['on'])}</td><td class='ref'>{_e(r['case'])}</td>"
                       f"<td>{_e(r['action'])}</td><td>{_e(r['reason'])}</td></tr>"
                       for r in report.not_implemented)
        body = ('<table><caption>Actions the partners decided not to implement, with their '
                'reasons (§23.1)</caption><thead><tr><th scope="col">On</th>'
                '<th scope="col">Case</th><th scope="col">Action</th><th scope="col">'
                f"Reason</th></tr></thead><tbody>{rows}</tbody></table>")
    return (f'<section aria-labelledby="s-ni"><h2 id="s-ni">Actions not implemented, and '
            f"why</h2>{body}</section>")


def _publication_delays(report: AnnualReport) -> str:
    if not report.publication_delays:
        body = ('<p class="none">No delay to a publication was notified in the period.</p>')
    else:
        rows = "".join(f"<tr><td>{_day(r['on'])}</td><td class='ref'>{_e(r['case'])}</td>"
                       f"<td>{_e(r['recipients'])}</td><td>{_e(r['reason'])}</td></tr>"
                       for r in report.publication_delays)
        body = ('<table><caption>Delays to publication the partners notified to the '
                'National Panel and the Secretary of State, with their reasons (§19.1)'
                '</caption><thead><tr><th scope="col">On</th><th scope="col">Case</th>'
                '<th scope="col">Told</th><th scope="col">Reason</th></tr></thead>'
                f"<tbody>{rows}</tbody></table>")
    return (f'<section aria-labelledby="s-pd"><h2 id="s-pd">Publications delayed, and '
            f"why</h2>{body}</section>")


def _timeliness(report: AnnualReport) -> str:
    r = report.clock_report
    total = r.totals
    if r.clocks:  # the compliance report's chart and table, for the whole year
        chart = (f"<figure>{chart_svg(r.clocks, 'Timeliness by clock')}</figure>"
                 f"{_figures_table(r)}")
    else:
        chart = '<p class="none">No clock fell due in the period.</p>'
    return (f'<section aria-labelledby="s-time"><h2 id="s-time">Timeliness of decisions '
            f"and duties</h2><p>{total.met_on_time} of {total.decided} deadlines decided in "
            f"the period were met on time ({_e(pct(total.timeliness))}).</p>{chart}"
            f"</section>")


def to_html(report: AnnualReport) -> str:
    r = report
    title = (f"Annual report — {r.partnership}, {r.period_from.isoformat()} to "
             f"{r.period_to.isoformat()}")
    return "\n".join([
        *page_head(title),
        "<header><h1>Child Safeguarding Practice Reviews: annual report</h1>",
        f'<p class="sub">{_e(r.partnership)} · {_day(r.period_from)} to '
        f"{_day(r.period_to)} · position at {_day(r.as_of)}</p></header>",
        "<main>",
        _section(r, "referrals"), _section(r, "decisions"), _timeliness(r),
        _section(r, "reviews"), _publication_delays(r), _section(r, "improvements"), _section(r, "actions"),
        _not_implemented(r), _section(r, "learning"),
        "</main>",
        f"<footer><p>Each figure counts the events that occurred between "
        f"{_day(r.period_from)} and {_day(r.period_to)}, both included; timeliness counts "
        f"the deadlines due in the period, and overdue actions are those open past their "
        f"deadline in force on {_day(r.as_of)}. Paragraph numbers are the local procedure's "
        f"(§23.1, §22).</p><p>Produced by cspr-ledger. This report holds no personal data: "
        f"no names and no free text except the partners' reasons for not implementing an "
        f"action (§23.1) and for delaying a publication (§19.1).</p></footer>",
        "</body></html>", ""])
