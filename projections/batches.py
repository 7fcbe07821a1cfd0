"""Which cases the projector folds together: chunks bounded by their events.

A chunk of a fixed number of cases grows with their history (issue 8, finding 7: 200
cases of 500 events each hold five times what 200 cases of 100 do), so its memory grew
with the ledger. Cases are gathered instead until their events would pass a budget; a
case bigger than the budget on its own is folded alone (one case's history is the least
a fold can hold). The counts come from the case index alone and may include events
appended since the projector read the head: a chunk is then merely a little smaller.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection

EVENTS = 5_000  # events folded at a time: what the projector holds in memory
CASES = 200  # and at most this many cases, whatever their size: the IN list, the rows
PAGE = 1000  # cases counted per query


def all_cases(conn: Connection, t: Table) -> Iterator[tuple[str, int]]:
    """Every case reference and its number of events, paged along the case index."""
    last = ""
    while True:
        page = conn.execute(
            select(t.c.case_ref, func.count()).where(t.c.case_ref > last)
            .group_by(t.c.case_ref).order_by(t.c.case_ref).limit(PAGE)).all()
        yield from ((ref, int(n)) for ref, n in page)
        if len(page) < PAGE:
            return
        last = page[-1][0]


def counted(conn: Connection, t: Table, refs: list[str]) -> Iterator[tuple[str, int]]:
    """``refs`` (in their order), each with its number of events."""
    for i in range(0, len(refs), PAGE):
        page = refs[i:i + PAGE]
        counts = dict(conn.execute(
            select(t.c.case_ref, func.count()).where(t.c.case_ref.in_(page))
            .group_by(t.c.case_ref)).all())
        yield from ((ref, int(counts.get(ref, 0))) for ref in page)


def chunks(cases: Iterable[tuple[str, int]]) -> Iterator[list[str]]:
    """Consecutive cases, at most ``CASES`` of them and ``EVENTS`` events at a time
    (a single case over the budget alone)."""
    chunk: list[str] = []
    events = 0
    for ref, n in cases:
        if chunk and (events + n > EVENTS or len(chunk) == CASES):
            yield chunk
            chunk, events = [], 0
        chunk.append(ref)
        events += n
    if chunk:
        yield chunk
