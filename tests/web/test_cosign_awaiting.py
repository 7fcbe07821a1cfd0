"""The decisions awaiting co-signature, as the Co-sign page and the Today page read them
(service.queries.Queries.awaiting_cosignature, web/cosign.py), on both databases.

The list is read from the read model (proj_decisions.pending names the decisions someone
has still to sign); it must equal what a scan of every joint decision and co-signature of
the ledger judges (projections.cosignatures.awaiting_cosignature over them, the reference
below): same rows, same order, same fields. Checked at several moments of a made-up
ledger (decisions pending, partly co-signed, fully co-signed, a co-signer revoked while
named, a decision naming nobody, a case the projector cannot fold), each judged on several
days (in time, on the 5th working day, overdue).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest
from flask import Flask

from domain.calendar import london_date
from domain.procedure import Intent
from projections.cosignatures import awaiting_cosignature
from service.actors import add_actor, load_actor_signer, revoke_actor
from service.calendar_england import england_calendar
from service.cosigning import cosign, joint_decision_facts
from service.queries import Queries
from service.writer import Writer
from tests.helpers import REFERRAL, Ledger
from tests.scenario import REFERRAL_STEPS, THRESHOLD_MET_PATH, data

CAL = england_calendar()
# Decisions occur on Mon 22 Dec 2025 (threshold) and Wed 14 Jan 2026 (review level). The
# 5th working day after 22 Dec, counted by hand: Tue 23 (1), Wed 24 (2), [Thu 25, Fri 26
# bank holidays, the weekend], Mon 29 (3), Tue 30 (4), Wed 31 Dec 2025 (5): in time on the
# 31st, overdue from Thu 1 Jan 2026.
DAYS = [date(2025, 12, 22), date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 14),
        date(2026, 1, 22), date(2026, 3, 2)]


def reference(app: Any, day: date) -> list[dict[str, Any]]:
    """What a scan of every joint decision and co-signature of the ledger judges."""
    facts = joint_decision_facts(app)
    case_of = {f.position: f.case for f in facts}
    return [{"case": case_of[r["position"]], **r}
            for r in awaiting_cosignature(facts, CAL, day)]


def read_model(app: Any, day: date) -> list[dict[str, Any]]:
    now = datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)
    return Queries(app, now, CAL).awaiting_cosignature()


def agree(lg: Ledger) -> list[list[dict[str, Any]]]:
    """Both answers on every day of DAYS, asserted equal; what they were."""
    seen = []
    for day in DAYS:
        expected = reference(lg.app, day)
        assert read_model(lg.app, day) == expected, day
        seen.append(expected)
    return seen


def steps(lg: Ledger, case: str, path: list[Any], **extra: dict[str, Any]) -> dict[str, int]:
    """Record ``path`` on ``case``, each step's extra fields from ``extra`` by type;
    where each type was last recorded (its ledger position)."""
    positions = {}
    for actor, type_name, fields, occurred in path:
        fields = {**fields, **extra.get(type_name.replace("-", "_"), {})}
        receipt = lg.record(actor, type_name, case, data(type_name, **fields), occurred)
        positions[type_name] = receipt.position
    return positions


def poison(lg: Ledger, case: str) -> int:
    """A case the projector cannot fold (a referral missing its ``harm``, as an older
    version might have written it) holding a joint decision naming scrut; its position."""
    signers = {a: load_actor_signer(lg.home, a) for a in ("bu1", "p1")}
    referral = {k: v for k, v in REFERRAL.items() if k != "harm"}
    (decision,) = [s for s in THRESHOLD_MET_PATH if s[1] == "threshold-decided"]
    intents = [Intent("incident-referred", case, referral, "2025-12-18", "bu1"),
               Intent("reported-to-partners", case, {"on": "2025-12-19"}, "2025-12-19",
                      "bu1"),
               Intent("threshold-decided", case,
                      data("threshold-decided", cosigners=["scrut"]), decision[3], "p1")]
    return Writer(lg.app).append(intents, signers)[-1].position


@pytest.fixture
def people(web_ledger: Ledger) -> Ledger:
    for partner in ("p2", "p3"):
        add_actor(web_ledger.app, web_ledger.home, partner, ["partner"])
    return web_ledger


def test_the_read_model_and_the_scan_agree_at_every_moment(people: Ledger) -> None:
    lg = people
    assert agree(lg) == [[]] * len(DAYS)  # no decision yet
    upto_review = THRESHOLD_MET_PATH[:THRESHOLD_MET_PATH.index(
        next(s for s in THRESHOLD_MET_PATH if s[1] == "review-level-decided"))]
    a = steps(lg, "CS-A", upto_review[:3],
              threshold_decided={"cosigners": ["p2", "p3", "scrut"]})
    b = steps(lg, "CS-B", REFERRAL_STEPS + [THRESHOLD_MET_PATH[2]],
              threshold_decided={"cosigners": ["scrut"]})
    steps(lg, "CS-C", REFERRAL_STEPS + [THRESHOLD_MET_PATH[2]])  # names nobody
    pending = agree(lg)
    assert [[(r["case"], r["still_to_sign"], r["overdue"]) for r in rows]
            for rows in pending[1:3]] == [
        [("CS-A", ["p2", "p3", "scrut"], False), ("CS-B", ["scrut"], False)],
        [("CS-A", ["p2", "p3", "scrut"], True), ("CS-B", ["scrut"], True)]]

    # Partly and fully co-signed; a named co-signer revoked while still to sign.
    cosign(lg.app, lg.home, "p2", a["threshold-decided"])
    cosign(lg.app, lg.home, "scrut", b["threshold-decided"])
    revoke_actor(lg.app, lg.home, "p3", "Made-up: left the partnership.")
    rows = agree(lg)[-1]
    assert [(r["case"], r["signed_by"], r["still_to_sign"]) for r in rows] == [
        ("CS-A", ["p1", "p2"], ["p3", "scrut"])]

    # A second joint decision of the same case, then the first one's last co-signature
    # but for the revoked one.
    review = steps(lg, "CS-A", [*upto_review[3:], next(
        s for s in THRESHOLD_MET_PATH if s[1] == "review-level-decided")],
        review_level_decided={"cosigners": ["p2"]})
    cosign(lg.app, lg.home, "scrut", a["threshold-decided"])
    rows = agree(lg)[-1]
    assert [(r["position"], r["still_to_sign"]) for r in rows] == [
        (a["threshold-decided"], ["p3"]), (review["review-level-decided"], ["p2"])]
    cosign(lg.app, lg.home, "p2", review["review-level-decided"])
    assert [r["decision"] for r in agree(lg)[-1]] == ["threshold-decided"]

    # A case the read model leaves out (it cannot be folded): its decision is still
    # listed, as the scan lists it, and the case is named as unreadable.
    poisoned = poison(lg, "POISON-1")
    rows = agree(lg)[-1]
    assert [(r["case"], r["position"]) for r in rows] == [
        ("CS-A", a["threshold-decided"]), ("POISON-1", poisoned)]
    q = Queries(lg.app, datetime.now(timezone.utc), CAL)
    q.awaiting_cosignature()
    assert q.unreadable == {"POISON-1"}


def test_each_person_sees_the_rows_naming_them_still_to_sign(
        people: Ledger, web_app: Flask, web_clock: Any, sign_in: Any) -> None:
    lg = people
    a = steps(lg, "CS-A", THRESHOLD_MET_PATH[:3],
              threshold_decided={"cosigners": ["p2", "p3", "scrut"]})
    steps(lg, "CS-B", REFERRAL_STEPS + [THRESHOLD_MET_PATH[2]],
          threshold_decided={"cosigners": ["scrut"]})
    cosign(lg.app, lg.home, "p2", a["threshold-decided"])
    every = reference(lg.app, london_date(web_clock()))
    assert [(r["case"], r["still_to_sign"]) for r in every] == [
        ("CS-A", ["p3", "scrut"]), ("CS-B", ["scrut"])]
    for who, cases in [("p1", []), ("p2", []), ("p3", ["CS-A"]),
                       ("scrut", ["CS-A", "CS-B"])]:
        client = web_app.test_client()
        sign_in(client, who)
        shown = client.get("/cosign?format=json").get_json()["awaiting_cosignature"]
        # p1 recorded the decision (a recorder never co-signs their own), p2 has signed.
        assert shown == [r for r in every if who in r["still_to_sign"]]
        assert [r["case"] for r in shown] == cases
        html = client.get("/cosign").get_data(True)
        assert all(f"ledger position {r['position']}" in html for r in shown)
        assert ("No decision is waiting for your signature" in html) == (not cases)
