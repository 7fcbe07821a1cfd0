"""EXPLAIN (ANALYZE, BUFFERS) of every hot read on a PostgreSQL ledger, flagging Seq Scans.

    python bench/explain.py --db URL [--plans] [--json]
    python bench/explain.py [--events 1000000] [--cases 2000] [--postgres-url URL]
                            [--drop-postgres] [--plans] [--json]

With ``--db`` the ledger at URL (PostgreSQL, its read models built) is only read: every
statement here is a SELECT, so a hot standby serves it. Without it the built ledger of
those parameters is copied into PostgreSQL (``bench/_postgres.py``), a working copy is
made, ``cspr projections rebuild`` builds its read models, and the copy is dropped after.

The SQL is the product's own: each hot read is run through the function that issues it
(the web's Today and case pages, ``cspr case list``, stream loads, as-of reads, verify's
pages, the nightly's reads since a position, the evidence export's), every statement it
sends is captured at the cursor, and each is then EXPLAINed with the parameters it had.
A few reads are rebuilt by hand where the product's function also writes (the
projector's update, the nightly's letters, which move a mark file) or reads through the
raw driver (verify's pages); each names the function it mirrors. Queries' reads are run
on the read models as they are (bringing them up to date is a write).

A Seq Scan on a selective read (one case, a position range, a type) is a FAIL: at 1M
events it reads the whole table for a handful of rows. Reads of a whole table by design
(``case list``, a rebuild's count of every case, retention's sweep) are marked ``full``:
a Seq Scan is the right plan there and is reported, not failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterator

_ROOT = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, str(_ROOT))

from sqlalchemy import event, func, select, text  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402

from domain.calendar import london_date  # noqa: E402
from domain.streams import Case, stream_id  # noqa: E402
from ledger.app import LedgerApplication  # noqa: E402
from ledger.mapper import parse_instant  # noqa: E402
from projections import batches, read  # noqa: E402
from projections import tables as T  # noqa: E402
from projections.projector import Projector  # noqa: E402
from projections.signed import signed_case_facts  # noqa: E402
from projections.source import case_facts, ledger_facts  # noqa: E402
from service.calendar_england import england_calendar  # noqa: E402
from service.packs import Scope, _key_positions, _records, _scope_positions  # noqa: E402
from service.queries import Queries  # noqa: E402

FULL, SELECTIVE = "full", "selective"


@dataclass(frozen=True)
class Sample:
    """The values the hot reads are asked about, taken from the ledger itself."""

    head: int
    case: str  # the case with the most events: the heaviest case page
    mid_instant: str  # recorded_at of the middle event: an as-of read
    since: int  # head - 100: a nightly's "events since position"
    last_instant: str  # recorded_at of the last event: "now" for the pages
    day: date  # its London day: "today", and the period an evidence export covers


@dataclass(frozen=True)
class Hot:
    name: str
    path: str  # where the read is issued
    kind: str  # FULL or SELECTIVE
    run: Callable[[LedgerApplication, Sample], Any]


def sample_of(app: LedgerApplication) -> Sample:
    t = app.events_table
    head = app.size()
    with app.engine.connect() as conn:
        case = conn.execute(select(T.cases.c.case_ref).order_by(
            T.cases.c.events.desc(), T.cases.c.case_ref).limit(1)).scalar()
        if case is None:
            raise SystemExit("the ledger has no read models: run `cspr --db URL "
                             "projections rebuild` on it first")
        mid, last = (conn.execute(select(t.c.recorded_at).where(t.c.position == p)).scalar()
                     for p in (max(1, head // 2), head))
    return Sample(head, case, mid, max(0, head - 100), last,
                  london_date(parse_instant(last)))


def _queries(app: LedgerApplication, s: Sample) -> Queries:
    # The read models as they are: bringing them up to date (Queries.projector) writes,
    # and what is measured here is the reads a page or command makes once they are.
    q = Queries(app, calendar=england_calendar())
    q.__dict__["projector"] = None
    q.now = parse_instant(s.last_instant)
    return q


def _bare_projector(app: LedgerApplication) -> Projector:
    p = object.__new__(Projector)  # without __init__: it creates tables (a write)
    p.app = app
    return p


def _projector_reads(app: LedgerApplication, s: Sample) -> None:
    """The reads of Projector._run after ``s.since``, less its writes."""
    t = app.events_table
    with app.engine.connect() as conn:
        conn.execute(select(func.max(t.c.position))).scalar()
        conn.execute(select(func.count()).select_from(t).where(
            t.c.position > s.since, t.c.position <= s.head)).scalar_one()
        refs = _bare_projector(app)._touched(conn, s.since, s.head)
        list(batches.counted(conn, t, refs))


def _fold_read(app: LedgerApplication, s: Sample) -> None:
    t = app.events_table  # projections.fold.fold_chunk's read of a chunk of cases
    with app.engine.connect() as conn:
        conn.execute(select(t.c.case_ref, t.c.position, t.c.state).where(
            t.c.case_ref.in_([s.case]), t.c.position <= s.head)
            .order_by(t.c.position)).all()


def _rebuild_cases(app: LedgerApplication, s: Sample) -> None:
    with app.engine.connect() as conn:
        next(batches.all_cases(conn, app.events_table), None)


def _letters_read(app: LedgerApplication, s: Sample) -> None:
    t = app.events_table  # jobs.nightly_letters.write_letters (it also moves a mark file)
    with app.engine.connect() as conn:
        conn.execute(select(t.c.position, t.c.case_ref, t.c.state).where(
            t.c.position > s.since, t.c.position <= s.head, t.c.actor == "system",
            t.c.event_type.in_(["deadline-breached", "action-escalated"]))
            .order_by(t.c.position)).all()


def _verify_page(app: LedgerApplication, s: Sample) -> None:
    t = app.events_table  # ledger.snapshot.driver_pages (raw driver): one page, from a mark
    with app.engine.connect() as conn:
        start = conn.execute(select(t.c.id).where(t.c.position == s.since)).scalar() or 0
        conn.execute(select(t.c.id, t.c.position, t.c.chain_hash, t.c.state).where(
            t.c.id > start).order_by(t.c.id).limit(2000)).all()


def _verify_seed(app: LedgerApplication, s: Sample) -> None:
    t = app.events_table  # ledger.verify_seed.seed: verify --since a verified mark
    with app.engine.connect() as conn:
        conn.execute(select(func.max(t.c.position)).where(
            t.c.position <= s.since, t.c.head_signature.is_not(None))).scalar()
        conn.execute(select(func.count()).select_from(t).where(
            t.c.id > s.since)).scalar_one()


def _stream_load(app: LedgerApplication, s: Sample) -> None:
    app.stream_cache.clear()  # a cold load: ledger.stream_cache's plain SQL
    app.stream_cache._query(stream_id(Case.kind, s.case), 1)


def _refresh_touched(app: LedgerApplication, s: Sample) -> None:
    from jobs.nightly_report import refresh_clocks  # the nightly's re-read since a position

    with app.engine.connect() as conn:  # a clock row of each touched case, as first read
        touched = _bare_projector(app)._touched(conn, s.since, s.head)
    clocks = [{"case": ref} for ref in touched]
    refresh_clocks(app, s.day, clocks, s.since, s.head)


def _retention(app: LedgerApplication, s: Sample) -> None:
    from jobs.retention import retention

    retention(app, 365, s.day)


def _export_period(app: LedgerApplication, s: Sample) -> None:
    positions = _scope_positions(app, Scope("period", start=s.day, end=s.day))
    _records(app, set(positions[:1000]))


def _export_case(app: LedgerApplication, s: Sample) -> None:
    positions = _scope_positions(app, Scope("case", case=s.case))
    _key_positions(app, s.head)
    _records(app, set(positions[:1000]))


HOT: list[Hot] = [
    Hot("Today: breached / at risk", "service.queries.attention", SELECTIVE,
        lambda a, s: _queries(a, s).attention()),
    Hot("Today: awaiting co-signature", "service.queries.awaiting_cosignature", SELECTIVE,
        lambda a, s: _queries(a, s).awaiting_cosignature()),
    Hot("case list", "service.queries.case_list", FULL,
        lambda a, s: _queries(a, s).case_list()),
    Hot("case page: view", "service.queries.view", SELECTIVE,
        lambda a, s: _queries(a, s).view(s.case)),
    Hot("case page: trail", "service.queries.history", SELECTIVE,
        lambda a, s: _queries(a, s).history(s.case)),
    Hot("case page: chronology", "service.queries.chronology", SELECTIVE,
        lambda a, s: _queries(a, s).chronology(s.case)),
    Hot("case deadlines", "projections.read.clock_rows(case)", SELECTIVE,
        lambda a, s: read.clock_rows(a, s.day, s.case)),
    Hot("case actions", "projections.read.action_rows(case)", SELECTIVE,
        lambda a, s: read.action_rows(a, s.case)),
    Hot("case as of an instant", "projections.source.case_facts", SELECTIVE,
        lambda a, s: case_facts(a, s.case, s.mid_instant)),
    Hot("signed case facts", "projections.signed.signed_case_facts", SELECTIVE,
        lambda a, s: signed_case_facts(a, s.case, lambda f: True)),
    Hot("ledger stream by type", "projections.source.ledger_facts", SELECTIVE,
        lambda a, s: ledger_facts(a, "actor-registered")),
    Hot("stream load (cold)", "ledger.stream_cache", SELECTIVE, _stream_load),
    Hot("stream replay", "ledger.storage.select_events", SELECTIVE,
        lambda a, s: a.replay(Case, s.case)),
    Hot("rows as of an instant", "ledger.app.rows(until_recorded)", SELECTIVE,
        lambda a, s: next(a.rows(["state"], s.since, until_recorded=s.mid_instant), None)),
    Hot("verify --since: seed", "ledger.verify_seed.seed", SELECTIVE, _verify_seed),
    Hot("verify: a page", "ledger.snapshot.driver_pages", SELECTIVE, _verify_page),
    Hot("projector update reads", "projections.projector._run", SELECTIVE,
        _projector_reads),
    Hot("projector fold read", "projections.fold.fold_chunk", SELECTIVE, _fold_read),
    Hot("rebuild: every case", "projections.batches.all_cases", FULL, _rebuild_cases),
    Hot("nightly: touched cases", "jobs.alarms.refresh_clocks", SELECTIVE,
        _refresh_touched),
    Hot("nightly: letters since", "jobs.nightly_letters.write_letters", SELECTIVE,
        _letters_read),
    Hot("nightly: retention sweep", "jobs.retention.retention", FULL, _retention),
    Hot("export: a day's period", "service.packs (period)", SELECTIVE, _export_period),
    Hot("export: a case", "service.packs (case)", SELECTIVE, _export_case),
]


def captured(app: LedgerApplication, fn: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Every statement ``fn`` sends through the app's engine, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
             many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(app.engine, "before_cursor_execute", grab)
    try:
        fn()
    finally:
        event.remove(app.engine, "before_cursor_execute", grab)
    return seen


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


def explain(conn: Connection, statement: str, parameters: Any,
            analyze: bool = True) -> dict[str, Any]:
    """The JSON plan of one captured statement (ANALYZE, BUFFERS: it runs)."""
    opts = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    [[doc]] = conn.exec_driver_sql(f"EXPLAIN ({opts}) {statement}", parameters).all()
    return doc[0]


WHOLE = " (whole index)"


def partial_indexes(conn: Connection) -> set[str]:
    """Indexes with a WHERE: read whole, they still hold only the rows asked about."""
    return set(conn.execute(text("SELECT indexname FROM pg_indexes WHERE indexdef "
                                 "LIKE '% WHERE %'")).scalars())


def scans(plan: dict[str, Any], partial: frozenset[str] | set[str] = frozenset()
          ) -> list[str]:
    """'Seq Scan on t', 'Index Scan using ix', ... of every scan node; an index walked
    from end to end (no Index Cond, not a partial index) is marked WHOLE: it reads every
    row's entry, as a Seq Scan reads every row."""
    out = []
    for n in plan_nodes(plan["Plan"]):
        if n["Node Type"] == "Seq Scan":
            out.append(f"Seq Scan on {n['Relation Name']}")
        elif "Index Name" in n:
            whole = "Index Cond" not in n and n["Index Name"] not in partial
            out.append(f"{n['Node Type']} using {n['Index Name']}" + (WHOLE if whole else ""))
    return out


