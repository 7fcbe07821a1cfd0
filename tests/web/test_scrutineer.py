"""The Scrutineer's pages (web/scrutineer.py) with Flask's test client, on both databases:
verification (intact, then a payload altered with raw SQL in the real database and the
finding shown), the last witnessed checkpoint, the compliance report, and an evidence pack
downloaded and accepted by the pack's own verify.py; no personal data anywhere."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from evidence import verify_pack
from tests.cli.test_issue11_clocks import at
from tests.cli.test_witness_flow import Witness, _cli, _offer, _system_vkey
from tests.helpers import CHILD_NAME, REFERRAL, Ledger, run_cli
from tests.ledger.tamper import raw, row_at
from tests.web.conftest import csrf_token
from tests.web.test_cases import HIDDEN, page

CASE = "CS-SCR-1"


@pytest.fixture
def referred(web_ledger: Ledger) -> int:
    """A case with a referral and a decision; the decision's position."""
    web_ledger.record("bu1", "incident-referred", CASE, REFERRAL, "2025-12-18")
    web_ledger.record("bu1", "reported-to-partners", CASE, {"on": "2025-12-19"},
                      "2025-12-19")
    return web_ledger.record("p1", "threshold-decided", CASE, {
        "meets_threshold": True, "rationale": "Made-up rationale for the trail.",
        "decided_by": ["LA", "ICB", "Police"]}, "2025-12-20").position


@pytest.fixture
def scrut(client: FlaskClient, sign_in: Any) -> FlaskClient:
    sign_in(client, "scrut")
    return client


def test_verification_is_intact_then_shows_the_finding_after_a_raw_sql_change(
        scrut: FlaskClient, web_ledger: Ledger, referred: int) -> None:
    html = page(scrut, "/scrutineer/verify")
    assert "Intact" in html and "Not intact" not in html
    ok = json.loads(page(scrut, "/scrutineer/verify?format=json"))
    cli = json.loads(run_cli(web_ledger.home, "verify", "--json").stdout)
    assert ok == cli and ok["ok"] is True
    with raw(web_ledger.home) as db:  # the rationale rewritten behind the ledger's back
        state = bytes(row_at(db, referred)["state"])
        assert b"Made-up rationale" in state
        db.execute("UPDATE cspr_events SET state = :s WHERE position = :p",
                   {"s": state.replace(b"Made-up rationale", b"Altered rationale!", 1),
                    "p": referred})
    html = page(scrut, "/scrutineer/verify")
    assert "Not intact" in html
    found = json.loads(page(scrut, "/scrutineer/verify?format=json"))
    assert found["ok"] is False
    assert {p["position"] for p in found["problems"]} == {referred}
    findings = html.split('id="findings-caption"', 1)[1]
    assert f'numeric">{referred}</td>' in findings
    for p in found["problems"]:
        assert p["kind"] in findings
    # The case page now refuses to show the trail unproved, and says so.
    case = page(scrut, f"/cases/{CASE}")
    assert "The decision trail is not shown" in case
    assert "Altered rationale!" not in case.split('id="decisions"', 1)[1].split(
        'id="actions"', 1)[0]


def test_the_last_witnessed_checkpoint_is_shown(
        scrut: FlaskClient, web_ledger: Ledger, referred: int, tmp_path: Path) -> None:
    assert "No witness has cosigned a checkpoint yet" in page(scrut, "/scrutineer")
    witness = Witness(web_ledger.home, tmp_path / "witness-machine",
                      name="witness.example/made-up")
    witness.trust(_system_vkey(web_ledger))
    note = tmp_path / "first.cosigned"
    _offer(web_ledger, witness, 0, note)
    _cli(web_ledger, "checkpoint", "cosigned", str(note), "--witness", witness.vkey)
    data = json.loads(page(scrut, "/scrutineer?format=json"))
    w = data["checkpoints"]["last_witnessed"]
    # The checkpoint covers every event so far: the ledger's setup and the case's three.
    assert w["witness"] == "witness.example/made-up"
    assert w["size"] == data["checkpoints"]["last_signed"]["size"] == referred
    html = page(scrut, "/scrutineer")
    assert f"{w['size']} events, root {w['root_hash']}, cosigned by " \
           f"witness.example/made-up" in html


