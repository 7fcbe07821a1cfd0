"""The read commands on a database that refuses writes, as a read replica (a hot standby)
does: a copy of a PostgreSQL ledger with ``default_transaction_read_only = on``.

Each answers as on the primary, writes nothing, and a command reading the read models
says on stderr how far they reach (issue 13: docs/deploy.md, "The read side on a
replica"). SQLite has no replica: these tests run on PostgreSQL only.
"""

from __future__ import annotations

import gc
import json
import os
import re
import uuid
from typing import Iterator

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from ledger.app import normalise_url
from service.home import Home
from tests.conftest import PG_ENV
from tests.helpers import Ledger, make_ledger, run_cli, write_generated

PERIOD = ["--from", "2024-01-01", "--to", "2026-12-31"]
# The commands that read the read models: each says how far they reach on a replica.
FROM_READ_MODELS = [
    ["case", "list"], ["case", "list", "--json"], ["deadlines"], ["deadlines", "--json"],
    ["actions"], ["actions", "--json"], ["directory", "list"], ["directory", "list", "--json"],
    ["report", "compliance", *PERIOD, "--format", "json"],
    ["report", "compliance", *PERIOD, "--format", "csv"],
    ["report", "annual", *PERIOD, "--format", "json"],
    ["report", "annual", *PERIOD, "--format", "csv"],
]


def _cases(home: Home) -> list[str]:
    return [r["case"] for r in json.loads(run_cli(home, "case", "list", "--json").stdout)]

NOTE = re.compile(r"note: read models as of position (\d+) of (\d+) \(a read-only copy: "
                  r"brought up to date on the primary\)")


def _from_events(ref: str) -> list[list[str]]:
    """The commands that read the signed events only: no note."""
    return [["case", "show", ref], ["case", "show", ref, "--json"], ["case", "show", ref, "--as-of", "2099-01-01"],
            ["case", "show", ref, "--occurred-by", "2026-06-30", "--json"],
            ["case", "history", ref, "--json"], ["case", "chronology", ref, "--json"],
            ["case", "diff", ref, "--from", "2024-01-01", "--to", "2026-12-31", "--json"],
            ["actor", "list", "--json"], ["report", "retention", "--older-than", "30", "--json"]]


def _admin():
    return create_engine(normalise_url(os.environ[PG_ENV]), isolation_level="AUTOCOMMIT")


