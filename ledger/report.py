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
    # An admin's integrity-alarm-acknowledged event naming this finding: it stops the
    # nightly alarm, and hides nothing (the finding is still reported).
    acknowledged_at: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"position": self.position, "kind": self.kind, "detail": self.detail,
                "acknowledged_at": self.acknowledged_at}


@dataclass
class Report:
    events_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    head_hash: str = GENESIS.hex()
    root_hash: str = ""
    size: int = 0  # the last position checked: the head of the snapshot read
    # Which ledger was read, as the snapshot showed it (ledger.identity).
    ledger_id: str = ""
    origin: str = ""
    # Kept for the nightly job: the stored chain hash at ``size`` (where it may resume)
    # and every acknowledged finding, (position, kind) -> the acknowledgements' positions.
    stored_head: bytes = field(default=GENESIS, repr=False)
    acknowledgements: dict[tuple[int, str], list[int]] = field(default_factory=dict,
                                                               repr=False)

    def apply_acknowledgements(self) -> None:
        for p in self.problems:
            # An acknowledgement recorded before the event at p existed cannot be about it.
            p.acknowledged_at = next((a for a in self.acknowledgements.get(
                (p.position, p.kind), ()) if a > p.position), None)

    @property
    def ok(self) -> bool:
        return not self.problems

    def open_problems(self) -> list[Problem]:
        """The findings no admin has acknowledged yet."""
        return [p for p in self.problems if p.acknowledged_at is None]

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "events_checked": self.events_checked,
                "problems": [p.as_json() for p in sorted(self.problems,
                                                          key=lambda p: p.position)],
                "head_hash": self.head_hash, "root_hash": self.root_hash,
                "size": self.size}
