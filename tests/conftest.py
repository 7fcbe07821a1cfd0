"""Shared fixtures: every ledger test runs on a SQLite file and on a real PostgreSQL.

PostgreSQL comes from CSPR_TEST_POSTGRES_URL; each test gets a fresh database of its own.
Under CI=true a missing or unreachable server fails the run; elsewhere those tests skip
with a message saying why.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledger import keyfile
from ledger.app import normalise_url
from service.home import Home

PG_ENV = "CSPR_TEST_POSTGRES_URL"
_pg_checked: dict[str, str | None] = {}


def _pg_problem(url: str) -> str | None:
    if url not in _pg_checked:
        try:
            engine = create_engine(normalise_url(url))
            with engine.connect() as conn:
                conn.execute(text("select 1"))
            engine.dispose()
            _pg_checked[url] = None
        except Exception as e:  # any failure to connect means "no server here"
            _pg_checked[url] = f"{type(e).__name__}: {str(e).splitlines()[0]}"
    return _pg_checked[url]


def _no_postgres(why: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required under CI=true: {why}")
    pytest.skip(f"PostgreSQL tests skipped: {why} (set {PG_ENV} to run them)")


# Every made-up key in the suite is sealed under this made-up passphrase, unless a test
# gives one of its own; set in the environment, so CLI subprocesses inherit it.
TEST_PASSPHRASE = "made-up test passphrase"


@pytest.fixture(autouse=True, scope="session")
def key_passphrase() -> Iterator[str]:
    # Session-wide, so module-scoped ledgers (tests/cli/test_rules.py) get it too; a
    # test's own monkeypatch of these variables is undone back to this.
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith("CSPR_KEY_PASSPHRASE")
                     or n == "CSPR_NEW_KEY_PASSPHRASE"]:
            mp.delenv(name)  # a developer's own must not leak into a test
        mp.setenv("CSPR_KEY_PASSPHRASE", TEST_PASSPHRASE)
        # A cheaper guess cost for keys sealed inside the test process (the files record
        # it, so they still open anywhere); test_key_protection checks the real one.
        mp.setattr(keyfile, "SCRYPT_N", 2 ** 10)
        yield TEST_PASSPHRASE


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        _no_postgres(f"{PG_ENV} is not set")
    problem = _pg_problem(base)
    if problem:
        _no_postgres(f"cannot connect to {PG_ENV}: {problem}")
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    name = f"cspr_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(base)).set(database=name).render_as_string(
        hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """None means the default: the SQLite file under the home."""
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return None


@pytest.fixture
def home(tmp_path: Path, db_url: str | None) -> Home:
    return Home(tmp_path / "home", db_url)
