"""What ``verify`` found: each problem with the chain position where it was found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledger.chain import GENESIS


@dataclass
class Problem:
    position: int
    kind: str
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"position": self.position, "kind": self.kind, "detail": self.detail}


@dataclass
class Report:
    events_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    head_hash: str = GENESIS.hex()
    root_hash: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "events_checked": self.events_checked,
                "problems": [p.as_json() for p in sorted(self.problems,
                                                          key=lambda p: p.position)],
                "head_hash": self.head_hash, "root_hash": self.root_hash}
