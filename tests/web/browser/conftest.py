"""A real browser over a live `cspr serve` app: the distribution's Chromium, driven by
Playwright, one browser per test session and a fresh context (cookies, storage) per person.

Where Chromium or Playwright is missing these tests skip, or fail under CI=true
(tests/web/browser/tools.py). Screenshots go to tests/web/browser/artefacts/ (git-ignored),
one folder per test and database, overwritten at each run.
"""

from __future__ import annotations

import re
import shutil
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from service import actors
from service.home import Home
from service.passphrases import variable
from tests.helpers import make_ledger_of_people
from tests.web.browser.tools import AXE_JS, CHROMIUM, FLAGS, missing
from web.app import create_app
from web.context import EXTENSION

ARTEFACTS = Path(__file__).parent / "artefacts"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole session: each test costs a context, not a browser."""
    if not CHROMIUM.is_file():
        missing(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    if not AXE_JS.is_file():
        missing(f"axe-core is not installed at {AXE_JS} (make browser-setup)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright for Python is not installed (make install)")
    manager = sync_playwright().start()
    try:
        chromium = manager.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                           args=FLAGS)
    except Exception as e:  # a broken install: say why once, for every test
        manager.stop()
        missing(f"Chromium at {CHROMIUM} did not start: {str(e).splitlines()[0]}")
    try:
        yield chromium
    finally:
        chromium.close()
        manager.stop()


class Clock:
    """The app's clock, moved by the test: a day of the scenario, not the machine's."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Server:
    home: Home
    url: str
    clock: Clock


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 30, 9, 0, tzinfo=timezone.utc))


@pytest.fixture
def passphrases(home: Home, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A ledger of made-up people (tests/helpers.py's, and partners p2 and p3), each key
    sealed under its owner's own made-up passphrase, which only the browser types."""
    lg, own = make_ledger_of_people(home, monkeypatch)
    monkeypatch.setenv(variable("admin"), own["admin"])  # admin registers them
    for name in ("p2", "p3"):
        own[name] = f"{name}'s own made-up passphrase"
        monkeypatch.setenv(variable(name), own[name])
        actors.add_actor(lg.app, home, name, ["partner"])
        monkeypatch.delenv(variable(name))
    monkeypatch.delenv(variable("admin"))
    lg.app.close()
    return own


@pytest.fixture
def server(home: Home, clock: Clock, passphrases: dict[str, str]) -> Iterator[Server]:
    """The app on a free port of 127.0.0.1, in a thread, until the test ends."""
    from werkzeug.serving import make_server

    # Over plain http a Secure cookie never comes back: off for the test server only.
    app = create_app(home, clock=clock, config={"SECURE_COOKIES": False})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(home, f"http://127.0.0.1:{server.server_port}", clock)
    finally:
        server.shutdown()
        thread.join(10)
        app.extensions[EXTENSION].close()


@dataclass
class Shots:
    """Screenshots of each page a test visits, numbered in the order taken."""
    folder: Path
    taken: list[Path] = field(default_factory=list)

    def take(self, page: Any, name: str) -> Path:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    folder = ARTEFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Shots(folder)


class Browsing:
    """Opens one browser context per person (their own cookies), and collects what the
    page itself complained of: a Content-Security-Policy refusal or a script error means
    the page does not work as served, so every test asserts there was none."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[Any] = []
        self.complaints: list[str] = []

    def new_page(self) -> Any:
        context = self.browser.new_context(base_url=self.base_url,
                                           viewport={"width": 1024, "height": 768})
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.complaints.append(f"script error: {e}"))
        page.on("response", self._response)
        return page

    def _console(self, message: Any) -> None:
        # A failed load is reported by _response, with its address.
        if message.type == "error" and not message.text.startswith("Failed to load"):
            self.complaints.append(message.text)

    def _response(self, response: Any) -> None:
        # A page's own status is the test's to check; a file it needs must load. Chromium
        # asks for /favicon.ico by itself even when a page names no icon.
        request = response.request
        if (response.status >= 400 and not request.is_navigation_request()
                and not response.url.endswith("/favicon.ico")):
            self.complaints.append(f"{response.status} for {response.url}")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


PASSED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[PASSED] = report.passed


@pytest.fixture
def browsing(browser: Any, server: Server, request: pytest.FixtureRequest
             ) -> Iterator[Browsing]:
    b = Browsing(browser, server.url)
    try:
        yield b
    finally:
        b.close()
    if request.node.stash.get(PASSED, False):  # else the test's own failure says more
        assert b.complaints == [], f"the pages reported errors: {b.complaints}"


@pytest.fixture
def page(browsing: Browsing) -> Any:
    return browsing.new_page()


class People:
    """Each made-up person at their own browser (context), signing in as a person would:
    name and passphrase, then the code their authenticator app shows. The first time, the
    app is set up from the key the enrolment page shows (read off the page, as a person
    would type it into the app); the code is pyotp's for the app's clock."""

    def __init__(self, browsing: Browsing, server: Server, own: dict[str, str],
                 shots: Shots) -> None:
        self.browsing, self.server, self.own, self.shots = browsing, server, own, shots
        self.secrets: dict[str, str] = {}

    def code(self, actor: str) -> str:
        import pyotp

        # A code is accepted once: a minute later, the app shows a fresh one.
        self.server.clock.now += timedelta(minutes=1)
        return pyotp.TOTP(self.secrets[actor]).at(self.server.clock.now)

    def sign_in(self, actor: str, look: bool = False) -> Any:
        """A signed-in page for ``actor``; with ``look``, each step is screenshot and
        checked by axe (once per kind of page is enough)."""
        from tests.web.browser import axe

        page = self.browsing.new_page()
        page.goto("/sign-in")
        page.get_by_label("Your name on the ledger").fill(actor)
        page.get_by_label("Passphrase", exact=True).fill(self.own[actor])
        if look:
            self.shots.take(page, "sign-in")
            axe.check(page, "the sign-in page")
        page.get_by_role("button", name="Continue").click()
        if actor not in self.secrets:
            page.wait_for_url("**/sign-in/enrol")
            self.secrets[actor] = page.locator("#totp-secret").inner_text().strip()
            if look:
                self.shots.take(page, "enrol")
                axe.check(page, "the enrolment page")
            page.get_by_role("textbox", name="Code", exact=True).fill(self.code(actor))
            page.get_by_label("Passphrase", exact=True).fill(self.own[actor])
            page.get_by_role("button", name="Confirm and sign in").click()
        else:
            page.wait_for_url("**/sign-in/code")
            if look:
                self.shots.take(page, "code")
                axe.check(page, "the code page")
            page.get_by_role("textbox", name="Code", exact=True).fill(self.code(actor))
            page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/sign-in" not in url)
        return page


@pytest.fixture
def people(browsing: Browsing, server: Server, passphrases: dict[str, str],
           shots: Shots) -> People:
    return People(browsing, server, passphrases, shots)
