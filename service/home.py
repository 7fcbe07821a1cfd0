"""Where a ledger lives: the home directory (keys, outbox, reports) and the database URL."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ledger.app import LedgerApplication
from ledger.errors import LedgerNotInitialisedError


@dataclass(frozen=True)
class Home:
    root: Path
    db_url: str | None = None

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def url(self) -> str:
        return self.db_url or f"sqlite:///{(self.root / 'ledger.sqlite').resolve()}"

    def open(self, must_exist: bool = True) -> LedgerApplication:
        if must_exist and not (self.keys / "master.key").exists():
            raise LedgerNotInitialisedError(str(self.root))
        return LedgerApplication(self.url, self.keys)

    @classmethod
    def from_env(cls, root: str | os.PathLike[str] | None = None,
                 db_url: str | None = None) -> "Home":
        return cls(Path(root or os.environ.get("CSPR_HOME", "cspr-data")),
                   db_url or os.environ.get("CSPR_DATABASE_URL") or None)
