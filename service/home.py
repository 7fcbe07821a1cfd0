"""Where a ledger lives: the home directory (keys, outbox, reports) and the database URL."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from ledger.app import LedgerApplication, normalise_url
from ledger.errors import LedgerNotInitialisedError
from ledger.reader import LedgerReader
from ledger.signing import check_private


DB_FILE = "ledger.sqlite"


def private_files() -> None:
    """Everything this process creates from now on (database, keys, letters, reports) is
    its owner's alone: 0600 files, 0700 folders. Personal data and evidence live there."""
    os.umask(0o077)


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
        return self.db_url or f"sqlite:///{(self.root / DB_FILE).resolve()}"

    def open(self, must_exist: bool = True) -> LedgerApplication:
        self._prepare(must_exist)
        return LedgerApplication(self.url, self.keys)

    def open_reader(self) -> LedgerReader | LedgerApplication:
        """The ledger for a command that reads only the read models and the events'
        indexed columns (ledger.reader: without the event store, issue 13). A database
        without the ledger's tables is opened as :meth:`open` opens it, which makes them."""
        self._prepare(must_exist=True)
        reader = LedgerReader(normalise_url(self.url))
        try:
            if reader.holds_ledger():
                return reader
        except BaseException:
            reader.close()
            raise
        reader.close()
        return LedgerApplication(self.url, self.keys)

    def _prepare(self, must_exist: bool) -> None:
        private_files()
        master = self.keys / "master.key"
        if must_exist:
            if not master.exists():
                raise LedgerNotInitialisedError(str(self.root))
            check_private(master)  # refused at once, whatever the command
        if self.db_url is None:
            self._create_database_file()

    def open_for_verification(self) -> LedgerApplication:
        """The ledger opened to be checked by someone who holds no key: no master key or
        keys/ folder is needed or made, no table or file is created, nothing is written
        (docs/evidence-format.md, "Verifying without secrets")."""
        where = str(self.root) if self.db_url is None else "the --db database"
        path = self._sqlite_path()
        if path is not None and not path.is_file():
            raise LedgerNotInitialisedError(where)
        app = LedgerApplication(self.url, None, read_only=True)
        try:
            if not app.holds_ledger():
                raise LedgerNotInitialisedError(where)
        except BaseException:
            app.close()
            raise
        return app

    def _sqlite_path(self) -> Path | None:
        # SQLite creates a missing file on connect: a verifier must not leave one behind.
        url = make_url(normalise_url(self.url))
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database)

    def _create_database_file(self) -> None:
        # SQLite creates the -wal and -shm files with the database file's mode, so the
        # file is made here, 0600, before SQLite opens it (it would use 0644).
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            os.close(os.open(self.root / DB_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                             0o600))
        except FileExistsError:
            pass

    @classmethod
    def from_env(cls, root: str | os.PathLike[str] | None = None,
                 db_url: str | None = None) -> "Home":
        return cls(Path(root or os.environ.get("CSPR_HOME", "cspr-data")),
                   db_url or os.environ.get("CSPR_DATABASE_URL") or None)
