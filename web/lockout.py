"""Lock-out with exponential back-off after failed sign-ins, per actor and per client.

Each key (an actor's name, or a client's address tag) may fail ``free`` times; every
failure after that locks it for ``base * 2**(failures - free - 1)`` seconds, up to
``ceiling``: 30 s, 60 s, 120 s ... one hour, with the defaults. While locked, an attempt
is refused without checking the passphrase (it would cost a key derivation and give a
guess). A success clears the actor's count and the client's. A key's count is forgotten
``forget_after`` (a day) after its last failure, so a person who mistyped last month starts
afresh, and the state stays the size of the last day's failures.

With a ``path`` (the server's ``<home>/logs/lockout.json``) the counts live in that file,
read and rewritten under an exclusive ``flock`` for each decision: every worker process of
the server, and the server after a restart, sees the same counts, so neither more workers
nor a restart gives a guesser more tries. Without one (tests of the back-off alone) they
live in memory. The sign-in log keeps every failure for anyone who must look back.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

State = dict[str, dict[str, Any]]  # key -> {"failures": n, "last": iso, "until": iso?}


@dataclass
class Lockout:
    free: int = 3
    base_seconds: int = 30
    ceiling_seconds: int = 3600
    path: Path | None = None
    forget_after: timedelta = timedelta(days=1)
    _memory: State = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def locked_until(self, keys: list[str], now: datetime) -> datetime | None:
        with self._state(now, write=False) as state:
            ends = [until for k in keys if (until := _until(state.get(k))) and until > now]
        return max(ends) if ends else None

    def failed(self, keys: list[str], now: datetime) -> None:
        with self._state(now, write=True) as state:
            for key in keys:
                count = state.get(key, {}).get("failures", 0) + 1
                entry: dict[str, Any] = {"failures": count, "last": now.isoformat()}
                if count > self.free:
                    wait = min(self.base_seconds * 2 ** (count - self.free - 1),
                               self.ceiling_seconds)
                    entry["until"] = (now + timedelta(seconds=wait)).isoformat()
                state[key] = entry

    def succeeded(self, keys: list[str], now: datetime) -> None:
        with self._state(now, write=True) as state:
            for key in keys:
                state.pop(key, None)

    @contextmanager
    def _state(self, now: datetime, write: bool) -> Iterator[State]:
        with self._lock:
            if self.path is None:
                self._forget(self._memory, now)
                yield self._memory
                return
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
                state = _load(self.path)
                self._forget(state, now)
                yield state
                if write:
                    _save(self.path, state)
            finally:
                os.close(fd)  # releases the flock

    def _forget(self, state: State, now: datetime) -> None:
        for key in [k for k, e in state.items()
                    if _when(e.get("last")) is None or now - _when(e["last"]) > self.forget_after]:
            del state[key]


def _when(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _until(entry: dict[str, Any] | None) -> datetime | None:
    return _when(entry.get("until")) if isinstance(entry, dict) else None


def _load(path: Path) -> State:
    # A missing or damaged file holds no counts, as a restart did before the file existed;
    # it is rewritten whole at the next failure, and the sign-in log keeps every failure.
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    # Only entries of the shape written here: a count that is not a count is no count.
    return {k: v for k, v in data.items()
            if isinstance(v, dict) and type(v.get("failures")) is int
            and isinstance(v.get("last"), str)}


def _save(path: Path, state: State) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(state, f, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def shared() -> Lockout:
    """The app's lock-out: counts in ``<home>/logs/lockout.json``, the limits from the
    app's config (web.app DEFAULTS)."""
    from flask import current_app

    from web import context

    app = current_app
    if "cspr_lockout" not in app.extensions:
        app.extensions["cspr_lockout"] = Lockout(
            app.config["LOCKOUT_FREE_TRIES"], app.config["LOCKOUT_BASE_SECONDS"],
            app.config["LOCKOUT_MAX_SECONDS"],
            path=context.home().root / "logs" / "lockout.json")
    return app.extensions["cspr_lockout"]
