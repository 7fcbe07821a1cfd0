"""Issue 11 item 7 (§8.9, §21.1): joint decisions are co-signed, each co-signer with their
own key, through the CLI.

The Scrutineer's narrative: three partners (p1, p2, p3) and the Independent Scrutineer
take the threshold decision; p1 records it naming p2, p3 and scrut as co-signers; p2 and
scrut co-sign within days; p3's co-signature is still missing after 5 working days, which
`case show` and the compliance report flag; then p3 co-signs and the decision is complete.

Dates counted by hand on a paper calendar (England bank holidays: Good Friday 3 Apr 2026,
Easter Monday 6 Apr 2026):
- LA aware Mon 30 Mar 2026 (day 0): 5 WD is Tue 31 (1), Wed 1 Apr (2), Thu 2 (3),
  [Fri 3 Good Friday, Sat 4, Sun 5, Mon 6 Easter Monday], Tue 7 (4), Wed 8 Apr (5): the
  threshold decision is due Wed 8 Apr 2026.
- Decision occurred Wed 1 Apr 2026 (day 0): 5 WD is Thu 2 (1), [Fri 3 - Mon 6 skipped],
  Tue 7 (2), Wed 8 (3), Thu 9 (4), Fri 10 Apr 2026 (5). On Fri 10 it is not yet late; from
  Sat 11 Apr it is "not fully co-signed after 5 working days".
"""

from __future__ import annotations

import json

import pytest

from service import actors
from tests.cli.test_issue11_clocks import at  # a frozen instant of a day, ticking
from tests.helpers import make_ledger
from tests.ledger.tamper import raw
from tests.scenario import data

CASE = "CS-2026-001"
LATE = "not fully co-signed after 5 working days"


@pytest.fixture
def lg(home):
    with at("2026-03-30", 8):
        lg = make_ledger(home)
        for name in ("p2", "p3"):
            actors.add_actor(lg.app, lg.home, name, ["partner"])
        actors.add_actor(lg.app, lg.home, "both", ["partner", "scrutineer"])
        actors.add_actor(lg.app, lg.home, "gone", ["partner"])
        actors.revoke_actor(lg.app, lg.home, "gone", "Made-up: left the partnership.")
    return lg


def cli(lg, day: str, *args: str, code: int = 0):
    with at(day, 10):
        result = lg.cli(*args)
    assert result.exit_code == code, result.output
    return result


def record(lg, day: str, actor: str, type_name: str, code: int = 0, **fields):
    return cli(lg, day, "--as", actor, "record", type_name, "--case", CASE, "--data",
               json.dumps(data(type_name, **fields)), "--occurred-at", day, "--json",
               code=code)


def cosign(lg, day: str, actor: str, position: int, code: int = 0):
    return cli(lg, day, "--as", actor, "cosign", str(position), "--json", code=code)


def show(lg, day: str) -> dict:
    return json.loads(cli(lg, day, "case", "show", CASE, "--json").stdout)


def size(lg) -> int:
    return lg.reopen().app.size()


def refer(lg) -> None:
    record(lg, "2026-03-30", "bu1", "incident-referred", aware_on="2026-03-30",
           received_on="2026-03-30", incident_on="2026-03-28")
    record(lg, "2026-03-31", "bu1", "reported-to-partners", on="2026-03-31")


def decide(lg) -> int:
    out = record(lg, "2026-04-01", "p1", "threshold-decided",
                 cosigners=["p2", "p3", "scrut"],
                 decided_by=["Partner A (LA)", "Partner B (ICB)", "Partner C (Police)",
                             "Scrutineer S"])
    return json.loads(out.stdout)["position"]


def threshold_clock(view: dict) -> dict:
    return next(c for c in view["clocks"] if c["clock"] == "threshold_decision")


