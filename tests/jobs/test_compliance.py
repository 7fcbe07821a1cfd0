"""The board's compliance report: counts by hand, properties, and the three renderings."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date, datetime, timezone
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.clocks import ClockState
from domain.rulesets import WT2018_LOCAL
from jobs.compliance import ComplianceReport, compliance
from jobs.render import CSV_COLUMNS, to_csv, to_html, to_json
from jobs.render_chart import pct
from projections.actions import action_rows
from projections.case_view import clock_row, clocks_of
from projections.source import LedgerFact
from service.calendar_england import england_calendar

FROM, TO, AS_OF = date(2025, 4, 1), date(2025, 7, 31), date(2025, 7, 10)


def clock(case: str, clock_id: str, due_on: str | None, status: str, *,
          action: str | None = None, rule_set: str = "wt2018-local",
          superseded: bool = False, recorded_late: bool = False,
          met_on: str | None = None) -> dict[str, Any]:
    """A row shaped exactly as projections.case_view.clock_row makes it."""
    state = ClockState(
        clock=clock_id, action=action, starts_on=date(2025, 1, 1),
        due_on=date.fromisoformat(due_on) if due_on else None, at_risk_on=None,
        status=status, met_on=date.fromisoformat(met_on) if met_on else None,
        recorded_late=recorded_late, breach_superseded=superseded, rule_set=rule_set,
        calendar="gb-eng/test", paragraph="§6.1",
        original_due_on=date.fromisoformat(due_on) if due_on else None)
    return clock_row(case, state)


def action(case: str, ref: str, deadline: str, status: str = "open", *,
           original: str | None = None, escalations: tuple[tuple[str, str], ...] = (),
           agency: str = "Police", owner: str = "DI Example") -> dict[str, Any]:
    return {"case": case, "action": ref, "agency": agency, "owner": owner,
            "original_deadline": original or deadline, "deadline": deadline,
            "status": status, "completed_on": None,
            "escalations": [{"level": lv, "on": on} for lv, on in escalations],
            "responses": len(escalations)}


CLOCKS = [
    clock("C1", "report_to_partners", "2025-04-02", "met"),
    clock("C2", "report_to_partners", "2025-05-12", "met_late", met_on="2025-05-14"),
    clock("C3", "report_to_partners", "2025-03-31", "breached"),  # the day before: out
    clock("C1", "threshold_decision", "2025-04-08", "met"),
    clock("C2", "threshold_decision", "2025-07-31", "pending"),  # last day: in
    clock("C3", "threshold_decision", "2025-08-01", "pending"),  # the day after: out
    clock("C1", "national_panel_notification", "2025-04-08", "met", superseded=True,
          recorded_late=True, met_on="2025-04-07"),
    clock("C2", "national_panel_notification", "2025-05-12", "not_required"),
    clock("C4", "rapid_review_meeting", "2025-07-14", "at_risk", rule_set="wt2023"),
    clock("C4", "rapid_review_to_panel", "2025-06-30", "breached", rule_set="wt2023"),
    clock("C1", "action_head_of_service", "2025-04-30", "breached", action="A1"),
    clock("C1", "action_chief_officer", "2025-07-31", "pending", action="A1"),
    clock("C5", "action_head_of_service", "2025-05-01", "met", action="A2"),
    clock("C5", "publication", None, "pending"),  # no due date: never counted
]
ACTIONS = [
    action("C1", "A1", "2025-01-31", escalations=(("head_of_service", "2025-05-01"),)),
    action("C5", "A2", "2025-02-01", "completed"),
    action("C6", "A3", "2025-07-09", original="2025-03-31"),
    action("C6", "A4", "2025-07-10"),  # due today: not yet overdue
    action("C7", "A5", "2025-01-01", "not_implemented"),
    action("C8", "A6", "2024-10-15", escalations=(("head_of_service", "2025-01-15"),
                                                 ("chief_officer", "2025-04-15"))),
]


def report(clocks=CLOCKS, actions=ACTIONS, **kw: Any) -> ComplianceReport:
    args = {"period_from": FROM, "period_to": TO, "as_of": AS_OF,
            "partnership": "Northshire Safeguarding Partnership", **kw}
    return compliance(clocks, actions, **args)


def figures(t) -> tuple:
    return (t.due, t.met_on_time, t.met_late, t.breached, t.pending, t.at_risk,
            t.not_required)


# --- hand-computed figures ------------------------------------------------------------

def test_counts_per_clock_by_hand():
    r = report()
    got = {t.clock: figures(t) for t in r.clocks}
    # (due, on time, late, breached, pending, at risk, not required)
    assert got == {
        "report_to_partners": (2, 1, 1, 0, 0, 0, 0),
        "threshold_decision": (2, 1, 0, 0, 1, 0, 0),
        "national_panel_notification": (1, 1, 0, 0, 0, 0, 1),
        "rapid_review_meeting": (1, 0, 0, 0, 1, 1, 0),
        "rapid_review_to_panel": (1, 0, 0, 1, 0, 0, 0),
        "action_head_of_service": (2, 1, 0, 1, 0, 0, 0),
        "action_chief_officer": (1, 0, 0, 0, 1, 0, 0),
    }
    # Procedure order, not alphabetical or first-seen.
    assert [t.clock for t in r.clocks] == [
        "report_to_partners", "threshold_decision", "national_panel_notification",
        "rapid_review_meeting", "rapid_review_to_panel", "action_head_of_service",
        "action_chief_officer"]
    timeliness = {t.clock: t.timeliness for t in r.clocks}
    assert timeliness == {
        "report_to_partners": 0.5, "threshold_decision": 1.0,
        "national_panel_notification": 1.0, "rapid_review_meeting": None,
        "rapid_review_to_panel": 0.0, "action_head_of_service": 0.5,
        "action_chief_officer": None}
    assert figures(r.totals) == (10, 4, 1, 2, 3, 1, 1)
    assert r.totals.clock == "total" and r.totals.timeliness == pytest.approx(4 / 7)
    assert r.rule_sets == ("wt2018-local", "wt2023")
    assert r.calendars == ("gb-eng/test",)


def test_breaches_by_hand():
    r = report()
    assert [(b.due_on, b.case, b.clock, b.action, b.status, b.superseded)
            for b in r.breaches] == [
        ("2025-04-08", "C1", "national_panel_notification", None, "met", True),
        ("2025-04-30", "C1", "action_head_of_service", "A1", "breached", False),
        ("2025-05-12", "C2", "report_to_partners", None, "met_late", False),
        ("2025-06-30", "C4", "rapid_review_to_panel", None, "breached", False),
    ]
    assert r.breaches[0].recorded_late and r.breaches[2].met_on == "2025-05-14"


def test_overdue_actions_by_hand():
    r = report()
    assert [(e.case, e.action, e.days_overdue, e.extended, e.escalation_level)
            for e in r.exceptions] == [
        ("C8", "A6", 268, False, "chief_officer"),
        ("C1", "A1", 160, False, "head_of_service"),
        ("C6", "A3", 1, True, None),
    ]
    a3 = r.exceptions[2]
    assert (a3.original_deadline, a3.deadline) == ("2025-03-31", "2025-07-09")
    assert r.exceptions[0].escalations == (
        {"level": "head_of_service", "on": "2025-01-15"},
        {"level": "chief_officer", "on": "2025-04-15"})
    assert r.actions == {"total": 6, "open": 4, "completed": 1, "not_implemented": 1,
                         "overdue": 3, "overdue_escalated": 2}


def test_from_real_projection_rows():
    """Rows straight from the clock engine and the action log, England calendar."""
    def fact(pos: int, type_: str, occurred: str, **data: Any) -> LedgerFact:
        return LedgerFact(pos, type_, "CSPR-1", data, occurred,
                          datetime(2025, 4, 30, 12, tzinfo=timezone.utc), "x", "k")

    facts = [
        fact(1, "incident-referred", "2025-04-03", aware_on="2025-04-03", harm="injury"),
        fact(2, "reported-to-partners", "2025-04-04", on="2025-04-04"),
        fact(3, "threshold-decided", "2025-04-14", meets_threshold=True),
        fact(4, "action-agreed", "2025-01-10", action="A1", agency="Health",
             owner="Named nurse", deadline="2025-01-15"),
        fact(5, "action-escalated", "2025-04-15", action="A1", level="head_of_service",
             on="2025-04-15"),
    ]
    as_of = date(2025, 4, 30)
    states = clocks_of(facts, WT2018_LOCAL, england_calendar(2024, 2026), as_of)
    r = compliance([clock_row("CSPR-1", s) for s in states],
                   action_rows("CSPR-1", facts), date(2025, 4, 1), as_of, as_of, "P")
    got = {t.clock: figures(t)[:5] for t in r.clocks}
    # Referrer feedback: 5 WD from Mon 14 Apr skips Good Friday and Easter Monday -> 23 Apr.
    assert got == {
        "report_to_partners": (1, 1, 0, 0, 0),
        "threshold_decision": (1, 0, 1, 0, 0),
        "national_panel_notification": (1, 0, 0, 1, 0),
        "referrer_feedback": (1, 0, 0, 1, 0),
        "action_head_of_service": (1, 0, 0, 1, 0),
    }  # action_chief_officer falls due on 15 Jul 2025, outside the period
    assert [b.due_on for b in r.breaches] == [
        "2025-04-10", "2025-04-10", "2025-04-15", "2025-04-23"]
    assert r.rule_sets == ("wt2018-local",) and r.calendars[0].startswith("gb-eng/")
    [e] = r.exceptions
    assert (e.case, e.action, e.days_overdue, e.escalation_level) == (
        "CSPR-1", "A1", 105, "head_of_service")


def test_not_required_only_clock_is_listed_with_nothing_due():
    r = report([clock("C1", "national_panel_notification", "2025-05-01", "not_required")],
               [])
    [t] = r.clocks
    assert figures(t) == (0, 0, 0, 0, 0, 0, 1) and t.timeliness is None
    assert "none due (1 not required)" in to_html(r)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="after"):
        report(period_from=TO, period_to=FROM)
    with pytest.raises(ValueError, match="unknown status"):
        report([clock("C1", "publication", "2025-05-01", "late")], [])
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        report([{**CLOCKS[0], "due_on": "1 May"}], [])


@pytest.mark.parametrize("value,text", [
    (None, "–"), (0.0, "0%"), (1.0, "100%"), (0.999, "99%"), (0.001, "<1%"), (4 / 7, "57%")])
def test_percentages_never_round_to_a_false_0_or_100(value, text):
    assert pct(value) == text


# --- properties -----------------------------------------------------------------------

STATUSES = ("pending", "at_risk", "met", "met_late", "breached", "not_required")
CLOCK_IDS = [r.id for r in WT2018_LOCAL.clocks] + ["some_new_clock"]
dates = st.dates(date(2024, 1, 1), date(2026, 12, 31))
safe_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                    max_size=12)
clock_rows = st.lists(st.builds(
    lambda case, cid, due, status, act, sup: clock(
        case, cid, due.isoformat() if due else None, status, action=act, superseded=sup),
    st.sampled_from(["C1", "C2", "C3"]) | safe_text, st.sampled_from(CLOCK_IDS),
    st.none() | dates, st.sampled_from(STATUSES), st.none() | safe_text, st.booleans()),
    max_size=40)
periods = st.tuples(dates, dates).map(sorted)


@settings(max_examples=200, deadline=None)
@given(clock_rows, periods)
def test_counts_add_up_and_equal_a_naive_count(rows, period):
    lo, hi = period
    r = report(rows, [], period_from=lo, period_to=hi)
    inside = [x for x in rows if x["due_on"] and lo.isoformat() <= x["due_on"]
              <= hi.isoformat()]
    naive = Counter((x["clock"], x["status"]) for x in inside)
    assert {t.clock for t in r.clocks} == {x["clock"] for x in inside}
    for t in r.clocks:
        n = {s: naive[(t.clock, s)] for s in STATUSES}
        assert t.due == t.met_on_time + t.met_late + t.breached + t.pending
        assert (t.met_on_time, t.met_late, t.breached, t.at_risk, t.not_required) == (
            n["met"], n["met_late"], n["breached"], n["at_risk"], n["not_required"])
        assert t.pending == n["pending"] + n["at_risk"]
        assert t.due == sum(n.values()) - n["not_required"]
    for k in ("due", "met_on_time", "met_late", "breached", "pending", "not_required"):
        assert getattr(r.totals, k) == sum(getattr(t, k) for t in r.clocks)
    assert len(r.breaches) == sum(
        1 for x in inside if x["status"] in ("breached", "met_late") or x["breach_superseded"])
    assert [b.due_on for b in r.breaches] == sorted(b.due_on for b in r.breaches)


def parse_csv(text: str) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(CSV_COLUMNS)
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def check_csv(r: ComplianceReport) -> None:
    rows = parse_csv(to_csv(r))
    by_section = Counter(row["section"] for row in rows)
    assert by_section == Counter({"clock": len(r.clocks), "total": 1, "report": 1,
                                  "breach": len(r.breaches),
                                  "overdue_action": len(r.exceptions)}) - Counter()
    counted = [row for row in rows if row["section"] in ("clock", "total")]
    for row, t in zip(counted, [*r.clocks, r.totals]):
        assert row["clock"] == t.clock
        # The name a person reads, beside the id (hand-written for the clocks checked here).
        assert row["clock_name"] == {"threshold_decision": "Threshold decision",
                                     "publication": "Report published",
                                     "total": "All clocks"}.get(t.clock, row["clock_name"])
        assert tuple(int(row[k]) for k in ("due", "met_on_time", "met_late", "breached",
                                             "pending", "at_risk", "not_required")) == figures(t)
        assert (float(row["timeliness"]) if row["timeliness"] else None) == t.timeliness
    breaches = [row for row in rows if row["section"] == "breach"]
    assert [(row["due_on"], row["status"], row["superseded"] == "yes") for row in breaches] \
        == [(b.due_on, b.status, b.superseded) for b in r.breaches]
    overdue = [row for row in rows if row["section"] == "overdue_action"]
    assert [(row["deadline"], int(row["days_overdue"])) for row in overdue] == [
        (e.deadline, e.days_overdue) for e in r.exceptions]
    [meta] = [row for row in rows if row["section"] == "report"]
    assert (meta["period_from"], meta["period_to"], meta["as_of"]) == (
        r.period_from.isoformat(), r.period_to.isoformat(), r.as_of.isoformat())
    assert int(meta["actions_overdue"]) == r.actions["overdue"]


def test_csv_parses_back_to_the_same_figures():
    r = report()
    check_csv(r)
    rows = parse_csv(to_csv(r))
    a6 = next(row for row in rows if row["action"] == "A6")
    assert a6["escalations"] == "head_of_service 2025-01-15; chief_officer 2025-04-15"
    assert a6["original_deadline"] == "2024-10-15" and a6["extended"] == "no"
    assert rows[-1]["rule_sets"] == "wt2018-local; wt2023"


def test_csv_neutralises_spreadsheet_formulas():
    r = report([clock('=HYPERLINK("x")', "publication", "2025-05-01", "breached")], [])
    [b] = [row for row in parse_csv(to_csv(r)) if row["section"] == "breach"]
    assert b["case"] == '\'=HYPERLINK("x")'


def json_types_only(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and json_types_only(v) for k, v in value.items())
    if isinstance(value, list):
        return all(json_types_only(v) for v in value)
    return value is None or isinstance(value, (str, int, float, bool))


def check_json(r: ComplianceReport) -> None:
    data = r.as_json()
    assert json_types_only(data)
    assert json.loads(to_json(r)) == data
    assert ComplianceReport.from_json(json.loads(to_json(r))) == r


def test_json_round_trips():
    r = report()
    check_json(r)
    data = r.as_json()
    assert data["period"] == {"from": "2025-04-01", "to": "2025-07-31"}
    assert data["totals"]["timeliness"] == pytest.approx(4 / 7)
    assert data["clocks"][0] == {"clock": "report_to_partners", "due": 2, "met_on_time": 1,
                                 "met_late": 1, "breached": 0, "pending": 0, "at_risk": 0,
                                 "not_required": 0, "timeliness": 0.5}
    assert data["exceptions"][0]["escalations"][1] == {"level": "chief_officer",
                                                       "on": "2025-04-15"}


# --- HTML -----------------------------------------------------------------------------

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr"}


class StrictParser(HTMLParser):
    """Fails on any end tag that does not close the innermost open element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: Counter[str] = Counter()
        self.text: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] += 1

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]} ")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse_html(page: str) -> StrictParser:
    p = StrictParser()
    p.feed(page)
    p.close()
    assert p.problems == [] and p.stack == [], (p.problems, p.stack)
    return p


