"""The application itself (issue 12): headers on every route, cookies, CSRF, error pages,
the page template, the vendored assets, `cspr serve`, and the Today page, on both
databases."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from flask import abort

from domain.calendar import london_date
from tests.conftest import TEST_PASSPHRASE
from tests.helpers import REFERRAL, run_cli
from tests.web.conftest import WEB_CONFIG, csrf_token, post_form
from web import auth_log
from web.app import create_app
from web.context import EXTENSION
from web.session_actor import requires

CASE = "C-2025-101"


def assert_secure_headers(r, where: str) -> None:
    csp = r.headers.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                      "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'",
                      "form-action 'self'"):
        assert directive in csp, (where, directive)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert r.headers.get("X-Content-Type-Options") == "nosniff", where
    assert r.headers.get("X-Frame-Options") == "DENY", where
    assert r.headers.get("Referrer-Policy") == "same-origin", where


def every_route(app) -> list[str]:
    """Each GET route of the app, its parameters filled with a made-up value."""
    paths = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods:
                continue
            values = {a: ("1" if rule._converters[a].__class__.__name__ != "IntegerConverter"
                          else 1) for a in rule.arguments}
            if rule.endpoint == "static":
                values = {"filename": "govuk/govuk-frontend.min.css"}
            paths.append(app.url_for(rule.endpoint, **values).replace("http://localhost", ""))
    return paths


# --- headers, cookies, CSRF ----------------------------------------------------------------


def test_security_headers_on_every_route_signed_in_or_not(web_app, sign_in):
    anonymous, person = web_app.test_client(), web_app.test_client()
    sign_in(person, "bu1")
    paths = every_route(web_app) + ["/no-such-page", "/today?format=json"]
    assert {"/sign-in", "/today", "/static/govuk/govuk-frontend.min.css"} <= set(paths)
    for client in (anonymous, person):
        for path in paths:
            assert_secure_headers(client.get(path), path)
    assert_secure_headers(anonymous.post("/sign-in", data={}), "POST without a token")


def test_pages_carry_no_inline_script_or_style(client, sign_in):
    pages = [client.get("/sign-in").get_data(True)]
    sign_in(client, "bu1")
    pages.append(client.get("/today").get_data(True))
    for html in pages:
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert 'src="/static/' in tag and 'type="module"' in tag, tag
        assert "<style" not in html and " style=" not in html and "onclick" not in html


def test_cookies_are_httponly_samesite_and_secure_unless_configured_off(web_ledger, sign_in):
    for secure in (True, False):
        app = create_app(web_ledger.home, config={**WEB_CONFIG, "SECURE_COOKIES": secure})
        client = app.test_client()
        r = post_form(client, "/sign-in", {"actor": "bu1", "passphrase": TEST_PASSPHRASE})
        cookie = r.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("; Secure" in cookie) is secure
        # The signed cookie holds no passphrase (it is signed, not encrypted).
        assert TEST_PASSPHRASE not in app.session_interface.get_signing_serializer(
            app).loads(client.get_cookie("cspr_session").value).__repr__()
        app.extensions[EXTENSION].close()


def test_a_post_without_the_csrf_token_changes_nothing(client, sign_in, web_ledger):
    r = client.post("/sign-in", data={"actor": "bu1", "passphrase": TEST_PASSPHRASE})
    assert r.status_code == 400 and TEST_PASSPHRASE not in r.get_data(True)
    assert client.get("/today").status_code == 302  # not signed in
    assert not auth_log.log_path(web_ledger.home).exists()  # not even a failure counted
    sign_in(client, "bu1")
    size = web_ledger.app.size()
    r = client.post("/sign-out", data={})
    assert r.status_code == 400
    assert client.get("/today").status_code == 200  # still signed in
    r = client.post("/sign-out", data={"csrf_token": "made-up-token"})
    assert r.status_code == 400 and client.get("/today").status_code == 200
    assert web_ledger.app.size() == size


def test_https_behind_the_proxy_gets_hsts_and_the_referer_check(web_app):
    client = web_app.test_client()
    page = client.get("/sign-in", base_url="https://ledger.example")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    token = csrf_token(page.get_data(True))
    data = {"actor": "bu1", "passphrase": TEST_PASSPHRASE, "csrf_token": token}
    # Over HTTPS, a POST from another site is refused even with a token.
    r = client.post("/sign-in", data=data, base_url="https://ledger.example",
                    headers={"Referer": "https://elsewhere.example/"})
    assert r.status_code == 400
    r = client.post("/sign-in", data=data, base_url="https://ledger.example",
                    headers={"Referer": "https://ledger.example/sign-in"})
    assert r.status_code == 302


# --- the page template and the assets ------------------------------------------------------


def test_the_header_names_the_partnership_and_nothing_of_govuk(client):
    html = client.get("/sign-in").get_data(True)
    assert "Testshire Safeguarding Partnership" in html
    header = html.split("<header", 1)[1].split("</header>", 1)[0]
    assert "Testshire Safeguarding Partnership" in header
    assert "GOV.UK" not in html and "govuk-header__logo" not in html
    assert "crown" not in html.lower() and "/assets/" not in html


def test_the_menu_offers_only_the_pages_a_persons_roles_open(web_app, sign_in):
    def menu(actor: str) -> set[str]:
        person = web_app.test_client()
        sign_in(person, actor)
        html = person.get("/today").get_data(True)
        nav = html.split('aria-label="Menu"', 1)[1].split("</nav>", 1)[0]
        return {text for text in ("Today", "Cases", "Record", "Co-sign", "Scrutineer",
                                  "Admin") if f">{text}<" in nav.replace("\n", "")
                .replace(" ", "")}
    assert menu("p1") == {"Today", "Cases", "Record", "Co-sign"}
    assert menu("scrut") == {"Today", "Cases", "Record", "Co-sign", "Scrutineer"}
    assert {"Admin", "Scrutineer"} <= menu("admin")
    for actor, page in (("p1", "/admin"), ("p1", "/scrutineer")):
        person = web_app.test_client()
        sign_in(person, actor)
        assert person.get(page).status_code == 403  # what the menu leaves out is closed


def test_vendored_assets_are_served_with_long_cache_and_the_system_font(client):
    css = client.get("/static/govuk/govuk-frontend.min.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "max-age=31536000" in css.headers["Cache-Control"]
    body = css.get_data(True)
    assert "GDS Transport" not in body and "@font-face" not in body
    assert "font-family:system-ui" in body
    js = client.get("/static/govuk/govuk-frontend.min.js")
    assert js.status_code == 200 and "javascript" in js.mimetype
    assert "export{" in js.get_data(True) and "initAll" in js.get_data(True)
    init = client.get("/static/init.mjs")
    assert "javascript" in init.mimetype  # a module script of another type is not run
    assert "initAll()" in init.get_data(True)
    assert "./govuk/govuk-frontend.min.js" in init.get_data(True)
    assert client.get("/static/govuk/LICENSE.txt").status_code == 200
    page = client.get("/sign-in")
    assert page.headers["Cache-Control"] == "no-store"


# --- errors --------------------------------------------------------------------------------


def test_error_pages_show_neither_traceback_nor_input(web_ledger):
    app = create_app(web_ledger.home, config=WEB_CONFIG)
    marker = "Zq-made-up-input-7"

    @app.get("/boom/<word>")
    def boom(word: str):
        raise RuntimeError(f"a failure quoting {word}")

    @app.get("/forbidden/<word>")
    def forbidden(word: str):
        abort(403)

    client = app.test_client()
    cases = {f"/boom/{marker}?q={marker}": 500, f"/nowhere/{marker}?q={marker}": 404,
             f"/forbidden/{marker}": 403}
    for path, status in cases.items():
        r = client.get(path)
        body = r.get_data(True)
        assert r.status_code == status, path
        assert marker not in body and "Traceback" not in body and "RuntimeError" not in body
        assert "Testshire Safeguarding Partnership" in body  # the service's own page
        j = client.get(path, headers={"Accept": "application/json"})
        assert j.status_code == status and marker not in j.get_data(True)
        assert set(j.get_json()) == {"error"}
    app.extensions[EXTENSION].close()


def test_requires_sends_strangers_to_sign_in_and_gives_403_to_other_roles(web_ledger,
                                                                          sign_in):
    app = create_app(web_ledger.home, clock=sign_in.clock, config=WEB_CONFIG)
    app.add_url_rule("/scrutiny", "scrutiny", requires("scrutineer")(lambda: "scrutiny"))
    stranger, bu, scrut = app.test_client(), app.test_client(), app.test_client()
    r = stranger.get("/scrutiny")
    assert r.status_code == 302 and r.headers["Location"].endswith("/sign-in?next=/scrutiny")
    assert stranger.get("/scrutiny?format=json").status_code == 401
    sign_in(bu, "bu1")
    r = bu.get("/scrutiny")
    assert r.status_code == 403 and "You do not have access" in r.get_data(True)
    sign_in(scrut, "scrut")
    assert scrut.get("/scrutiny").get_data(True) == "scrutiny"
    app.extensions[EXTENSION].close()


# --- `cspr serve` --------------------------------------------------------------------------


def test_cspr_serve_starts_waitress_on_the_app_with_its_options(web_ledger, monkeypatch):
    import waitress

    served = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: served.update(app=app, **kw))
    out = run_cli(web_ledger.home, "serve", "--port", "8123", "--insecure-cookies",
                  "--idle-timeout", "10", "--trusted-proxy", "127.0.0.1")
    assert out.exit_code == 0, out.output
    app = served.pop("app")
    assert (served["host"], served["port"], served["trusted_proxy"]) == (
        "127.0.0.1", 8123, "127.0.0.1")
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["IDLE_TIMEOUT_MINUTES"] == 10
    app.extensions[EXTENSION].close()
    refused = run_cli(web_ledger.home, "serve", "--port", "0")
    assert refused.exit_code == 2


def test_cspr_serve_refuses_a_home_without_a_ledger(tmp_path, monkeypatch):
    import waitress

    from service.home import Home

    monkeypatch.setattr(waitress, "serve", lambda app, **kw: pytest.fail("served"))
    out = run_cli(Home(tmp_path / "empty"), "serve")
    assert out.exit_code == 2 and "Traceback" not in out.output


# --- Today ---------------------------------------------------------------------------------


@pytest.fixture
def breach_and_cosign(web_ledger):
    """A case referred on Thursday 18 Dec 2025 and never reported to the partners, and a
    threshold decision of Monday 22 Dec 2025 that names scrut as co-signer."""
    web_ledger.record("bu1", "incident-referred", CASE, REFERRAL, "2025-12-18")
    web_ledger.record("p1", "threshold-decided", CASE, {
        "meets_threshold": True, "decided_by": ["LA", "ICB", "Police"],
        "rationale": "Made-up rationale for a test.", "cosigners": ["scrut"]}, "2025-12-22")
    return web_ledger


def test_today_shows_the_breach_and_the_decision_awaiting_co_signature(
        client, sign_in, breach_and_cosign):
    sign_in(client, "bu1")
    data = client.get("/today?format=json").get_json()
    clocks = {(c["case"], c["clock"]): c for c in data["clocks"]}
    # §6.1: reported within 1 working day of awareness (Thu 18 Dec 2025): Fri 19 Dec.
    breach = clocks[(CASE, "report_to_partners")]
    assert (breach["due_on"], breach["status"]) == ("2025-12-19", "breached")
    assert all(c["status"] in ("breached", "at_risk") for c in data["clocks"])
    (waiting,) = data["awaiting_cosignature"]
    assert (waiting["case"], waiting["decision"]) == (CASE, "threshold-decided")
    assert waiting["signed_by"] == ["p1"] and waiting["still_to_sign"] == ["scrut"]
    # 5 working days after Mon 22 Dec 2025, 25 and 26 Dec being bank holidays:
    # 23, 24, 29, 30, 31 Dec.
    assert waiting["due_on"] == "2025-12-31" and waiting["overdue"] is True
    assert data["last_nightly"]["as_of"] is None
    assert data["letters"] == {"pending": 0, "held": 0, "letters": []}
    html = client.get("/today").get_data(True)
    assert CASE in html and "2025-12-19" in html and "Breached" in html
    assert "scrut" in html and "threshold-decided" in html
    assert REFERRAL["child"]["name"] not in html  # never personal data
    assert client.get("/today", headers={"Accept": "application/json"}).is_json


def test_today_shows_the_last_nightly_run_its_verify_and_the_letters(
        client, sign_in, breach_and_cosign, web_clock):
    lg = breach_and_cosign
    out = lg.cli("--as", "system", "jobs", "nightly", "--json")
    assert out.exit_code == 0, out.output
    run = json.loads(out.stdout)
    sign_in(client, "scrut")
    data = client.get("/today?format=json").get_json()
    night = data["last_nightly"]
    assert night["as_of"] == run["as_of"] == london_date(datetime.now().astimezone()).isoformat()
    assert night["verify_ok"] is True and night["open_alarms"] == []
    assert night["checkpoint_size"] == run["checkpoint_size"] > 0
    assert night["report"] == f"compliance-{run['as_of']}.html"
    # The breach letters the run wrote wait in the outbox (no relay is configured).
    assert run["messages_written"] >= 1
    letters = data["letters"]
    assert letters["pending"] + letters["held"] == len(letters["letters"]) >= 1
    assert CASE in {x["case"] for x in letters["letters"]}
    html = client.get("/today").get_data(True)
    assert "Passed" in html and run["as_of"] in html


def test_today_needs_sign_in(client, breach_and_cosign):
    r = client.get("/today")
    assert r.status_code == 302 and CASE not in r.get_data(True)
    assert client.get("/today?format=json").status_code == 401


def test_today_shows_an_integrity_alarm_when_the_last_verify_failed(
        client, sign_in, breach_and_cosign):
    from sqlalchemy import text

    lg = breach_and_cosign
    assert lg.cli("--as", "system", "jobs", "nightly").exit_code == 0
    receipt = lg.record("bu1", "reported-to-partners", CASE, {"on": "2025-12-22"},
                        "2025-12-22")
    with lg.app.engine.begin() as db:  # altered behind the ledger's back
        state = bytes(db.execute(text("SELECT state FROM cspr_events WHERE position = :p"),
                                 {"p": receipt.position}).scalar_one())
        db.execute(text("UPDATE cspr_events SET state = :s WHERE position = :p"),
                   {"s": state.replace(b"2025-12-22", b"2025-12-21", 1),
                    "p": receipt.position})
    assert lg.cli("--as", "system", "jobs", "nightly").exit_code == 1
    sign_in(client, "admin")
    night = client.get("/today?format=json").get_json()["last_nightly"]
    assert night["verify_ok"] is False
    assert receipt.position in {a["position"] for a in night["open_alarms"]}
    assert "Integrity alarm" in client.get("/today").get_data(True)


def test_each_server_thread_has_its_own_ledger(web_app):
    import threading

    from web import context

    seen = []

    def use() -> None:
        with web_app.app_context():
            seen.append((context.ledger(), context.ledger()))

    threads = [threading.Thread(target=use) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (a1, a2), (b1, b2) = seen
    assert a1 is a2 and b1 is b2 and a1 is not b1
