"""The pack's index.html: one self-contained page (inline CSS, no script), readable on
screen and in print, built only from the pack's events that verify.py verified.

It shows the checks performed and their result, the decision trail (who, in which role,
decided what, when, why, under which key), each clock of a case with its working (start,
rule, working days counted, bank holidays skipped, due date, status, rule set and
paragraph), escalations and breaches, and every event of the pack. The clocks are those
of ``projections.case_view``, folded from the verified events alone; a period pack holds
only part of each case's events, so it shows no clocks.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from typing import Any, Iterable

from domain.calendar import WorkingDayCalendar, london_date
from domain.clocks import ClockState
from domain.rulesets import DEFAULT_RULE_SET, RuleSet
from projections.case_view import CaseView, decision_rows, stage_of
from projections.rule_sets import RuleSetHistory
from projections.source import LedgerFact, fact_from_payload
from service.calendar_england import england_calendar

ESCALATIONS = ("action-escalated", "deadline-breached", "escalation-responded",
               "action-extended", "action-not-implemented")
_UNITS = {"wd": "working days after", "months": "calendar months after",
          "wd_before": "working days before", "years_after": "years after (at least)"}
_CSS = """
body{font:15px/1.45 Georgia,serif;margin:2em auto;max-width:70em;color:#111;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #888;margin-top:1.6em}
table{border-collapse:collapse;width:100%;margin:.5em 0;font-size:.9em}
th,td{border:1px solid #bbb;padding:.25em .4em;text-align:left;vertical-align:top}
th{background:#eee}.ok{color:#064}.bad{color:#a00;font-weight:bold}
code{font-size:.85em;word-break:break-all}.note{background:#f4f4ea;padding:.6em;
border-left:4px solid #064}
@media print{body{margin:0;max-width:none;font-size:10pt}h2{page-break-after:avoid}
tr{page-break-inside:avoid}.note{border:1px solid #064}}
"""


def _table(headers: list[str], rows: Iterable[Iterable[Any]]) -> str:
    rows = list(rows)
    if not rows:
        return "<p>(none)</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return escape(", ".join(str(v) for v in value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return escape(str(value))


def render(checked: Any, manifest: dict[str, Any], now: datetime) -> str:
    """The page of a pack whose check (evidence.verify_pack.Check) found no problem."""
    if checked.problems:
        raise ValueError("only a pack that verified is rendered")
    verified = checked.verified
    facts = [fact_from_payload(v["position"], v["payload"]) for v in verified if v["in_scope"]]
    roles = {v["position"]: v["roles"] for v in verified}
    rules = _rule_sets([v for v in verified])
    scope, cp = manifest["scope"], manifest["checkpoint"]
    what = (f"case {scope['case']}" if scope["kind"] == "case" else
            f"events recorded {scope['from']} to {scope['to']} (London days), "
            f"positions {scope['first']} to {scope['last']}")
    parts = [
        f"<h1>Evidence pack: {escape(manifest['partnership'])}</h1>",
        f"<p>{escape(what)}; {len(facts)} events; made {escape(manifest['created_at'])}; "
        f"ledger <code>{escape(manifest['ledger'])}</code>, checkpoint of {cp['size']} "
        f"events, root <code>{escape(cp['root_hash'])}</code>.</p>",
        "<p class='note'>Everything on this page was built from the events of this pack "
        "<b>after</b> they were verified: each signature with the key the ledger's own "
        "key events registered, each event's inclusion in the signed checkpoint, the "
        "signed heads, and every file against the signed manifest. Run <code>python "
        "verify.py . --vkey VKEY</code> with the partnership's published system key to "
        "check it again; trust this page only once that says <i>intact</i>. Personal data "
        "(names, dates of birth, addresses, summaries) is not in this pack.</p>",
        "<h2>Checks performed</h2>",
        _table(["check", "passed", "result"],
               [(c, n, "passed") for c, n in checked.done]),
    ]
    cases = sorted({f.case for f in facts if f.case})
    calendar = england_calendar()
    for case in cases:
        mine = [f for f in facts if f.case == case]
        parts.append(f"<h2>Case {escape(case)}: decision trail</h2>")
        parts.append(_trail(case, mine, roles))
        if scope["kind"] == "case":
            view = CaseView.fold(case, mine, rules.for_case(mine), calendar, london_date(now))
            parts.append(f"<h2>Case {escape(case)}: clocks (stage "
                         f"{escape(stage_of(mine))}, as of {london_date(now)})</h2>")
            parts.append(_clocks(view, calendar))
        parts.append(f"<h2>Case {escape(case)}: escalations, breaches, extensions</h2>")
        parts.append(_table(["position", "type", "occurred", "action", "details", "by"],
                            [(f.position, f.type, f.occurred_at, f.action, _details(f),
                              f.actor) for f in mine if f.type in ESCALATIONS]))
    parts.append("<h2>Every event of the pack</h2>")
    parts.append(_table(["position", "type", "case", "occurred", "recorded", "actor",
                         "role", "key id"],
                        [(f.position, f.type, f.case, f.occurred_at,
                          f.recorded_at.isoformat(), f.actor, roles[f.position], f.key_id)
                         for f in facts]))
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>Evidence pack: {escape(what)}</title><style>{_CSS}</style></head>"
            f"<body>{''.join(parts)}</body></html>\n")


def _rule_sets(verified: list[dict[str, Any]]) -> RuleSetHistory:
    entries = [(date.min, v["payload"]["data"]["rule_set"]) for v in verified
               if v["payload"]["type"] == "ledger-initialised"]
    entries += sorted((date.fromisoformat(v["payload"]["data"]["effective_from"]),
                       v["payload"]["data"]["rule_set"]) for v in verified
                      if v["payload"]["type"] == "rule-set-adopted")
    return RuleSetHistory(tuple(entries or [(date.min, DEFAULT_RULE_SET)]))


def _details(f: LedgerFact) -> str:
    return "; ".join(f"{k}: {v}" for k, v in sorted(f.data.items()) if k != "action")


def _trail(case: str, facts: list[LedgerFact], roles: dict[int, list[str]]) -> str:
    return _table(
        ["when (occurred)", "recorded", "who", "role", "decision", "outcome", "why",
         "decided by", "key id", "position"],
        [(d["occurred_at"], d["recorded_at"] + (" (late)" if d["recorded_late"] else ""),
          d["recorded_by"], roles[d["position"]], d["decision"] + (
              f" ({d['action']})" if d["action"] else ""), d["outcome"], d["rationale"],
          d["decided_by"], d["key_id"], d["position"]) for d in decision_rows(case, facts)])


def _clocks(view: CaseView, calendar: WorkingDayCalendar) -> str:
    rows = []
    for c in view.clocks:
        rule = _rule(view.rule_set, c)
        working = "" if rule is None else f"{rule.amount} {_UNITS.get(rule.unit, rule.unit)} " \
                                          f"{rule.start}"
        status = c.status.replace("_", " ") + (", recorded late" if c.recorded_late else "") \
            + ("; breach alert superseded" if c.breach_superseded else "") \
            + (f"; start assumed: {c.start_assumed}" if c.start_assumed else "")
        rows.append((c.clock + (f" ({c.action})" if c.action else ""), c.starts_on, working,
                     _counted(c, rule, calendar), _holidays(c, rule, calendar),
                     c.due_on, c.original_due_on if c.original_due_on != c.due_on else None,
                     status, c.met_on, f"{c.rule_set} {c.paragraph}"))
    return _table(["clock", "starts", "rule", "working days counted", "bank holidays "
                   "skipped", "due", "originally due", "status", "met on",
                   "rule set and paragraph"], rows)


def _rule(rule_set: RuleSet, c: ClockState) -> Any:
    try:
        return rule_set.clock(c.clock)
    except KeyError:
        return None


def _span(c: ClockState, rule: Any) -> tuple[date, date] | None:
    if rule is None or c.starts_on is None or c.due_on is None:
        return None
    return (c.due_on, c.starts_on) if c.due_on < c.starts_on else (c.starts_on, c.due_on)


def _counted(c: ClockState, rule: Any, calendar: WorkingDayCalendar) -> Any:
    span = _span(c, rule)
    if span is None or not rule.unit.startswith("wd"):
        return None
    lo, hi = span
    days = (hi - lo).days
    return sum(1 for i in range(1, days + 1)
               if calendar.is_working_day(date.fromordinal(lo.toordinal() + i)))


def _holidays(c: ClockState, rule: Any, calendar: WorkingDayCalendar) -> Any:
    span = _span(c, rule)
    if span is None or not rule.unit.startswith("wd"):
        return None
    lo, hi = span
    found = sorted(d for y in range(lo.year, hi.year + 1) for d in calendar.holidays_of(y)
                   if lo < d <= hi and d.weekday() < 5)
    return [d.isoformat() for d in found] or "none"