def test_the_compliance_report_downloads_as_the_cli_makes_it(
        scrut: FlaskClient, web_app: Flask, sign_in: Any, web_ledger: Ledger,
        referred: int) -> None:
    with at("2026-03-31", 10):  # the default period: the 12 months to today
        on_the_day = web_app.test_client()
        sign_in(on_the_day, "admin")
        html = page(on_the_day, "/scrutineer")
    form = html.split('id="compliance"', 1)[1].split("</form>", 1)[0]
    assert re.findall(r'name="(from|to)" type="text" value="([^"]*)"', form) == [
        ("from", "2025-04-01"), ("to", "2026-03-31")]
    for fmt in ("html", "csv", "json"):
        r = scrut.get(f"/scrutineer/compliance?from=2025-12-01&to=2025-12-31&format={fmt}")
        assert r.status_code == 200, fmt
        assert r.headers["Content-Disposition"] == \
            f'attachment; filename="compliance-2025-12-01-to-2025-12-31.{fmt}"'
        cli = run_cli(web_ledger.home, "report", "compliance", "--from", "2025-12-01",
                      "--to", "2025-12-31", "--format", fmt)
        assert cli.exit_code == 0, cli.output
        # The CSV's lines end \r\n in both; click's test runner shows them as \n.
        assert r.get_data(True).replace("\r\n", "\n") == cli.output, fmt
        assert CHILD_NAME not in r.get_data(True)
    bad = scrut.get("/scrutineer/compliance?from=2025-12-31&to=2025-12-01")
    assert bad.status_code == 400
    assert 'href="#period-to"' in bad.get_data(True)


def test_the_evidence_pack_downloads_and_its_own_verify_accepts_it(
        scrut: FlaskClient, web_ledger: Ledger, referred: int, tmp_path: Path) -> None:
    form = page(scrut, "/scrutineer")
    today = json.loads(page(scrut, "/today?format=json"))["today"]
    r = scrut.post("/scrutineer/evidence-pack", data={
        "from": today, "to": today, "csrf_token": csrf_token(form)})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/zip"
    name = f"evidence-pack-{today}-to-{today}.zip"
    assert r.headers["Content-Disposition"].endswith(f"filename={name}")
    pack = tmp_path / name
    pack.write_bytes(r.data)
    vkey = json.loads(run_cli(web_ledger.home, "actor", "list", "--vkeys", "--json")
                      .stdout)["system_vkeys"][0]["vkey"]
    assert verify_pack.main([str(pack), "--vkey", vkey]) == 0
    with zipfile.ZipFile(io.BytesIO(r.data)) as z:
        manifest = json.loads(z.read(f"evidence-pack-{today}-to-{today}/pack.json"))
        assert manifest["scope"]["kind"] == "period"
        assert manifest["events"] == referred  # every event of today, setup included
        for member in z.namelist():
            for secret in HIDDEN:
                assert secret.encode() not in z.read(member), member


def test_an_evidence_pack_without_csrf_or_of_an_empty_period_is_refused(
        scrut: FlaskClient, web_ledger: Ledger, referred: int) -> None:
    size = web_ledger.app.size()
    assert scrut.post("/scrutineer/evidence-pack",
                      data={"from": "2025-01-01", "to": "2025-01-31"}).status_code == 400
    r = scrut.post("/scrutineer/evidence-pack", data={
        "from": "2020-01-01", "to": "2020-01-31",
        "csrf_token": csrf_token(page(scrut, "/scrutineer"))})
    assert r.status_code == 400
    html = r.get_data(True)
    assert 'href="#pack-from"' in html and "no events in this period" in html
    bad = scrut.post("/scrutineer/evidence-pack", data={
        "from": "not a day", "to": "2020-01-31",
        "csrf_token": csrf_token(page(scrut, "/scrutineer"))})
    assert bad.status_code == 400 and "not a day" not in bad.get_data(True).split(
        "govuk-error-summary", 1)[1].split("</ul>", 1)[0]
    assert web_ledger.app.size() == size  # nothing appended by a refusal


@pytest.mark.parametrize("who", ["bu1", "p1", "ldc", "rev", "ag1"])
def test_roles_other_than_scrutineer_and_admin_are_refused(
        web_app: Flask, sign_in: Any, referred: int, who: str) -> None:
    client = web_app.test_client()
    sign_in(client, who)
    for path in ("/scrutineer", "/scrutineer/verify", "/scrutineer/compliance"):
        assert client.get(path).status_code == 403, path
    r = client.post("/scrutineer/evidence-pack", data={
        "from": "2025-12-01", "to": "2025-12-31",
        "csrf_token": csrf_token(client.get("/today").get_data(True))})
    assert r.status_code == 403


def test_the_admin_reads_the_scrutineer_page(
        web_app: Flask, sign_in: Any, referred: int) -> None:
    client = web_app.test_client()
    sign_in(client, "admin")
    html = page(client, "/scrutineer")
    assert f'href="/cases/{CASE}#decisions"' in html
