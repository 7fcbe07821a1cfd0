"""A built SQLite ledger copied into PostgreSQL, cached as a template database.

``build_ledger.py`` writes through the product's write path into SQLite only; writing the
same 1M events again through that path into PostgreSQL would take as long again. The
ledger's rows are what the chain, the signatures and the heads cover, and none of them
depends on the database: the rows are copied as they are (through the product's own table
definitions, so each column converts as the product reads and writes it), and the copy is
an honest PostgreSQL ledger if ``cspr verify`` passes on it (``bench/scale.py`` runs it
first and reports its exit). Tables both databases hold after opening (the
ledger's, and signed stream snapshots if the build made any) are copied; read models are
not (a fresh build has none).

The copy is kept as the database ``cspr_bench_<tag>_<key>`` (``tag`` names the bench
output folder, so two checkouts or test runs never share one), marked complete by a
comment on the database, and benches work on ``CREATE DATABASE .. TEMPLATE`` copies of it.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Callable

from sqlalchemy import MetaData, Table, create_engine, func, inspect, select, text
from sqlalchemy.engine import Engine, make_url

from bench._common import OUT
from ledger.app import LedgerApplication, normalise_url
from ledger.schema import metadata

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BATCH = 2_000  # rows per INSERT: bounded memory whatever the ledger's size
_DONE = "cspr bench copy complete"


def url_for(admin_url: str, database: str) -> str:
    return make_url(normalise_url(admin_url)).set(database=database).render_as_string(
        hide_password=False)


def _admin(admin_url: str) -> Engine:
    return create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")


def database_name(key: str, suffix: str = "") -> str:
    tag = hashlib.sha256(str(OUT).encode()).hexdigest()[:6]
    name = f"cspr_bench_{tag}_{key.replace('-', '_')}{suffix}".lower()
    if len(name) > 63:  # PostgreSQL's identifier limit
        name = name[:52] + "_" + hashlib.sha256(name.encode()).hexdigest()[:10]
    return name


def _exists(conn, name: str) -> bool:  # type: ignore[no-untyped-def]
    return conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                        {"n": name}).first() is not None


def _complete(conn, name: str) -> bool:  # type: ignore[no-untyped-def]
    return conn.execute(text(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"),
        {"n": name}).scalar() == _DONE


def drop(admin_url: str, name: str) -> None:
    engine = _admin(admin_url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def copy_rows(src_url: str, dst_url: str, keys_dir: Path,
              progress: Callable[[str], None]) -> dict[str, int]:
    """Every ledger table of ``src_url`` into the (fresh) ledger at ``dst_url``."""
    src = LedgerApplication(src_url, None, read_only=True)
    dst = LedgerApplication(dst_url, keys_dir)  # creates the tables, as `cspr init` does
    tables = [src.events_table, *metadata.sorted_tables]
    # Other tables both databases have (a snapshot table, say): as PostgreSQL defines them.
    known = {t.name for t in tables}
    for name in sorted(set(inspect(src.engine).get_table_names())
                       & set(inspect(dst.engine).get_table_names()) - known):
        tables.append(Table(name, MetaData(), autoload_with=dst.engine))
    counts: dict[str, int] = {}
    try:
        with src.engine.connect() as r, dst.engine.begin() as w:
            for table in tables:
                w.execute(table.delete())  # what opening wrote (the genesis head row)
                n = 0
                rows = r.execution_options(yield_per=BATCH).execute(select(table))
                for part in rows.partitions(BATCH):
                    w.execute(table.insert(), [dict(row._mapping) for row in part])
                    n += len(part)
                    if n % 100_000 < BATCH:
                        progress(f"postgres copy: {table.name}: {n} rows")
                counts[table.name] = n
                for col in table.primary_key.columns:
                    # Copied ids leave the serial sequence behind: the next append
                    # would reuse id 1.
                    seq = w.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": table.name, "c": col.name}).scalar()
                    if seq:
                        w.execute(text(f"SELECT setval('{seq}', (SELECT coalesce(max("
                                       f"{col.name}), 0) + 1 FROM {table.name}), false)"))
            if counts[src.events_table.name] != dst_size(w, src.events_table):
                raise RuntimeError("the copy does not hold every event")
    finally:
        src.close()
        dst.close()
    return counts


def dst_size(conn, table) -> int:  # type: ignore[no-untyped-def]
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


def ensure_copy(key: str, home_root: Path, admin_url: str,
                progress: Callable[[str], None]) -> str:
    """The name of the complete PostgreSQL copy of the built ledger ``key`` (copying it
    first if there is none), after dropping copies of the same build parameters made
    from older code."""
    name = database_name(key)
    prefix = database_name(key.rsplit("-", 1)[0] + "-")
    engine = _admin(admin_url)
    try:
        with engine.connect() as conn:
            for (old,) in conn.execute(text("SELECT datname FROM pg_database WHERE "
                                            "starts_with(datname, :p)"), {"p": prefix}):
                if old != name:
                    progress(f"dropping {old}: copied from an older build")
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)'))
            if _exists(conn, name) and _complete(conn, name):
                progress(f"reusing PostgreSQL copy {name}")
                _vacuumed(admin_url, name)
                return name
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        t0 = time.perf_counter()
        progress(f"copying {key} into PostgreSQL database {name} ...")
        counts = copy_rows(f"sqlite:///{home_root / 'ledger.sqlite'}",
                           url_for(admin_url, name), home_root / "keys", progress)
        _vacuumed(admin_url, name)
        with engine.connect() as conn:
            conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{_DONE}'"))
        progress(f"copied {counts} in {time.perf_counter() - t0:.1f} s")
        return name
    finally:
        engine.dispose()


def _vacuumed(admin_url: str, name: str) -> None:
    """VACUUM ANALYZE the copy (quick once done): a ledger written over months has been
    vacuumed and analysed by autovacuum, while rows copied in bulk a minute ago leave the
    planner without statistics and every count reading the table's pages (a count of 1M
    events 267 ms before, 36 ms after), which would be measured as the product's cost.
    The working copies made from it as a template inherit both."""
    engine = create_engine(url_for(admin_url, name), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def working_copy(admin_url: str, template: str, name: str) -> str:
    """A fresh database ``name`` made from ``template``; its URL."""
    engine = _admin(admin_url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    engine.dispose()
    return url_for(admin_url, name)