def test_the_scrutineers_narrative(lg):
    refer(lg)
    decision = decide(lg)
    # Pending at once: the recorder has signed, three still to sign.
    pending = show(lg, "2026-04-01")["awaiting_cosignature"]
    assert [(r["position"], r["signed_by"], r["still_to_sign"], r["due_on"], r["overdue"])
            for r in pending] == [(decision, ["p1"], ["p2", "p3", "scrut"], "2026-04-10",
                                   False)]
    cosign(lg, "2026-04-02", "p2", decision)
    cosign(lg, "2026-04-07", "scrut", decision)
    # Fri 10 Apr 2026 is the 5th working day: still in time.
    view = show(lg, "2026-04-10")
    [row] = view["awaiting_cosignature"]
    assert (row["signed_by"], row["still_to_sign"], row["overdue"], row["note"]) == (
        ["p1", "p2", "scrut"], ["p3"], False, None)
    # The clock stopped on the decision's occurred date, co-signatures or not.
    clock = threshold_clock(view)
    assert (clock["due_on"], clock["status"], clock["met_on"]) == (
        "2026-04-08", "met", "2026-04-01")
    # Mon 13 Apr 2026: past the 5th working day, and p3 has still not signed.
    view = show(lg, "2026-04-13")
    [row] = view["awaiting_cosignature"]
    assert (row["still_to_sign"], row["overdue"], row["note"]) == (["p3"], True, LATE)
    plain = cli(lg, "2026-04-13", "case", "show", CASE).stdout
    assert "awaiting co-signature" in plain and f"still to sign: p3; due 2026-04-10; {LATE}" \
        in plain
    report = json.loads(cli(lg, "2026-04-13", "report", "compliance", "--from", "2026-04-01",
                            "--to", "2026-04-13", "--format", "json").stdout)
    assert report["cosignatures_late"] == [{
        "case": CASE, "decision": "threshold-decided", "position": decision,
        "occurred_on": "2026-04-01", "due_on": "2026-04-10", "still_to_sign": ["p3"],
        "completed_on": None}]
    csv_text = cli(lg, "2026-04-13", "report", "compliance", "--from", "2026-04-01", "--to",
                   "2026-04-13", "--format", "csv").stdout
    [late_row] = [line for line in csv_text.splitlines() if line.startswith("cosignature_late")]
    assert all(v in late_row.split(",") for v in (
        CASE, "threshold-decided", str(decision), "2026-04-01", "2026-04-10", "p3"))
    html = cli(lg, "2026-04-13", "report", "compliance", "--from", "2026-04-01", "--to",
               "2026-04-13", "--format", "html").stdout
    assert "Joint decisions not fully co-signed after 5 working days" in html
    assert '<time datetime="2026-04-10">10 Apr 2026</time></td><td>p3</td><td>not yet' in html
    # Tue 14 Apr 2026: p3 co-signs; nothing is awaited any more.
    cosign(lg, "2026-04-14", "p3", decision)
    view = show(lg, "2026-04-14")
    assert view["awaiting_cosignature"] == []
    assert threshold_clock(view)["met_on"] == "2026-04-01"
    [d] = [d for d in view["decisions"] if d["position"] == decision]
    assert ([s["actor"] for s in d["signatures"]], d["pending"]) == (
        ["p1", "p2", "scrut", "p3"], [])
    # The report still says it was completed late, and when.
    report = json.loads(cli(lg, "2026-04-14", "report", "compliance", "--from", "2026-04-01",
                            "--to", "2026-04-14", "--format", "json").stdout)
    assert [(r["still_to_sign"], r["completed_on"]) for r in report["cosignatures_late"]] \
        == [([], "2026-04-14")]
    # The trail shows every signature, each verified against the decision's hash.
    trail = json.loads(cli(lg, "2026-04-14", "case", "history", CASE, "--json").stdout)
    [d] = [r for r in trail if r["position"] == decision]
    assert [(s["actor"], s["role"], s["cosignature"], s["verified"]) for s in d["signatures"]] \
        == [("p1", ["partner"], False, True), ("p2", ["partner"], True, True),
            ("scrut", ["scrutineer"], True, True), ("p3", ["partner"], True, True)]
    assert all(len(s["key_id"]) == 32 for s in d["signatures"])
    assert [s["at"][:10] for s in d["signatures"]] == [
        "2026-04-01", "2026-04-02", "2026-04-07", "2026-04-14"]
    plain = cli(lg, "2026-04-14", "case", "history", CASE).stdout
    assert "co-signed by scrut as scrutineer (key" in plain and ": verified" in plain
    assert "pending:" not in plain


def test_history_names_the_pending_cosigners(lg):
    refer(lg)
    decision = decide(lg)
    cosign(lg, "2026-04-02", "scrut", decision)
    plain = cli(lg, "2026-04-02", "case", "history", CASE).stdout
    assert "pending: p2, p3" in plain
    assert "recorded by p1 as partner (key" in plain


