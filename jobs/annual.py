"""The partnership's annual report (§23.1, §22; issue 11 item 13): what was referred and
decided in a year, how timely the decisions were, which reviews were commissioned, completed
and published, what improved, what happened to the actions (with the partners' reasons for
those not implemented, §23.1) and the learning from cases below threshold (§14).

Every figure is a count of ledger facts whose *occurred* day falls in the period (both days
included), except ``timeliness`` (the compliance report's clock tallies, ``jobs.compliance``)
and ``actions.overdue`` (open actions past the deadline in force at the end of the period).
No field marked personal (**P**, EVENTS.md) and no free text is read, except the reason an
action was not implemented, which §23.1 asks the report to give, and the reason for a
publication's delay notified to the National Panel and the Secretary of State (§19.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from jobs.compliance import LADDER, ComplianceReport, compliance


@dataclass(frozen=True)
class AnnualReport:
    partnership: str
    period_from: date
    period_to: date
    as_of: date
    figures: dict[str, dict[str, int]]
    not_implemented: tuple[dict[str, str], ...]
    clock_report: ComplianceReport  # timeliness: the compliance report's clock tallies
    publication_delays: tuple[dict[str, str], ...] = ()  # §19.1: each notice, with why

    @property
    def timeliness(self) -> list[dict[str, Any]]:
        """Per clock due in the period, then ``total``, as the compliance report counts."""
        r = self.clock_report
        return [t.as_json() for t in (*r.clocks, r.totals)]

    def as_json(self) -> dict[str, Any]:
        return {"partnership": self.partnership,
                "period": {"from": self.period_from.isoformat(),
                           "to": self.period_to.isoformat()},
                "as_of": self.as_of.isoformat(),
                **{k: dict(v) for k, v in self.figures.items()},
                "not_implemented": [dict(r) for r in self.not_implemented],
                "publication_delays": [dict(r) for r in self.publication_delays],
                "timeliness": self.timeliness}


# Sections of the report, in the order printed, each with the paragraphs it answers.
SECTIONS = {"referrals": "§4, §8.1", "decisions": "§8.5, §8.9, §9", "reviews": "§10–§20",
            "improvements": "§8.8, §22", "actions": "§13.4, §21.2, §23.1",
            "learning": "§14, App. 1"}


def _zeros() -> dict[str, dict[str, int]]:
    return {
        "referrals": dict.fromkeys(("total", "death", "serious_harm", "looked_after"), 0),
        "decisions": dict.fromkeys((
            "threshold_met", "threshold_not_met", "review_level_lcspr",
            "review_level_national_review_recommended", "review_level_alternative_review",
            "review_level_no_further_action", "national_panel_national_review",
            "national_panel_no_national_review"), 0),
        "reviews": dict.fromkeys(("commissioned", "completed", "published",
                                  "publication_declined", "publication_delayed"), 0),
        "improvements": dict.fromkeys(("rapid_reviews_held",
                                       "rapid_reviews_identifying_improvements",
                                       "actions_agreed"), 0),
        "actions": dict.fromkeys(("completed", "not_implemented", "extended", "escalated",
                                  *(f"escalated_{lv}" for lv in LADDER),
                                  "overdue", "overdue_escalated"), 0),
        "learning": dict.fromkeys(("below_threshold", "below_threshold_learning_potential",
                                   "routes_decided", "routes_approved",
                                   "routes_not_approved"), 0),
    }


def _count(f: Any, n: dict[str, dict[str, int]], not_impl: list[dict[str, str]],
           delays: list[dict[str, str]]) -> None:
    t, d = f.type, f.data
    if t == "publication-delay-notified":  # §19.1: the reason is the report's to give
        delays.append({"case": f.case or "", "on": f.occurred_on.isoformat(),
                       "reason": str(d.get("reason", "")),
                       "recipients": ", ".join(str(r) for r in d.get("recipients") or [])})
    if t == "incident-referred":
        n["referrals"]["total"] += 1
        if d.get("harm") in ("death", "serious_harm"):
            n["referrals"][d["harm"]] += 1
        n["referrals"]["looked_after"] += bool(d.get("looked_after"))
    elif t == "threshold-decided":
        met = bool(d.get("meets_threshold"))
        n["decisions"]["threshold_met" if met else "threshold_not_met"] += 1
        if not met:
            n["learning"]["below_threshold"] += 1
            n["learning"]["below_threshold_learning_potential"] += bool(
                d.get("learning_potential"))
    elif t == "review-level-decided":
        key = f"review_level_{d.get('level')}"
        if key in n["decisions"]:
            n["decisions"][key] += 1
    elif t == "national-panel-decided":
        n["decisions"]["national_panel_national_review" if d.get("national_review")
                       else "national_panel_no_national_review"] += 1
    elif t in _REVIEW:
        n["reviews"][_REVIEW[t]] += 1
    elif t == "rapid-review-held":
        n["improvements"]["rapid_reviews_held"] += 1
        n["improvements"]["rapid_reviews_identifying_improvements"] += bool(
            (d.get("improvements_identified") or "").strip())
    elif t == "action-agreed":
        n["improvements"]["actions_agreed"] += 1
    elif t in ("action-completed", "action-extended"):
        n["actions"][t.removeprefix("action-")] += 1
    elif t == "action-escalated":
        n["actions"]["escalated"] += 1
        if d.get("level") in LADDER:
            n["actions"][f"escalated_{d['level']}"] += 1
    elif t == "action-not-implemented":
        n["actions"]["not_implemented"] += 1
        not_impl.append({"case": f.case or "", "action": str(d.get("action", "")),
                         "on": f.occurred_on.isoformat(), "reason": str(d.get("reason", ""))})
    elif t == "learning-route-decided":
        n["learning"]["routes_decided"] += 1
    elif t == "learning-route-approved":
        n["learning"]["routes_approved" if d.get("approved") else "routes_not_approved"] += 1


_REVIEW = {"review-commissioned": "commissioned", "final-report-signed-off": "completed",
           "report-published": "published", "publication-declined": "publication_declined",
           "publication-delay-notified": "publication_delayed"}


def annual(facts: Iterable[Any], clocks: Iterable[Mapping[str, Any]],
           actions: Iterable[Mapping[str, Any]], period_from: date, period_to: date,
           as_of: date, partnership: str) -> AnnualReport:
    """The annual report from ledger facts (any cases, any order), the clock rows and the
    action rows judged at ``as_of`` (as ``jobs.compliance.compliance`` takes them)."""
    if period_from > period_to:
        raise ValueError(f"period_from {period_from} is after period_to {period_to}")
    n = _zeros()
    not_impl: list[dict[str, str]] = []
    delays: list[dict[str, str]] = []
    for f in facts:
        if period_from <= f.occurred_on <= period_to:
            _count(f, n, not_impl, delays)
    comp = compliance(clocks, actions, period_from, period_to, as_of, partnership)
    n["actions"]["overdue"] = comp.actions["overdue"]
    n["actions"]["overdue_escalated"] = comp.actions["overdue_escalated"]
    not_impl.sort(key=lambda r: (r["on"], r["case"], r["action"]))
    delays.sort(key=lambda r: (r["on"], r["case"]))
    return AnnualReport(partnership, period_from, period_to, as_of, n, tuple(not_impl), comp,
                        tuple(delays))


def annual_from_ledger(app: Any, period_from: date, period_to: date) -> AnnualReport:
    """Read the ledger and build the report; clocks and actions are judged at the end of
    the period, or today while the period is still running."""
    from service.queries import Queries

    q = Queries(app)
    as_of = min(period_to, q.today)
    facts = [f for c in q.case_list() for f in q.facts(c["case"])]
    return annual(facts, q.deadlines(None, as_of), q.actions(None, as_of),
                  period_from, period_to, as_of, app.partnership())


def flat_figures(report: AnnualReport) -> list[tuple[str, str, int]]:
    """(section, figure, value) for every count, in print order: one source for CSV, HTML
    and the tests that compare them."""
    return [(s, k, v) for s in SECTIONS for k, v in report.figures[s].items()]


