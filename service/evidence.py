"""Checkpoints and verification, as the CLI and the nightly job ask for them."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from domain.streams import LedgerStream
from ledger.app import LedgerApplication
from ledger.checkpoint import merkle_root, read_leaves, sign_checkpoint
from ledger.report import Report
from ledger.verify import verify_ledger
from domain.errors import InvalidFieldError
from service.actors import load_actor_signer
from service.home import Home
from service.writer import Writer, make_intent


def create_checkpoint(app: LedgerApplication, home: Home,
                      clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                      ) -> dict[str, Any]:
    system = load_actor_signer(home, "system")
    leaves, head = read_leaves(app)
    ledger = app.load(LedgerStream, "ledger")
    partnership = getattr(ledger, "partnership", "")
    now = clock()
    cp = sign_checkpoint(len(leaves), head, merkle_root(leaves), system, now, partnership)
    intent = make_intent("checkpoint-signed", None, {
        "size": cp["size"], "root_hash": cp["root_hash"], "head_hash": cp["head_hash"],
    }, None, "system", now)
    Writer(app, clock).append([intent], {"system": system})
    return cp


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
