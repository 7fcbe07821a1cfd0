"""Whether stored bytes are the canonical encoding of their own value.

A signature proves who wrote the bytes, not that they are canonical JSON; an outside
verifier decodes and re-encodes, so a state with another encoding (white space, key
order, escapes, a float, a repeated key) would hash differently there. Verify decodes
each state once anyway: floats are decoded as Decimal, which has no canonical encoding,
so the re-encoding needs no separate walk of the value.

Verify does this for every event, so the decoder and the encoder are each made once
(json.loads and json.dumps make one per call when given options), and the re-encoding
is compared with the decoded text rather than encoded to UTF-8 again: the text came
from strict UTF-8, so it holds no lone surrogate, and UTF-8 is one-to-one on such text;
equal text is equal bytes, and a re-encoding holding a lone surrogate (which UTF-8
cannot encode) is unequal to it, as the bytes compare found it (docs/evidence-format.md
§4)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from ledger.canonical import NonCanonicalValueError, canonical_text

_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=Decimal)


def decode(state: bytes) -> Any:
    """Strictly UTF-8 (no byte-order mark, no UTF-16 guessing), as canonical JSON is;
    NaN and Infinity, which JSON does not have, decode as non-canonical numbers."""
    return decode_text(state.decode("utf-8"))


def decode_text(text: str) -> Any:
    """``decode`` of the state whose strict UTF-8 decoding ``text`` is: json.loads's
    answer and error (a byte-order mark is not JSON to either), with the one decoder."""
    try:
        # A stored state is one value with no white space around it: then this is all
        # that json.loads does, less its look for white space at both ends.
        value, end = _DECODER.raw_decode(text)
        if end == len(text):
            return value
    except json.JSONDecodeError:
        pass  # perhaps white space before the value: json.loads's answer or error
    return _DECODER.decode(text)


def is_canonical(state: bytes, value: Any) -> bool:
    """``value``: ``decode(state)``."""
    return is_canonical_text(state.decode("utf-8"), value)


def is_canonical_text(text: str, value: Any) -> bool:
    """``value``: ``decode_text(text)``, ``text`` the strict UTF-8 decoding of a state."""
    try:
        return canonical_text(value) == text
    except (NonCanonicalValueError, ValueError):  # a Decimal (a float, NaN, Infinity)
        return False


def canonical(state: bytes) -> bool:
    """The same for bytes alone (ValueError if they are not JSON)."""
    text = state.decode("utf-8")
    return is_canonical_text(text, decode_text(text))