def test_a_cosignature_no_longer_matching_the_decision_is_not_shown_verified(lg):
    refer(lg)
    decision = decide(lg)
    cosign(lg, "2026-04-02", "p2", decision)
    with raw(lg.home) as db:  # the chain hash recorded for the decision, changed by hand
        db.execute("UPDATE cspr_events SET chain_hash = :h WHERE position = :p",
                   {"h": bytes(32), "p": decision})
    trail = json.loads(cli(lg, "2026-04-02", "case", "history", CASE, "--json").stdout)
    [d] = [r for r in trail if r["position"] == decision]
    assert [s["verified"] for s in d["signatures"]] == [True, False]


def test_refusals_append_nothing(lg):
    refer(lg)
    decision = decide(lg)
    before = size(lg)
    # Exit 1: the recorder is not a co-signer; nor is a partner not named; an agency may
    # not co-sign at all; the referral is not a joint decision.
    for actor in ("p1", "both"):
        assert "cosigners" in cosign(lg, "2026-04-02", actor, decision, code=1).output
    cosign(lg, "2026-04-02", "ag1", decision, code=1)
    cosign(lg, "2026-04-02", "p2", 1 + 0, code=1)  # position 1: not a decision of a case
    referral = decision - 2
    assert "not a joint decision" in cosign(lg, "2026-04-02", "p2", referral, code=1).output
    # Exit 2: a position beyond the ledger's end, or not a position at all.
    assert "position" in cosign(lg, "2026-04-02", "p2", before + 50, code=2).output
    for bad in ("0", "-3", "seven"):
        cli(lg, "2026-04-02", "--as", "p2", "cosign", bad, code=2)
    # Exit 2: a co-signature is recorded by its command only.
    record(lg, "2026-04-02", "p2", "decision-cosigned", code=2, position=decision)
    assert size(lg) == before
    # Once each: a second co-signature by the same actor is refused.
    cosign(lg, "2026-04-02", "p2", decision)
    after = size(lg)
    assert "already co-signed" in cosign(lg, "2026-04-03", "p2", decision, code=1).output
    assert size(lg) == after


@pytest.mark.parametrize("cosigners, code, says", [
    (["nobody"], 1, "registered"),
    (["gone"], 1, "revoked"),
    (["p1"], 1, "recorder"),
    (["ag1"], 1, "role"),
    (["ldc", "scrut"], 1, "role"),
    ([], 2, "cosigners"),
    (["p2", "p2"], 2, "cosigners"),
    (["Not A Name"], 2, "cosigners"),
])
def test_a_decision_naming_cosigners_who_cannot_sign_is_refused(lg, cosigners, code, says):
    refer(lg)
    before = size(lg)
    out = record(lg, "2026-04-01", "p1", "threshold-decided", code=code, cosigners=cosigners)
    assert says in out.output
    assert "Not A Name" not in out.output  # an error never echoes what was typed
    assert size(lg) == before


def test_a_sign_off_after_closure_can_still_be_cosigned(lg):
    refer(lg)
    record(lg, "2026-04-01", "p1", "threshold-decided")
    record(lg, "2026-04-02", "p1", "review-commissioned", decided_on="2026-04-02")
    for day, purpose in (("2026-04-08", "establish"), ("2026-04-09", "monitor"),
                         ("2026-04-10", "finalise")):
        record(lg, day, "p1", "governance-group-met", on=day, purpose=purpose)
    out = record(lg, "2026-04-13", "p1", "final-report-signed-off", on="2026-04-13",
                 cosigners=["scrut", "p2"])
    signed_off = json.loads(out.stdout)["position"]
    record(lg, "2026-04-14", "p1", "case-closed", child_death_review_ref="CDR-MADE-UP-7")
    cosign(lg, "2026-04-15", "scrut", signed_off)
    cosign(lg, "2026-04-15", "p2", signed_off)
    view = show(lg, "2026-04-15")
    assert view["awaiting_cosignature"] == []
    [d] = [d for d in view["decisions"] if d["position"] == signed_off]
    assert [s["actor"] for s in d["signatures"]] == ["p1", "scrut", "p2"]


def test_a_decision_without_cosigners_is_not_awaiting_anything(lg):
    refer(lg)
    record(lg, "2026-04-01", "p1", "threshold-decided")
    assert show(lg, "2026-04-20")["awaiting_cosignature"] == []
