"""What every blueprint reaches for: the ledger, its home, the clock, and whether the
caller asked for JSON. One place, so a blueprint never opens a ledger of its own."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from flask import current_app, request

from ledger.app import LedgerApplication
from service.home import Home

EXTENSION = "cspr"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class WebState:
    """Per application: the home, the clock, and the ledger, opened once per server
    thread and kept (a LedgerApplication holds per-write state, e.g. the personal-data
    sealer's keys pending during a save, so two threads never share one). Reads go to the
    database, so another process writing, e.g. cron's nightly, is seen at once."""

    home: Home
    clock: Callable[[], datetime] = utcnow
    _partnership: str | None = None
    _local: threading.local = field(default_factory=threading.local)
    _opened: list[LedgerApplication] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def ledger(self) -> LedgerApplication:
        app = getattr(self._local, "ledger", None)
        if app is None:
            app = self._local.ledger = self.home.open()
            with self._lock:
                self._opened.append(app)
        return app

    def partnership(self) -> str:
        # Named once at init and never changed: read once, not on every page.
        if self._partnership is None:
            self._partnership = self.ledger().partnership()
        return self._partnership

    def close(self) -> None:
        with self._lock:
            for app in self._opened:
                app.close()
            self._opened.clear()
        self._local = threading.local()


def state() -> WebState:
    return current_app.extensions[EXTENSION]


def ledger() -> LedgerApplication:
    """The ledger this application serves (opened on first use)."""
    return state().ledger()


def home() -> Home:
    return state().home


def now() -> datetime:
    """The application's clock: a parameter of create_app, so tests set the time."""
    return state().clock()


def setting(name: str) -> Any:
    return current_app.config[name]


def wants_json() -> bool:
    """?format=json, or a client that prefers JSON to HTML (scripts)."""
    if request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > \
        request.accept_mimetypes["text/html"]
