"""Checkpoints and verification, as the CLI and the nightly job ask for them."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from ledger.app import LedgerApplication
from sqlalchemy import select

from ledger.chain import GENESIS
from ledger.checkpoint import extend_tree, sign_checkpoint
from ledger.merkle import CompactRange
from ledger.report import Report
from ledger.verify import verify_ledger
from domain.errors import InvalidFieldError
from service.actors import load_actor_signer
from service.home import Home
from service.writer import Writer, make_intent


def create_checkpoint(app: LedgerApplication, home: Home,
                      clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                      upto: int | None = None, by: str = "system") -> dict[str, Any]:
    """Sign a checkpoint of the ledger as it is, or of its first ``upto`` events (the
    nightly job signs only what it has verified). A checkpoint already in the ledger
    beyond ``upto`` (another run's) is not undone: this one then repeats its size.
    ``by`` signs it; the writer refuses anyone without the system role."""
    system = load_actor_signer(home, by)
    tree = _last_tree(app)
    head = extend_tree(app, tree, upto)
    if head is None:
        head = _head_hash(app, tree.size)
    now = clock()
    cp = sign_checkpoint(tree.size, head, tree.root(), system, now,
                         app.partnership())
    intent = make_intent("checkpoint-signed", None, {
        "size": cp["size"], "root_hash": cp["root_hash"], "head_hash": cp["head_hash"],
        "frontier": [h.hex() for h in tree.hashes],
    }, None, by, now)
    Writer(app, clock).append([intent], {by: system})
    return cp


def _last_tree(app: LedgerApplication) -> CompactRange:
    """The Merkle tree as the last checkpoint left it, so only newer events are read."""
    t = app.events_table
    with app.engine.connect() as conn:
        state = conn.execute(select(t.c.state).where(t.c.event_type == "checkpoint-signed")
                             .order_by(t.c.id.desc()).limit(1)).scalar()
    if state is not None:
        data = json.loads(bytes(state))["data"]
        if "frontier" in data:
            tree = CompactRange(data["size"], [bytes.fromhex(h) for h in data["frontier"]])
            if tree.root().hex() == data["root_hash"]:
                return tree
    return CompactRange()


def _head_hash(app: LedgerApplication, position: int) -> bytes:
    t = app.events_table
    with app.engine.connect() as conn:
        value = conn.execute(select(t.c.chain_hash).where(t.c.position == position)).scalar()
    return bytes(value) if value is not None else GENESIS


def load_checkpoint(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        raise InvalidFieldError("checkpoint", "a checkpoint JSON file", "unreadable")
    if not isinstance(data, dict):
        raise InvalidFieldError("checkpoint", "a checkpoint JSON object", "invalid")
    return data


def verify(app: LedgerApplication, checkpoint: dict[str, Any] | None = None,
           progress: Callable[[int], None] | None = None) -> Report:
    return verify_ledger(app, checkpoint, progress=progress)
