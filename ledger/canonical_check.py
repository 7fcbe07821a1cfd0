"""Whether stored bytes are the canonical encoding of their own value.

A signature proves who wrote the bytes, not that they are canonical JSON; an outside
verifier decodes and re-encodes, so a state with another encoding (white space, key
order, escapes, a float, a repeated key) would hash differently there. Verify decodes
each state once anyway: floats are decoded as Decimal, which has no canonical encoding,
so the re-encoding needs no separate walk of the value."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from ledger.canonical import NonCanonicalValueError, canonical_json


def decode(state: bytes) -> Any:
    """Strictly UTF-8 (no byte-order mark, no UTF-16 guessing), as canonical JSON is;
    NaN and Infinity, which JSON does not have, decode as non-canonical numbers."""
    return json.loads(state.decode("utf-8"), parse_float=Decimal, parse_constant=Decimal)


def is_canonical(state: bytes, value: Any) -> bool:
    """``value``: ``decode(state)``."""
    try:
        return canonical_json(value, checked=False) == state
    except (NonCanonicalValueError, ValueError):  # a float; a lone surrogate
        return False


def canonical(state: bytes) -> bool:
    """The same for bytes alone (ValueError if they are not JSON)."""
    return is_canonical(state, decode(state))