def whole_reads(found: list[str]) -> list[str]:
    """The scans of ``found`` that read a ledger or read-model table whole."""
    ours = ("cspr_", "proj_")
    return sorted({f for f in found if f.startswith(tuple(f"Seq Scan on {t}" for t in ours))
                   or f.endswith(WHOLE) and f.split(" using ")[1].startswith(ours)})


def _is_read(statement: str) -> bool:
    return statement.lstrip().upper().startswith(("SELECT", "WITH"))


def explain_hot(app: LedgerApplication, hot: Hot, s: Sample,
                plans: bool) -> dict[str, Any]:
    statements = captured(app, lambda: hot.run(app, s))
    writes = [st.split()[0] for st, _ in statements if not _is_read(st)]
    rows = []
    with app.engine.connect() as conn:
        partial = partial_indexes(conn)
        done = set()
        for statement, params in statements:
            if not _is_read(statement) or statement in done:
                continue
            done.add(statement)
            plan = explain(conn, statement, params)
            found = scans(plan, partial)
            row = {"sql": " ".join(statement.split())[:300], "scans": sorted(set(found)),
                   "ms": round(plan["Planning Time"] + plan["Execution Time"], 2),
                   "rows": plan["Plan"]["Actual Rows"],
                   "whole": whole_reads(found)}
            if plans:
                row["plan"] = [r[0] for r in conn.exec_driver_sql(
                    f"EXPLAIN (ANALYZE, BUFFERS) {statement}", params).all()]
            rows.append(row)
        conn.rollback()
    whole = sorted({w for r in rows for w in r["whole"]})
    return {"name": hot.name, "path": hot.path, "kind": hot.kind, "statements": rows,
            "writes": writes, "whole": whole,
            "ms": round(sum(r["ms"] for r in rows), 2),
            "verdict": "FAIL" if (whole and hot.kind == SELECTIVE) or writes else "PASS"}


