"""Lock-out with exponential back-off after failed sign-ins, per actor and per client.

Each key (an actor's name, or a client's address tag) may fail ``free`` times; every
failure after that locks it for ``base * 2**(failures - free - 1)`` seconds, up to
``ceiling``: 30 s, 60 s, 120 s ... one hour, with the defaults. While locked, an attempt
is refused without checking the passphrase (it would cost a key derivation and give a
guess). A success clears the actor's count and the client's.

Kept in memory, per server process: a restart forgets the counts (docs/deploy.md); the
sign-in log keeps every failure for anyone who must look back.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass
class Lockout:
    free: int = 3
    base_seconds: int = 30
    ceiling_seconds: int = 3600
    _failures: dict[str, int] = field(default_factory=dict)
    _until: dict[str, datetime] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def locked_until(self, keys: list[str], now: datetime) -> datetime | None:
        with self._lock:
            ends = [self._until[k] for k in keys if k in self._until and self._until[k] > now]
        return max(ends) if ends else None

    def failed(self, keys: list[str], now: datetime) -> None:
        with self._lock:
            for key in keys:
                count = self._failures.get(key, 0) + 1
                self._failures[key] = count
                if count > self.free:
                    wait = min(self.base_seconds * 2 ** (count - self.free - 1),
                               self.ceiling_seconds)
                    self._until[key] = now + timedelta(seconds=wait)

    def succeeded(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
                self._until.pop(key, None)
