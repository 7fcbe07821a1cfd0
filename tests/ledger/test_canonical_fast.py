"""Verify's canonical check, made fast (one decoder, one encoder, the re-encoding compared
as text), gives the answers of the definition: decode the bytes strictly as UTF-8, then
as json.loads with Decimal numbers, re-encode with canonical_json, compare the bytes
(docs/evidence-format.md §4)."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import example, given, settings, strategies as st

from ledger.canonical import NonCanonicalValueError, canonical_json, canonical_text
from ledger.canonical_check import canonical, decode, is_canonical

# Characters an encoder may treat specially: control characters, the two escaped by
# name-less rules, U+2028/9, non-ASCII in and out of the BMP, lone surrogates (which
# json.loads accepts as escapes), and the code points where UTF-16 and code-point key
# order disagree (U+E000..U+FFFF against astral characters).
TRICKY = "\x00\x08\t\n\x0c\r\x1b\x1f\"\\/&<>'\x7f\x80é\u2028\u2029\ud800\udfff\ue000\uffff😀\U0010ffff"
texts = st.text(st.one_of(st.sampled_from(TRICKY), st.characters()), max_size=12)
numbers = st.one_of(st.integers(), st.integers(-10**30, 10**30))
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, texts),
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(texts, inner, max_size=5)),
    max_leaves=25)


def reference(state: bytes) -> bool | str:
    """The definition, written out; "malformed" where the bytes do not decode."""
    try:
        value = json.loads(state.decode("utf-8"), parse_float=Decimal,
                           parse_constant=Decimal)
    except (ValueError, RecursionError):
        return "malformed"
    try:
        return canonical_json(value, checked=False) == state
    except (NonCanonicalValueError, ValueError):
        return False


def fast(state: bytes) -> bool | str:
    try:
        return canonical(state)
    except (ValueError, RecursionError):
        return "malformed"


def encodings(value: object) -> list[bytes]:
    """The value's canonical bytes and others an encoder might write for it."""
    out = []
    for ensure_ascii in (False, True):
        for sort_keys in (True, False):
            for separators in ((",", ":"), (", ", ": ")):
                try:
                    out.append(json.dumps(value, ensure_ascii=ensure_ascii,
                                          sort_keys=sort_keys,
                                          separators=separators).encode("utf-8"))
                except ValueError:  # a lone surrogate, written as itself
                    out.append(json.dumps(value, ensure_ascii=ensure_ascii,
                                          sort_keys=sort_keys, separators=separators
                                          ).encode("utf-8", "surrogatepass"))
    return out


@settings(max_examples=600, deadline=None)
@given(json_values)
@example({"\uffff": 1, "😀": 2})
@example({"😀": 2, "\uffff": 1})
@example(["\u2028\u2029", "\ud800", "\x1b", "/", "\x7f"])
@example("\udfff")
def test_the_text_encoder_writes_canonical_json(value):
    text = canonical_text(value)
    # canonical_json's text before UTF-8 (which a lone surrogate does not pass)
    assert text == json.dumps(value, sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False)
    if _utf8(value):
        assert text.encode("utf-8") == canonical_json(value, checked=False)


@settings(max_examples=600, deadline=None)
@given(json_values)
@example({"\uffff": 1, "😀": 2})
@example({"a": "\ud800"})
def test_the_fast_check_agrees_with_the_definition_on_encodings(value):
    for state in encodings(value):
        assert fast(state) == reference(state)


@settings(max_examples=600, deadline=None)
@given(st.binary(max_size=40) | st.builds(
    lambda b, i, x: b[:i] + x + b[i:],
    st.sampled_from([b'{"a":1}', b'["x",{"b":[]}]', b'"\\u00e9"', b'{"a":"\\ud800"}']),
    st.integers(0, 16),
    st.sampled_from([b"", b" ", b"\xef\xbb\xbf", b"1.5", b"-0", b"NaN", b"\\", b'"',
                     b"\xc3", b"\xed\xa0\x80", b'"a":1,', b"\\u001B", b"\\/", b"\n"])))
@example(b"\xef\xbb\xbf{}")
@example(b'{"a":1,"a":1}')
@example(b'{"a":-Infinity}')
@example(b" {}")
def test_the_fast_check_agrees_with_the_definition_on_any_bytes(state):
    assert fast(state) == reference(state)


@given(json_values)
def test_decode_and_is_canonical_are_the_definition_too(value):
    state = canonical_json(value, checked=False) if _utf8(value) else None
    if state is not None:
        assert decode(state) == value
        assert is_canonical(state, decode(state))


def _utf8(value: object) -> bool:
    try:
        canonical_json(value, checked=False)
    except ValueError:
        return False
    return True