def explain_all(url: str, plans: bool, progress: Callable[[str], None]) -> dict[str, Any]:
    app = LedgerApplication(url, None, read_only=True)
    try:
        if app.engine.dialect.name != "postgresql":
            raise SystemExit("--db: a PostgreSQL ledger (EXPLAIN's plans are PostgreSQL's)")
        s = sample_of(app)
        progress(f"{s.head} events; case {s.case}; since {s.since}; day {s.day}")
        results = []
        for hot in HOT:
            r = explain_hot(app, hot, s, plans)
            progress(f"{hot.name}: {r['ms']} ms, {r['verdict']}"
                     + (f" ({'; '.join(r['whole'])})" if r["whole"] else ""))
            results.append(r)
        with app.engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
    finally:
        app.close()
    return {"events": s.head, "case": s.case, "server_version": version, "queries": results,
            "failed": [r["name"] for r in results if r["verdict"] == "FAIL"]}


def _built_copy(args: argparse.Namespace, progress: Callable[[str], None]
                ) -> tuple[str, Callable[[], None]]:
    """A working PostgreSQL copy of the built ledger, its read models rebuilt; its URL
    and how to drop it."""
    from bench import _postgres as pg
    from bench._common import OUT
    from bench.build_ledger import ensure_ledger
    from bench.memory import _env, cspr

    built = ensure_ledger(args.events, args.cases, args.big_case_events, args.seed,
                          args.workers, progress=progress)
    template = pg.ensure_copy(built.key, built.home_root, args.postgres_url, progress)
    name = pg.database_name(built.key, "_x")
    url = pg.working_copy(args.postgres_url, template, name)
    root = OUT / "work" / f"explain-{built.name}"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    shutil.copytree(built.home_root / "keys", root / "keys")
    progress(f"projections rebuild on {name} ...")
    # The built ledger's made-up keys are sealed under the builder's made-up passphrase.
    env = {"CSPR_KEY_PASSPHRASE": "bench made-up passphrase", **_env()}
    proc = subprocess.run(cspr(root, "--db", url, "projections", "rebuild"), env=env,
                          capture_output=True, cwd=_ROOT)
    if proc.returncode != 0:
        pg.drop(args.postgres_url, name)
        raise SystemExit(proc.stderr.decode(errors="replace")[-2000:])
    _analyze(url)

    def drop() -> None:
        pg.drop(args.postgres_url, name)
        if args.drop_postgres:
            pg.drop(args.postgres_url, template)
        shutil.rmtree(root, ignore_errors=True)

    return url, drop


