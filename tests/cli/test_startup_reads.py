"""The read commands open the ledger without the event store (issue 13): ``case list``,
``deadlines``, ``actions``, ``case show`` and ``case diff`` load neither
eventsourcing-sqlalchemy (nor the sqlalchemy.orm and sqlalchemy_utils it brings) nor the
procedure's event classes, and answer exactly as the ledger opened by the event store does.

No timing is asserted (bench/scale.py measures start-up): what made start-up slow is what
is checked, in a fresh interpreter, since this one has long since imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.schema import CreateColumn

from cli.context import Env
from ledger.app import LedgerApplication
from ledger.reader import LedgerReader, events_read_table
from ledger.schema import metadata
from service.home import Home
from tests.helpers import make_ledger, run_cli, write_generated

ROOT = Path(__file__).resolve().parents[2]

# What a read command used to load and does not need.
EVENT_STORE = ("eventsourcing_sqlalchemy", "sqlalchemy_utils", "sqlalchemy.orm",
               "domain.events", "domain.procedure")

# Run one command in a fresh interpreter, as `cspr` would, then name what of EVENT_STORE
# it loaded; its output first, the names on the last line.
_SCRIPT = """
import json, sys
import cli.main

code = None
try:
    cli.main.cli.main(sys.argv[1:], prog_name="cspr")
except SystemExit as e:
    code = e.code
print()
print(json.dumps({"exit": code, "loaded": sorted(m for m in %r if m in sys.modules)}))
""" % (EVENT_STORE,)


def _in_fresh_interpreter(home: Home, *args: str) -> tuple[dict, str]:
    base = ["--home", str(home.root), *(["--db", home.db_url] if home.db_url else [])]
    done = subprocess.run([sys.executable, "-c", _SCRIPT, *base, *args], cwd=ROOT,
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    printed, _, last = done.stdout.rstrip("\n").rpartition("\n")
    return json.loads(last), printed.rstrip("\n")


@pytest.fixture
def ledger(home: Home):
    lg = make_ledger(home)
    write_generated(lg, seed=13, cases=6)  # two of them with improvement actions
    return lg


# "Now" from the read models; "then" (a past day, or instants) folded from the events.
READS = [("case", "list"), ("deadlines",), ("actions",), ("case", "show", "{case}"),
         ("case", "show", "{case}", "--occurred-by", "2025-10-15"),
         ("deadlines", "--as-of", "2025-10-15"), ("actions", "--as-of", "2025-10-15"),
         ("case", "diff", "{case}", "--from", "2025-09-30", "--to", "2100-01-01")]


def test_a_read_command_loads_no_event_store_and_answers_as_the_event_store_does(
        ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    out = run_cli(ledger.home, "case", "list", "--json")
    case = json.loads(out.stdout)[0]["case"]
    for command in READS:
        args = [a.format(case=case) for a in command]
        for as_json in ([], ["--json"]):
            fresh, printed = _in_fresh_interpreter(ledger.home, *args, *as_json)
            assert fresh == {"exit": 0, "loaded": []}, args
            with monkeypatch.context() as m:  # the same command, on the ledger in full
                m.setattr(Env, "reader", Env.app)
                full = run_cli(ledger.home, *args, *as_json)
            assert full.exit_code == 0, full.output
            assert printed == full.stdout.rstrip("\n"), args
            assert printed not in ("", "(none)", "[]"), args  # not nothing against nothing


def test_a_command_that_writes_still_loads_the_event_store(ledger) -> None:
    fresh, _ = _in_fresh_interpreter(ledger.home, "projections", "update")
    assert "eventsourcing_sqlalchemy" in fresh["loaded"]  # the guard above can tell


def test_the_readers_events_table_is_the_event_stores_less_originator_id(home: Home) -> None:
    lg = make_ledger(home, with_actors=False)
    store = lg.app.events_table
    assert [c.name for c in store.columns if c.name not in events_read_table.c] == [
        "originator_id"]
    dialect = lg.app.engine.dialect
    for column in events_read_table.columns:
        theirs = store.c[column.name]
        assert (str(CreateColumn(column).compile(dialect=dialect))
                == str(CreateColumn(theirs).compile(dialect=dialect))), column.name
        assert (column.nullable, column.primary_key) == (theirs.nullable, theirs.primary_key)
    # Never created from ledger.schema's metadata (bench/_postgres.py creates that).
    assert events_read_table.metadata is not metadata
    # The library's unique (originator_id, originator_version) index is still declared.
    assert any(ix.unique and [c.name for c in ix.columns] == ["originator_id",
                                                              "originator_version"]
               for ix in store.indexes)


def test_a_reader_opens_and_reads_the_database_the_event_store_wrote(ledger) -> None:
    reader = ledger.home.open_reader()
    try:
        assert isinstance(reader, LedgerReader)
        with reader.engine.connect() as conn:
            read = conn.execute(text("SELECT count(*) FROM cspr_events")).scalar_one()
        assert read == ledger.app.size() > 0
    finally:
        reader.close()


def test_a_database_without_the_ledgers_tables_is_opened_by_the_event_store(
        home: Home) -> None:
    lg = make_ledger(home, with_actors=False)
    with lg.app.engine.begin() as conn:
        for table in ("cspr_events", "cspr_head"):
            conn.execute(text(f"DROP TABLE {table}"))
    lg.app.close()
    opened = home.open_reader()
    try:
        assert isinstance(opened, LedgerApplication)  # which makes the tables, as before
        assert opened.holds_ledger()
    finally:
        opened.close()
    out = run_cli(home, "case", "list")
    assert out.exit_code == 0, out.output
    assert out.output.strip() == "(none)"