def test_html_is_well_formed_complete_and_self_contained():
    r = report()
    page = to_html(r)
    p = parse_html(page)
    text = " ".join(p.text)
    for t in r.clocks:
        assert t.clock in text
    for b in r.breaches:
        assert b.case in text
    for e in r.exceptions:
        assert e.action in text
    assert "Northshire Safeguarding Partnership" in text
    assert "wt2018-local" in text and "wt2023" in text and "gb-eng/test" in text
    assert p.tags["svg"] == 1
    # the page's <title>, the chart's, and one tooltip per bar
    assert p.tags["title"] == 2 + len(r.clocks) and p.tags["desc"] == 1
    assert p.tags["table"] == 3 and p.tags["script"] == 0 and p.tags["link"] == 0
    lowered = page.lower()
    for external in ("src=", "href=", "url(", "@import", "https:"):
        assert external not in lowered
    assert "@media print" in page


def test_html_escapes_every_text():
    nasty = "<script>alert(1)</script>"
    r = report([clock(nasty, "publication", "2025-05-01", "breached", action='"A&B"')],
               [action(nasty, "<u>x</u>", "2025-01-01", agency="<i>agency</i>")],
               partnership="<Partnership & Co>")
    page = to_html(r)
    p = parse_html(page)
    assert p.tags["script"] == 0 and p.tags["u"] == 0 and p.tags["i"] == 0
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    text = " ".join(p.text)
    assert nasty in text and '"A&B"' in text and "<Partnership & Co>" in text
    assert "<u>x</u>" in text and "<i>agency</i>" in text