def _fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows: what any write would change."""
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return {name: tuple(conn.execute(text(
                f'SELECT count(*), coalesce(md5(string_agg(t::text, \',\' '
                f'ORDER BY t::text)), \'\') FROM "{name}" t')).one())
                for name in inspect(conn).get_table_names()}
    finally:
        engine.dispose()


class Replicas:
    """Read-only copies of the primary's database, made with CREATE DATABASE .. TEMPLATE
    (a copy is not a replica, but refuses writes as one does), dropped at the end."""

    def __init__(self, primary: Ledger) -> None:
        self.primary = primary
        self.made: list[str] = []

    def copy(self, before_read_only: str | None = None) -> Home:
        home = self.primary.home
        self.primary.app.close()
        gc.collect()  # engines the in-process commands left open
        source = make_url(home.db_url).database
        name = f"cspr_replica_{uuid.uuid4().hex[:12]}"
        admin = _admin()
        try:
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :d AND pid <> pg_backend_pid()"),
                             {"d": source})
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
                self.made.append(name)
                url = make_url(home.db_url).set(database=name).render_as_string(
                    hide_password=False)
                if before_read_only:
                    engine = create_engine(normalise_url(url))
                    with engine.begin() as c:
                        c.execute(text(before_read_only))
                    engine.dispose()
                conn.execute(text(f'ALTER DATABASE "{name}" '
                                  "SET default_transaction_read_only = on"))
        finally:
            admin.dispose()
        self.primary.app = home.open()
        return Home(home.root, url)  # the same keys/, beside the copy's URL

    def drop(self) -> None:
        gc.collect()
        admin = _admin()
        with admin.connect() as conn:
            for name in self.made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def primary(tmp_path, postgres_url) -> Ledger:
    lg = make_ledger(Home(tmp_path / "home", postgres_url))
    write_generated(lg, seed=13, cases=4)
    assert run_cli(lg.home, "projections", "update").exit_code == 0
    assert run_cli(lg.home, "checkpoint").exit_code == 0
    return lg


@pytest.fixture
def replicas(primary: Ledger) -> Iterator[Replicas]:
    made = Replicas(primary)
    yield made  # pytest runs what follows whether the test passed or not
    made.drop()


def _first_case(home: Home) -> str:
    return _cases(home)[0]


def _head(home: Home) -> int:
    engine = create_engine(normalise_url(home.db_url))
    with engine.connect() as conn:
        head = conn.execute(text("SELECT max(position) FROM cspr_events")).scalar_one()
    engine.dispose()
    return head


def test_every_read_command_answers_on_a_replica_as_on_the_primary_and_writes_nothing(
        primary, replicas):
    ref = _first_case(primary.home)
    # A past --as-of is folded from the events, but the case is looked up in the read models.
    reads = FROM_READ_MODELS + [["deadlines", "--case", ref, "--as-of", "2026-06-30"]]
    commands = reads + _from_events(ref)
    on_primary = {tuple(c): run_cli(primary.home, *c) for c in commands}
    assert {c: r.stderr for c, r in on_primary.items() if r.exit_code} == {}
    replica = replicas.copy()
    before = _fingerprint(replica.db_url)
    head = _head(replica)
    for command in commands:
        result = run_cli(replica, *command)
        assert result.exit_code == 0, (command, result.stderr)
        assert result.stdout == on_primary[tuple(command)].stdout, command
        notes = NOTE.findall(result.stderr)
        # Up to date here: the primary updated them before the copy was made.
        assert notes == ([(str(head), str(head))] if command in reads else []), \
            (command, result.stderr)
    for command in (["verify"], ["verify", "--projections"]):
        assert run_cli(replica, *command).exit_code == 0, command
    assert _fingerprint(replica.db_url) == before


def test_writes_on_the_copy_are_refused_so_the_test_above_proves_something(primary, replicas):
    replica = replicas.copy()
    result = run_cli(replica, "projections", "rebuild")
    assert result.exit_code == 1
    assert "refuses writes" in result.stderr and "Traceback" not in result.output
    head = _head(replica)
    update = run_cli(replica, "projections", "update")
    assert update.exit_code == 0
    # The fixture signed a checkpoint after its last update: the read models are one behind.
    assert update.stdout == f"read 0 events: 0 cases updated, position {head - 1}\n"
    assert NOTE.findall(update.stderr) == [(str(head - 1), str(head))]
    appended = run_cli(replica, "checkpoint")  # an append: refused by the database
    assert appended.exit_code == 1 and "Traceback" not in appended.output
    assert _head(replica) == head


def test_read_models_behind_the_events_are_read_as_they_are_and_the_note_says_so(
        primary, replicas):
    updated_to = _head(primary.home)
    on_primary = run_cli(primary.home, "case", "list", "--json").stdout
    write_generated(primary, seed=14, cases=2)  # appended; the read models not updated
    replica = replicas.copy()
    head = _head(replica)
    assert head > updated_to
    result = run_cli(replica, "case", "list", "--json")
    assert result.exit_code == 0
    assert result.stdout == on_primary  # the cases the read models held, not the new ones
    assert NOTE.findall(result.stderr) == [(str(updated_to), str(head))]
    # The primary brings them up to date: then it lists the new cases too.
    assert len(json.loads(run_cli(primary.home, "case", "list", "--json").stdout)) == \
        len(json.loads(on_primary)) + 2


def test_a_replica_without_read_models_says_so(primary, replicas):
    replica = replicas.copy(before_read_only="DROP TABLE proj_tracking")
    for command in (["case", "list"], ["deadlines", "--json"], ["report", "annual", *PERIOD]):
        result = run_cli(replica, *command)
        assert result.exit_code == 1, command
        assert "the read models are not in this database, and this database refuses " \
               "writes" in result.stderr
        assert "Traceback" not in result.output and "InternalError" not in result.output


def test_evidence_export_on_a_replica_uses_the_signed_checkpoint(primary, replicas,
                                                                  tmp_path):
    ref = _first_case(primary.home)
    # The Merkle cache emptied on the primary: the replica computes the proofs in memory.
    replica = replicas.copy(before_read_only="DELETE FROM cspr_merkle_nodes")
    before = _fingerprint(replica.db_url)
    pack = tmp_path / "pack"
    result = run_cli(replica, "evidence", "export", "--case", ref, "--output", str(pack),
                     "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["new_checkpoint"] is False
    assert run_cli(replica, "evidence", "verify", str(pack)).exit_code == 0
    assert _fingerprint(replica.db_url) == before


def test_evidence_export_needing_a_new_checkpoint_is_refused_on_a_replica(
        primary, replicas, tmp_path):
    known = set(_cases(primary.home))
    write_generated(primary, seed=15, cases=1)  # after the last checkpoint
    replica = replicas.copy()
    (ref,) = set(_cases(primary.home)) - known
    result = run_cli(replica, "evidence", "export", "--case", ref,
                     "--output", str(tmp_path / "pack"))
    assert result.exit_code == 1
    assert "needs a new checkpoint" in result.stderr and "refuses writes" in result.stderr
    assert not (tmp_path / "pack").exists()
