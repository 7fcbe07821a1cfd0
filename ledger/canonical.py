"""The one byte encoding that signatures and hashes are computed over.

A signature is only as good as the agreement on what was signed, so every signed or hashed
structure goes through :func:`canonical_json`: UTF-8 JSON with sorted keys, no insignificant
white space, and no floats (their text form is not portable between implementations). An
external verifier can reproduce the bytes from docs/evidence-format.md alone.
"""

from __future__ import annotations

import json
from typing import Any, Callable


class NonCanonicalValueError(TypeError):
    """A value that has no single canonical encoding (a float, a set, an object)."""


def _reject(value: Any) -> Any:
    raise NonCanonicalValueError(f"cannot encode {type(value).__name__} canonically")


def _check(value: Any) -> None:
    if isinstance(value, float):
        raise NonCanonicalValueError("floats have no canonical encoding; use int or text")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise NonCanonicalValueError("object keys must be strings")
            _check(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _check(v)


def canonical_json(value: Any, checked: bool = True) -> bytes:
    """``checked=False`` is for values already validated by the catalogue (which admits
    no floats); everything else is checked."""
    if checked:
        _check(value)
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_reject
    ).encode("utf-8")


def canonical_text(value: Any) -> str:
    """``canonical_json(value, checked=False)`` as text, not yet UTF-8, for a value
    decoded from JSON (verify compares it with the text it decoded; such a value cannot
    hold a cycle, so none is looked for). A lone surrogate, which UTF-8 cannot encode,
    is left in the text."""
    return _encode_text(value)


def _text_encoder() -> Callable[[Any], str]:
    """json's C encoder, made once with canonical_json's settings: json.dumps makes a
    new one per call, a fifth of verify's re-encoding of every state. ``c_make_encoder``
    is not json's public interface, so it is used only if it gives the public encoder's
    text on a probe (tests/ledger/test_canonical_fast.py compares them at large)."""
    public = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                              default=_reject, check_circular=False)
    try:
        from json.encoder import c_make_encoder, encode_basestring

        encode = c_make_encoder(None, _reject, encode_basestring, None, ":", ",", True,
                                False, True)
        probe = {"b": ["/", "&<>", 7, True, None, {}], "a": "é\n\u001b\u2028😀", "A": -5}
        if "".join(encode(probe, 0)) == public.encode(probe):
            return lambda value: "".join(encode(value, 0))
    except Exception:  # another Python's internals: the public encoder does the same
        pass
    return public.encode


_encode_text = _text_encoder()


def loads(data: bytes) -> Any:
    # Canonical JSON is UTF-8: decoding first skips json's encoding detection, a
    # measurable part of loading a long stream.
    if isinstance(data, bytes | bytearray):
        return json.loads(data.decode("utf-8", "surrogatepass"))  # what json.loads does
    return json.loads(data)