def test_empty_report_renders():
    r = report([], [])
    p = parse_html(to_html(r))
    assert "No clock fell due in the period." in " ".join(p.text)
    assert p.tags["svg"] == 0
    check_csv(r)
    check_json(r)


@settings(max_examples=60, deadline=None)
@given(clock_rows, periods,
       st.lists(st.builds(lambda case, ref, dl, esc: action(case, ref, dl.isoformat(),
                                                            escalations=esc),
                          safe_text, safe_text, dates,
                          st.lists(st.tuples(st.sampled_from(["head_of_service",
                                                              "chief_officer", "partners"]),
                                             dates.map(date.isoformat)),
                                   max_size=3).map(tuple)), max_size=5))
def test_any_report_renders_to_parseable_html_csv_and_json(rows, period, acts):
    r = report(rows, acts, period_from=period[0], period_to=period[1])
    p = parse_html(to_html(r))
    text = " ".join(p.text)
    assert set(p.tags) <= {"html", "head", "meta", "title", "style", "body", "header", "h1",
                           "h2", "p", "main", "section", "ul", "li", "b", "br", "span",
                           "figure", "figcaption", "svg", "desc", "rect", "text", "g",
                           "line", "table", "caption", "thead", "tbody", "tfoot", "tr",
                           "th", "td", "code", "time", "footer"}
    for t in r.clocks:
        assert t.clock in text
    for b in r.breaches:
        assert b.case in text
    check_csv(r)
    check_json(r)


