"""An integrity-alarm acknowledgement must name a position the ledger holds.

The catalogue bounds the field (it knows no ledger); only here is the ledger's size known.
A position beyond the end cannot be a finding yet: acknowledging it in advance would be
meaningless (the nightly counts an acknowledgement only for a finding raised before it,
jobs.alarms), so it is refused as bad input rather than kept as noise.
"""

from __future__ import annotations

from typing import Iterable, Iterator, TypeVar

from domain.errors import InvalidFieldError
from domain.procedure import Intent
from ledger.app import LedgerApplication

ACK_TYPE = "integrity-alarm-acknowledged"
T = TypeVar("T")


class PositionBeyondLedgerError(InvalidFieldError):
    def __init__(self, size: int) -> None:
        super().__init__("position", f"a position of this ledger, at most {size}, as cspr "
                                     "verify reports it", "beyond the ledger's end")


def check_position(app: LedgerApplication, intent: Intent) -> None:
    """PositionBeyondLedgerError (exit 2) for an acknowledgement of a position the ledger
    does not reach; nothing for any other event."""
    if intent.type != ACK_TYPE:
        return
    size = app.size()
    if intent.data["position"] > size:
        raise PositionBeyondLedgerError(size)


def checked_positions(app: LedgerApplication,
                      items: Iterable[tuple[T, Intent]]) -> Iterator[tuple[T, Intent]]:
    """``items`` (an import's numbered intents), each acknowledgement checked as it passes."""
    for n, intent in items:
        try:
            check_position(app, intent)
        except InvalidFieldError as e:
            e.args = (f"line {n}: {e}",)
            raise
        yield n, intent