def _analyze(url: str) -> None:
    # Fresh tables have no statistics until autovacuum comes by: plan with the real ones.
    app = LedgerApplication(url, None, read_only=True)
    try:
        with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("SET default_transaction_read_only = off")
            c.exec_driver_sql("ANALYZE")
    finally:
        app.close()


def run(args: argparse.Namespace, progress: Callable[[str], None]) -> dict[str, Any]:
    from bench._common import machine, warn_if_loaded

    warn_if_loaded(progress)  # type: ignore[arg-type]
    drop: Callable[[], None] = lambda: None  # noqa: E731
    url = args.db
    if url is None:
        url, drop = _built_copy(args, progress)
    try:
        out = explain_all(url, args.plans, progress)
    finally:
        drop()
    out["machine"] = machine()
    return out


def render(out: dict[str, Any]) -> str:
    from bench._common import table

    m = out["machine"]
    body = [[r["name"], r["kind"], f"{r['ms']:.1f}",
             "; ".join(sorted({x for st in r["statements"] for x in st["scans"]})),
             r["verdict"]] for r in out["queries"]]
    lines = [f"cspr-ledger EXPLAIN (ANALYZE, BUFFERS): {out['events']:,} events, PostgreSQL "
             f"{out['server_version']}, load {m['loadavg_at_start']} at start; case "
             f"{out['case']} (the most events)",
             "ms = planning + execution of every statement of the read, as PostgreSQL "
             "reports it", "",
             table(["read", "kind", "ms", "scans", "verdict"], body, "llrll")]
    for r in out["queries"]:
        for st in r["statements"]:
            if "plan" in st:
                lines += ["", f"-- {r['name']} ({r['path']})", st["sql"], *st["plan"]]
    if out["failed"]:
        lines += ["", f"FAIL: {', '.join(out['failed'])}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from bench import _postgres as pg
    from bench._common import finish

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=None,
                        help="a PostgreSQL ledger with read models, only read")
    parser.add_argument("--events", type=int, default=1_000_000,
                        help="without --db: the built ledger's events (default 1,000,000)")
    parser.add_argument("--cases", type=int, default=2_000, help="its cases (default 2,000)")
    parser.add_argument("--big-case-events", type=int, default=1_000,
                        help="its extra big case (default 1,000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--workers", type=int, default=None,
                        help="builder processes (default min(4, CPUs))")
    parser.add_argument("--postgres-url", default=pg.DEFAULT_ADMIN_URL,
                        help=f"the server's admin database (default {pg.DEFAULT_ADMIN_URL})")
    parser.add_argument("--drop-postgres", action="store_true",
                        help="drop the cached PostgreSQL copy too (default: kept, reused)")
    parser.add_argument("--plans", action="store_true",
                        help="print each statement's EXPLAIN (ANALYZE, BUFFERS) text too")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    return finish(run, args, render)


if __name__ == "__main__":
    sys.exit(main())
