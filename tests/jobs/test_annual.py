"""The annual report's figures equal a direct count on a generated year (issue 11, item 13).

The expected figures are counted here from the generator's own output (the events as they
were written, before the ledger saw them), never by ``jobs.annual``."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timezone

from jobs.annual import annual
from projections.source import LedgerFact
from tests.generator import generate
from tests.helpers import make_ledger, write_generated

SEED, CASES, EXTRA = 1, 30, 2  # seed 1: a year with every kind of action outcome
FROM, TO = "2025-10-01", "2026-09-30"


def _in(day: str) -> bool:
    return FROM <= day[:10] <= TO


def _direct_count() -> dict[str, dict[str, int]]:
    events = [(ref, t, payload, occurred[:10])
              for ref, steps in generate(SEED, CASES, EXTRA)
              for _actor, t, payload, occurred in steps]
    in_year = [(ref, t, p) for ref, t, p, on in events if _in(on)]
    types = Counter(t for _, t, _ in in_year)

    def where(type_name: str, test) -> int:
        return sum(1 for _, t, p in in_year if t == type_name and test(p))

    # Overdue at the end of the year (the report's as_of, since the year is over): agreed
    # by then, not completed or closed by then, and the deadline in force (the last
    # extension recorded by then, else the agreed one) before 30 Sep 2026.
    deadline: dict[tuple[str, str], str] = {}
    closed: set[tuple[str, str]] = set()
    escalated: set[tuple[str, str]] = set()
    for ref, t, p, on in sorted(events, key=lambda e: e[3]):
        if on > TO:
            continue
        key = (ref, p.get("action", ""))
        if t == "action-agreed":
            deadline[key] = p["deadline"]
        elif t == "action-extended":
            deadline[key] = p["new_deadline"]
        elif t in ("action-completed", "action-not-implemented"):
            closed.add(key)
        elif t == "action-escalated":
            escalated.add(key)
    overdue = {k for k, d in deadline.items() if k not in closed and d < TO}
    return {
        "referrals": {
            "total": types["incident-referred"],
            "death": where("incident-referred", lambda p: p["harm"] == "death"),
            "serious_harm": where("incident-referred", lambda p: p["harm"] == "serious_harm"),
            "looked_after": where("incident-referred", lambda p: p.get("looked_after")),
        },
        "decisions": {
            "threshold_met": where("threshold-decided", lambda p: p["meets_threshold"]),
            "threshold_not_met": where("threshold-decided",
                                       lambda p: not p["meets_threshold"]),
            **{f"review_level_{lv}": where("review-level-decided",
                                           lambda p, lv=lv: p["level"] == lv)
               for lv in ("lcspr", "national_review_recommended", "alternative_review",
                          "no_further_action")},
            "national_panel_national_review": where("national-panel-decided",
                                                    lambda p: p["national_review"]),
            "national_panel_no_national_review": where("national-panel-decided",
                                                       lambda p: not p["national_review"]),
        },
        "reviews": {
            "commissioned": types["review-commissioned"],
            "completed": types["final-report-signed-off"],
            "published": types["report-published"],
            "publication_declined": types["publication-declined"],
            "publication_delayed": types["publication-delay-notified"],
        },
        "improvements": {
            "rapid_reviews_held": types["rapid-review-held"],
            "rapid_reviews_identifying_improvements": where(
                "rapid-review-held", lambda p: bool(p.get("improvements_identified"))),
            "actions_agreed": types["action-agreed"],
        },
        "actions": {
            "completed": types["action-completed"],
            "not_implemented": types["action-not-implemented"],
            "extended": types["action-extended"],
            "escalated": types["action-escalated"],
            **{f"escalated_{lv}": where("action-escalated",
                                        lambda p, lv=lv: p["level"] == lv)
               for lv in ("head_of_service", "chief_officer", "partners")},
            "overdue": len(overdue),
            "overdue_escalated": len(overdue & escalated),
        },
        "learning": {
            "below_threshold": where("threshold-decided", lambda p: not p["meets_threshold"]),
            "below_threshold_learning_potential": where(
                "threshold-decided",
                lambda p: not p["meets_threshold"] and p.get("learning_potential")),
            "routes_decided": types["learning-route-decided"],
            "routes_approved": where("learning-route-approved", lambda p: p["approved"]),
            "routes_not_approved": where("learning-route-approved",
                                         lambda p: not p["approved"]),
        },
    }


def test_annual_figures_equal_a_direct_count_of_a_generated_year(home):
    lg = make_ledger(home)
    write_generated(lg, SEED, cases=CASES, extra=EXTRA)
    out = lg.cli("report", "annual", "--from", FROM, "--to", TO, "--format", "json")
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    expected = _direct_count()
    for section, figures in expected.items():
        assert report[section] == figures, section
    # The year exercised the report: every section has something in it.
    for section in ("referrals", "decisions", "reviews", "improvements", "learning"):
        assert sum(expected[section].values()) > 0, section
    for figure in ("completed", "not_implemented", "escalated", "overdue", "overdue_escalated"):
        assert expected["actions"][figure] > 0, figure
    # Each action not implemented in the year is listed with the partners' reason (§23.1).
    listed = [(r["case"], r["action"], r["reason"]) for r in report["not_implemented"]]
    want = [(ref, p["action"], p["reason"]) for ref, steps in generate(SEED, CASES, EXTRA)
            for _a, t, p, on in steps if t == "action-not-implemented" and _in(on)]
    assert sorted(listed) == sorted(want) and len(want) == report["actions"]["not_implemented"]
    assert report["as_of"] == TO and report["period"] == {"from": FROM, "to": TO}


def test_timeliness_equals_a_direct_count_of_the_clock_table(home):
    lg = make_ledger(home)
    write_generated(lg, SEED, cases=CASES, extra=EXTRA)
    report = json.loads(lg.cli("report", "annual", "--from", FROM, "--to", TO,
                               "--format", "json").stdout)
    table = json.loads(lg.cli("deadlines", "--as-of", TO, "--json").stdout)
    expected: Counter = Counter(row["status"] for row in table
                                if row["due_on"] and _in(row["due_on"]))
    total = report["timeliness"][-1]
    assert total["clock"] == "total"
    assert total["met_on_time"] == expected["met"]
    assert total["met_late"] == expected["met_late"]
    assert total["breached"] == expected["breached"]
    assert total["pending"] == expected["pending"] + expected["at_risk"]
    assert total["not_required"] == expected["not_required"]
    assert total["due"] > 10


def test_a_year_without_events_gives_zeros(home):
    lg = make_ledger(home)
    write_generated(lg, SEED, cases=5)
    # 1990 is long before any generated case (they start in 2024): nothing happened.
    report = json.loads(lg.cli("report", "annual", "--from", "1990-01-01", "--to",
                               "1990-12-31", "--format", "json").stdout)
    for section in ("referrals", "decisions", "reviews", "improvements", "actions",
                    "learning"):
        assert set(report[section].values()) == {0}, section
    assert report["not_implemented"] == []
    assert report["timeliness"][-1]["due"] == 0
    assert date.fromisoformat(report["as_of"]) == date(1990, 12, 31)


def _fact(n: int, type_name: str, occurred: str, **data) -> LedgerFact:
    return LedgerFact(position=n, type=type_name, case="C-1", data=data,
                      occurred_at=occurred,
                      recorded_at=datetime(2026, 11, 1, tzinfo=timezone.utc),
                      actor="bu1", key_id="k")


def test_both_days_of_the_period_count_and_no_day_outside_it():
    # The year is 1 Apr 2025 to 31 Mar 2026: 31 Mar 2025 and 1 Apr 2026 are outside it.
    facts = [_fact(1, "incident-referred", "2025-03-31", harm="death"),
             _fact(2, "incident-referred", "2025-04-01", harm="death"),
             _fact(3, "incident-referred", "2026-03-31", harm="serious_harm"),
             _fact(4, "incident-referred", "2026-04-01", harm="serious_harm"),
             _fact(5, "action-not-implemented", "2026-03-31", action="R1",
                   reason="Too costly."),
             _fact(6, "action-not-implemented", "2026-04-01", action="R2", reason="Later.")]
    rep = annual(facts, [], [], date(2025, 4, 1), date(2026, 3, 31), date(2026, 3, 31), "P")
    assert rep.figures["referrals"] == {"total": 2, "death": 1, "serious_harm": 1,
                                        "looked_after": 0}
    assert rep.not_implemented == ({"case": "C-1", "action": "R1", "on": "2026-03-31",
                                    "reason": "Too costly."},)
