"""Issue 12's scenario in a real browser, through the pages only: the business unit
records a referral through the forms; three partners and the Independent Scrutineer sign
in (with TOTP) and take a joint threshold decision, p1 recording it and p2, p3 and the
Scrutineer co-signing it; the nightly job runs (`cspr jobs nightly`, as cron would); the
Today page shows the breach. Every page visited is screenshot and checked by axe.

Dates counted by hand on a paper calendar (England bank holidays: Good Friday 3 Apr 2026,
Easter Monday 6 Apr 2026), as in tests/cli/test_issue11_cosign.py:
- LA aware Mon 30 Mar 2026 (day 0): the 5th working day is Tue 31 (1), Wed 1 Apr (2),
  Thu 2 (3), [Fri 3, Sat 4, Sun 5, Mon 6 skipped], Tue 7 (4), Wed 8 Apr (5). The threshold
  decision and the National Panel notification are both due Wed 8 Apr 2026.
- The decision is taken Wed 1 Apr (in time); the Panel is never notified, so from Thu 9
  Apr 2026 that clock is breached (§5, §7.2), and the nightly of 9 Apr records it.
"""

from __future__ import annotations

import json
import re
import zipfile
from datetime import datetime, timezone
from urllib.parse import urlsplit

from tests.cli.test_issue11_clocks import at
from tests.helpers import run_cli
from tests.web.browser import axe

CASE = "CS-2026-001"
CHILD = "Zephyrine Quillfeather"  # made up; personal data, never in a URL


def day(server, iso: str) -> None:
    """The app's clock moves to 10:00 London time (09:00 UTC, summer time) of that day."""
    server.clock.now = datetime.fromisoformat(f"{iso}T09:00:00").replace(tzinfo=timezone.utc)


def fill_date(page, legend: str, iso: str) -> None:
    y, m, d = iso.split("-")
    group = page.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Day").fill(d)
    group.get_by_label("Month").fill(m)
    group.get_by_label("Year").fill(y)


def choose(page, legend: str, option: str) -> None:
    page.get_by_role("group", name=legend).get_by_label(option, exact=True).check()


def sign_and_record(page, who: str, passphrase: str) -> None:
    page.get_by_label("Your passphrase").fill(passphrase)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign and record").click()
    # Accepted: redirected away from the form (303), never back to it with an error.
    assert page.locator(".govuk-error-summary").count() == 0, \
        page.locator(".govuk-error-summary").inner_text()
    assert not urlsplit(page.url).path.startswith("/record/"), (who, page.url)


