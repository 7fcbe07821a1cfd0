"""Shared fixtures of the web tests (issue 12): an app over a made-up ledger, a test
client, and a helper that signs a person in with passphrase and TOTP.

Stable names, relied on by every test under tests/web/:
- ``web_ledger``: tests.helpers.Ledger (make_ledger over ``home``: SQLite and PostgreSQL),
  actors admin, bu1, p1, scrut, ldc, rev, ag1, every key sealed under TEST_PASSPHRASE.
- ``web_clock``: the app's clock (WebClock): the real time plus an offset the test moves
  with ``advance(seconds=...)``; freezegun moves it too.
- ``web_app``: create_app(web_ledger.home, clock=web_clock, config=WEB_CONFIG).
- ``client``: web_app.test_client() (plain http; Secure cookies still sent by the test
  client).
- ``sign_in``: ``sign_in(client, actor, passphrase=TEST_PASSPHRASE, path="/sign-in")``
  signs ``actor`` in on ``client``, enrolling their TOTP on first use (the secret kept
  in ``sign_in.secrets[actor]``); asserts it worked and returns the final response (a
  302 to the page asked for, ``path`` may carry ``?next=``).
- helpers ``csrf_token(html)``, ``post_form(client, path, data, page=None)`` (reads the
  CSRF token from ``page`` or ``path`` first), ``totp_code(secret, when)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.home import Home
from tests.conftest import TEST_PASSPHRASE
from tests.helpers import Ledger, make_ledger
from web.app import create_app

WEB_CONFIG: dict[str, Any] = {"TESTING": True}

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                   r'name="csrf_token" value="([^"]+)"|'
                   r'value="([^"]+)"[^>]*name="csrf_token"')


@dataclass
class WebClock:
    """Now, plus an offset a test moves; calls datetime.now, so freezegun moves it too."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


def csrf_token(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "no CSRF token on the page"
    return next(g for g in m.groups() if g)


def post_form(client: FlaskClient, path: str, data: dict[str, Any],
              page: str | None = None, **kw: Any) -> Any:
    """POST ``data`` to ``path`` with the CSRF token of the form at ``page`` (default
    ``path``), as a browser would after loading the form."""
    got = client.get(page or path)
    return client.post(path, data={**data, "csrf_token": csrf_token(got.get_data(True))},
                       **kw)


def totp_code(secret: str, when: datetime) -> str:
    return pyotp.TOTP(secret).at(when)


@pytest.fixture
def web_ledger(home: Home) -> Iterator[Ledger]:
    lg = make_ledger(home)
    try:
        yield lg
    finally:
        lg.app.close()


@pytest.fixture
def web_clock() -> WebClock:
    return WebClock()


@pytest.fixture
def web_app(web_ledger: Ledger, web_clock: WebClock) -> Iterator[Flask]:
    app = create_app(web_ledger.home, clock=web_clock, config=WEB_CONFIG)
    try:
        yield app
    finally:
        from web.context import EXTENSION

        app.extensions[EXTENSION].close()


@pytest.fixture
def client(web_app: Flask) -> FlaskClient:
    return web_app.test_client()


class SignIn:
    """Signs people in through the pages, as they would: passphrase, then code (and the
    enrolment the first time). A code is used once per time-step, so the clock is moved
    on 30 s when the same person signs in again within one."""

    def __init__(self, clock: WebClock) -> None:
        self.clock = clock
        self.secrets: dict[str, str] = {}
        self._last_step: dict[str, int] = {}

    def _code(self, actor: str) -> str:
        totp = pyotp.TOTP(self.secrets[actor])
        while totp.timecode(self.clock()) <= self._last_step.get(actor, -1):
            self.clock.advance(seconds=30)
        self._last_step[actor] = totp.timecode(self.clock())
        return totp.at(self.clock())

    def __call__(self, client: FlaskClient, actor: str,
                 passphrase: str = TEST_PASSPHRASE, path: str = "/sign-in") -> Any:
        r = post_form(client, path, {"actor": actor, "passphrase": passphrase})
        assert r.status_code == 302, f"passphrase step refused for {actor}"
        if r.headers["Location"].endswith("/sign-in/enrol"):
            page = client.get("/sign-in/enrol").get_data(True)
            m = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
            assert m, "the enrolment page shows no secret"
            self.secrets[actor] = m.group(1)
            r = client.post("/sign-in/enrol", data={
                "code": self._code(actor), "passphrase": passphrase,
                "csrf_token": csrf_token(page)})
        else:
            assert actor in self.secrets, f"{actor} enrolled outside this helper"
            r = post_form(client, "/sign-in/code", {"code": self._code(actor)})
        assert r.status_code == 302 and "/sign-in" not in r.headers["Location"], \
            f"code step refused for {actor}"
        return r


@pytest.fixture
def sign_in(web_clock: WebClock) -> SignIn:
    return SignIn(web_clock)