def test_sample_page_written(tmp_path):
    path = tmp_path / "compliance-sample.html"
    path.write_text(to_html(report()), encoding="utf-8")
    assert path.stat().st_size > 5000


def test_a_breach_on_an_assumed_start_says_so_in_every_rendering():
    assumed = {**clock("C7", "rapid_review_meeting", "2025-05-06", "breached"),
               "start_assumed": "acknowledgement not recorded"}
    plain = clock("C8", "rapid_review_meeting", "2025-05-07", "breached")
    r = compliance([assumed, plain], [], FROM, TO, AS_OF, "Test Partnership")
    data = json.loads(to_json(r))
    assert [(b["case"], b["start_assumed"]) for b in data["breaches"]] == [
        ("C7", "acknowledgement not recorded"), ("C8", None)]
    rows = [row for row in parse_csv(to_csv(r)) if row["section"] == "breach"]
    assert [(row["case"], row["start_assumed"]) for row in rows] == [
        ("C7", "acknowledgement not recorded"), ("C8", "")]
    html = to_html(r)
    assert html.count("start assumed: acknowledgement not recorded") == 1
    # A report stored before the field existed reads back, with nothing assumed.
    for b in data["breaches"]:
        del b["start_assumed"]
    assert ComplianceReport.from_json(data).breaches[0].start_assumed is None