def case_view(home, when: str) -> dict:
    with at(when, 12):
        result = run_cli(home, "case", "show", CASE, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def size(home) -> int:
    app = home.open()
    try:
        return app.size()
    finally:
        app.close()


def refer(people, server, shots) -> None:
    """bu1 records the referral (Mon 30 Mar) and the report to partners (Tue 31 Mar)."""
    day(server, "2026-03-30")
    page = people.sign_in("bu1", look=True)
    before = size(server.home)
    page.get_by_role("link", name="Record", exact=True).click()
    shots.take(page, "record-choose")
    axe.check(page, "the list of event types")
    page.get_by_role("link", name="incident-referred", exact=True).click()
    page.get_by_label("Case reference").fill(CASE)
    page.get_by_label("Referring agency").fill("Agency A")
    fill_date(page, "Received on", "2026-03-30")
    fill_date(page, "Aware on", "2026-03-30")
    fill_date(page, "Incident on", "2026-03-28")
    choose(page, "Harm", "Death")
    choose(page, "Location", "In area")
    choose(page, "Abuse or neglect", "Suspected")
    page.get_by_label("Name", exact=True).fill(CHILD)
    shots.take(page, "record-incident-referred")
    axe.check(page, "the incident-referred form")
    # A slip first: someone else's passphrase is refused on its field, nothing recorded.
    page.get_by_label("Your passphrase").fill(people.own["p1"])
    page.get_by_role("button", name="Sign and record").click()
    summary = page.locator(".govuk-error-summary")
    assert "The passphrase does not open your key" in summary.inner_text()
    assert page.get_by_label("Referring agency").input_value() == "Agency A"
    assert people.own["p1"] not in page.content()
    shots.take(page, "record-refused")
    axe.check(page, "the form with its error summary")
    assert size(server.home) == before
    sign_and_record(page, "bu1", people.own["bu1"])
    assert CHILD not in page.url
    assert size(server.home) == before + 1
    shots.take(page, "after-record")
    if page.get_by_role("heading", level=1).inner_text() != "Page not found":
        # The case page (web/cases.py), once there: the receipt is shown on it.
        assert "Recorded incident-referred on CS-2026-001" in page.inner_text("main")
        axe.check(page, "the case page")

    day(server, "2026-03-31")
    page = people.sign_in("bu1")
    page.goto("/record/reported-to-partners")
    page.get_by_label("Case reference").fill(CASE)
    fill_date(page, "On", "2026-03-31")
    sign_and_record(page, "bu1", people.own["bu1"])


def decide(people, server, shots) -> int:
    """p1 records the threshold decision (Wed 1 Apr), naming p2, p3 and scrut."""
    day(server, "2026-04-01")
    page = people.sign_in("p1")
    page.goto("/record/threshold-decided")
    page.get_by_label("Case reference").fill(CASE)
    choose(page, "Meets threshold", "Yes")
    page.get_by_label("Rationale").fill("Made-up rationale: the threshold is met.")
    page.get_by_label("Decided by").fill(
        "Partner A (LA)\nPartner B (ICB)\nPartner C (Police)\nScrutineer S")
    page.get_by_label("Cosigners (optional)").fill("p2\np3\nscrut")
    shots.take(page, "record-threshold-decided")
    axe.check(page, "the threshold-decided form")
    sign_and_record(page, "p1", people.own["p1"])
    [pending] = case_view(server.home, "2026-04-01")["awaiting_cosignature"]
    assert (pending["signed_by"], pending["still_to_sign"]) == (["p1"], ["p2", "p3", "scrut"])
    return pending["position"]


def cosign(people, server, shots, position: int) -> None:
    """p2, p3 and the Scrutineer each find the decision waiting and sign it (Thu 2 Apr)."""
    day(server, "2026-04-02")
    for n, who in enumerate(("p2", "p3", "scrut")):
        page = people.sign_in(who, look=(n == 0))
        page.get_by_role("link", name="Co-sign", exact=True).click()
        if n == 0:
            shots.take(page, "cosign-list")
            axe.check(page, "the list of decisions to co-sign")
        page.get_by_role("link", name=f"threshold-decided on {CASE}").click()
        assert urlsplit(page.url).path == f"/cosign/{position}"
        if n == 0:
            shots.take(page, "cosign-decision")
            axe.check(page, "a decision to co-sign")
        page.get_by_label("Your passphrase").fill(people.own[who])
        with page.expect_navigation():
            page.get_by_role("button", name="Sign this decision").click()
        assert page.locator(".govuk-error-summary").count() == 0, who
        if n == 2:
            shots.take(page, "cosigned")
    [decision] = [d for d in case_view(server.home, "2026-04-02")["decisions"]
                  if d["position"] == position]
    assert [s["actor"] for s in decision["signatures"]] == ["p1", "p2", "p3", "scrut"]
    assert decision["pending"] == []


def nightly(server) -> None:
    """Cron's nightly of Thu 9 Apr 2026, run by the CLI on the same home."""
    with at("2026-04-09", 22):
        result = run_cli(server.home, "jobs", "nightly", "--as-of", "2026-04-09", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["breaches_recorded"], out["verify_ok"]) == (1, True)


def play(people, server, shots) -> None:
    refer(people, server, shots)
    position = decide(people, server, shots)
    cosign(people, server, shots, position)
    nightly(server)


def test_a_referral_a_cosigned_decision_the_nightly_and_the_breach_on_today(
        people, server, shots):
    play(people, server, shots)
    day(server, "2026-04-10")  # Fri 10 Apr, the morning after the nightly
    page = people.sign_in("bu1")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Today")
    rows = page.locator("table[aria-labelledby=clocks] tbody tr")
    assert [r.inner_text().split("\t") for r in rows.all()] == [
        [CASE, "National Panel notified", "2026-04-08", "Breached", "§5, §7.2"]]
    assert "No decision is waiting for a co-signature." in page.inner_text("main")
    nightly_text = page.locator("#nightly ~ dl").first.inner_text()
    assert "2026-04-09" in nightly_text
    shots.take(page, "today-breach")
    axe.check(page, "the Today page with a breach")
    assert CHILD not in page.content()


def test_the_scrutineer_downloads_an_evidence_pack_verify_accepts(people, server, shots,
                                                                  tmp_path):
    """After the scenario, the Scrutineer verifies the ledger from the page, then
    downloads the pack of 30 Mar to 10 Apr 2026; the pack's own verify.py accepts it
    under the system key the partnership publishes (`cspr actor list --vkeys`)."""
    from evidence import verify_pack

    play(people, server, shots)
    day(server, "2026-04-10")
    page = people.sign_in("scrut")
    page.get_by_role("link", name="Scrutineer", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Scrutineer"
    shots.take(page, "scrutineer")
    axe.check(page, "the Scrutineer's page")
    page.get_by_role("link", name="Verify the whole ledger now").click()
    assert "events checked: every chain link" in page.inner_text("main")
    shots.take(page, "scrutineer-verify")
    axe.check(page, "the verification page")
    page.go_back()
    page.get_by_role("link", name=re.compile(f"^{CASE}\\W+decision trail$")).click()
    trail = page.locator("#decisions ~ .govuk-summary-card").first.inner_text()
    assert "threshold-decided: met" in trail and "Co-signed by" in trail
    shots.take(page, "case-page-with-trail")
    axe.check(page, "the case page with its decision trail")
    page.go_back()
    page.get_by_label("First day recorded").fill("2026-03-30")
    page.get_by_label("Last day recorded").fill("2026-04-10")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the evidence pack").click()
    pack = tmp_path / download.value.suggested_filename
    download.value.save_as(pack)
    assert pack.name == "evidence-pack-2026-03-30-to-2026-04-10.zip"
    listed = run_cli(server.home, "actor", "list", "--vkeys", "--json")
    assert listed.exit_code == 0, listed.output
    vkey = json.loads(listed.stdout)["system_vkeys"][0]["vkey"]
    assert verify_pack.main([str(pack), "--vkey", vkey]) == 0
    with zipfile.ZipFile(pack) as z:  # personal data is never in a pack
        assert not [n for n in z.namelist() if CHILD.encode() in z.read(n)]
