"""A derived store of Merkle subtree hashes, so that a proof need not rehash the ledger.

An inclusion or consistency proof (RFC 9162 §2.1.3–2.1.4) is a list of subtree hashes.
Computed from the events, every proof costs a pass over every leaf: 12–24 µs a row, so
12–24 s on a million events. This table keeps the hash of every complete, aligned
subtree of 2^4, 2^8, 2^12, … leaves (about one row per 15 events): any perfect subtree
is then at most 16 stored hashes away, and only the leaves of its own 16-leaf block, or
after the table's last block, are read from the events.

The table is an accelerator and is never trusted. It is rebuilt from the events at will
(``reset``), nothing signs it, and whoever uses a hash from it checks the result against
what was signed (the root of a checkpoint the ledger signed, the leaf computed from the
event being proved) and falls back to the events if they differ (service.packs). A
tampered or stale row costs a slow export, never a wrong proof. Coverage is a prefix:
every stored block ends at or before ``covered`` leaves, and every complete block within
it is stored, because each batch of blocks is written in one transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from ledger.checkpoint import leaf_rows, leaves_at
from ledger.merkle import node_hash
from ledger.schema import merkle_table

if TYPE_CHECKING:
    from ledger.app import LedgerApplication

STEP = 4  # stored levels are multiples of 4: blocks of 16, 256, 4096, ... leaves
_BATCH = 65_536  # leaves per write transaction when extending

Range = tuple[int, int]  # [lo, hi): leaves lo+1..hi, i.e. positions lo+1..hi


def covered(app: "LedgerApplication") -> int:
    """How many leaves, from the first, the stored blocks cover."""
    with app.engine.connect() as conn:
        last = conn.execute(select(func.max(merkle_table.c.idx))
                            .where(merkle_table.c.level == STEP)).scalar()
    return 0 if last is None else (int(last) + 1) << STEP


def reset(app: "LedgerApplication") -> None:
    with app.engine.begin() as conn:
        conn.execute(delete(merkle_table))


def extend(app: "LedgerApplication", upto: int) -> int:
    """Store the blocks that end at or before leaf ``upto`` and are not stored yet,
    reading only the events after the stored ones. Returns the leaves covered. Another
    process extending at the same time wins: its rows are the same hashes."""
    start = covered(app)
    target = upto >> STEP << STEP
    if target <= start:
        return start
    pending = _open_blocks(app, start)
    rows: list[dict[str, object]] = []
    block: list[bytes] = []
    n = start
    for leaf, _ in leaf_rows(app, start, target):
        block.append(leaf)
        n += 1
        if len(block) < 1 << STEP:
            continue
        level, h, idx = STEP, _fold(block), (n >> STEP) - 1
        block = []
        while True:
            rows.append({"level": level, "idx": idx, "hash": h})
            siblings = pending.setdefault(level, [])
            siblings.append(h)
            if len(siblings) < 1 << STEP:
                break
            pending[level] = []
            level, h, idx = level + STEP, _fold(siblings), idx >> STEP
        if n % _BATCH == 0:
            if not _store(app, rows):
                return covered(app)
            rows = []
    if n != target or not _store(app, rows):
        return covered(app)
    return n


def refresh(app: "LedgerApplication", upto: int) -> int:
    """``extend``, starting again from the first event if the stored blocks are not a
    complete prefix any more."""
    try:
        return extend(app, upto)
    except StaleCacheError:
        reset(app)
        return extend(app, upto)


def subtree_hashes(app: "LedgerApplication", ranges: Iterable[Range], size: int,
                   trusted: int | None = None) -> dict[Range, bytes]:
    """The hash of each perfect subtree named (2^h leaves from a multiple of 2^h, within
    the first ``size``), from the stored blocks within the first ``trusted`` leaves and
    from the events for the rest."""
    wanted = set(ranges)
    top = min(covered(app), size, size if trusted is None else trusted)
    need_nodes: dict[int, set[int]] = {}
    need_leaves: set[int] = set()
    plans = {r: _plan(r, top, need_nodes, need_leaves) for r in wanted}
    nodes = _read_nodes(app, need_nodes)
    leaves = leaves_at(app, sorted(need_leaves))
    if len(leaves) != len(need_leaves):
        raise StaleCacheError()  # events missing: the caller's fallback will say so
    return {r: _evaluate(plan, nodes, leaves) for r, plan in plans.items()}


# A plan is ("node", level, idx), ("leaf", index), or ("pair", plan, plan).
def _plan(r: Range, top: int, nodes: dict[int, set[int]], leaves: set[int]) -> tuple:
    lo, hi = r
    width = hi - lo
    if width < 1 or width & (width - 1) or lo % width:
        raise ValueError("not a perfect subtree")
    h = width.bit_length() - 1
    if hi <= top and h >= STEP:
        base = h - h % STEP
        idxs = range(lo >> base, hi >> base)
        nodes.setdefault(base, set()).update(idxs)
        return ("fold", base, idxs.start, idxs.stop)
    if h == 0:
        leaves.add(lo)
        return ("leaf", lo)
    mid = lo + width // 2
    return ("pair", _plan((lo, mid), top, nodes, leaves), _plan((mid, hi), top, nodes, leaves))


def _evaluate(plan: tuple, nodes: dict[tuple[int, int], bytes],
              leaves: dict[int, bytes]) -> bytes:
    kind = plan[0]
    if kind == "leaf":
        return leaves[plan[1]]
    if kind == "pair":
        return node_hash(_evaluate(plan[1], nodes, leaves), _evaluate(plan[2], nodes, leaves))
    _, base, first, stop = plan
    return _fold([nodes[(base, i)] for i in range(first, stop)])


def _fold(hashes: list[bytes]) -> bytes:
    """The root of a perfect subtree from its 2^k equal-sized children, in order."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


def _read_nodes(app: "LedgerApplication",
                need: dict[int, set[int]]) -> dict[tuple[int, int], bytes]:
    t = merkle_table.c
    out: dict[tuple[int, int], bytes] = {}
    with app.engine.connect() as conn:
        for level, idxs in need.items():
            wanted = sorted(idxs)
            for i in range(0, len(wanted), 900):
                chunk = wanted[i:i + 900]
                for idx, h in conn.execute(select(t.idx, t.hash).where(
                        t.level == level, t.idx.in_(chunk))):
                    out[(level, int(idx))] = bytes(h)
    missing = sum(len(v) for v in need.values()) - len(out)
    if missing:
        raise StaleCacheError()
    return out


def _open_blocks(app: "LedgerApplication", start: int) -> dict[int, list[bytes]]:
    """The stored siblings, at each level, of the block the next one will complete."""
    t = merkle_table.c
    out: dict[int, list[bytes]] = {}
    with app.engine.connect() as conn:
        level = STEP
        while start >> level:
            end = start >> level  # blocks of this level before ``start``
            first = end >> STEP << STEP
            out[level] = [bytes(h) for h in conn.execute(
                select(t.hash).where(t.level == level, t.idx >= first, t.idx < end)
                .order_by(t.idx)).scalars()]
            if len(out[level]) != end - first:
                raise StaleCacheError()
            level += STEP
    return out


def _store(app: "LedgerApplication", rows: list[dict[str, object]]) -> bool:
    if not rows:
        return True
    try:
        with app.engine.begin() as conn:
            conn.execute(insert(merkle_table), rows)
    except IntegrityError:
        return False  # another process stored these blocks first
    return True


class StaleCacheError(Exception):
    """The stored blocks are not a complete prefix (rows removed by hand): ``reset``."""
