"""Signed notes and cosignatures (ledger/note.py) against the C2SP vectors and by property."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    MAX_NOTE_BYTES,
    MAX_SIGNATURES,
    Note,
    NoteError,
    NoteSignature,
    cosign,
    cosignature_message,
    cosignature_timestamp,
    decode_vkey,
    encode_vkey,
    format_note,
    key_hash,
    parse_note,
    sign_note,
    verify_cosignature,
    verify_note,
)

# From /work/shared/reference/c2sp/signed-note.md, "Verifier keys" > "Example" (C2SP commit
# 5ba5ee830903): this vkey verifies the note below.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n"
    "\n"
    "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYj"
    "OBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

# From /work/shared/reference/c2sp/tlog-cosignature.md, the example at the top: a
# checkpoint with its log's signature and a witness cosignature (no keys are published).
SPEC_COSIGNED = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN"
    "7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9d"
    "lrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
# Same document, "Ed25519 signed message": what a cosigner signs at time 1679315147.
SPEC_COSIGNED_MESSAGE = (
    b"cosignature/v1\n"
    b"time 1679315147\n"
    b"example.com/behind-the-sofa\n"
    b"20852163\n"
    b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)


LOG_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
WITNESS_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
LOG = "log.example.invalid/testshire"
WITNESS = "witness.example.invalid/w1"
TEXT = f"{LOG}\n42\n{base64.b64encode(bytes(range(32))).decode()}\n"


def _signed(text: str = TEXT) -> Note:
    return Note(text, [sign_note(text, LOG, LOG_KEY.sign, _raw(LOG_KEY))])


def test_spec_vkey_verifies_spec_note() -> None:
    vkey = decode_vkey(SPEC_VKEY)
    assert (vkey.name, vkey.alg, vkey.key_hash.hex()) == ("example.com/foo", ALG_ED25519,
                                                          "530d903a")
    note = parse_note(SPEC_NOTE)
    assert note.text == "This is an example message.\n"
    assert verify_note(note, vkey)
    assert format_note(note) == SPEC_NOTE
    assert encode_vkey(vkey.name, vkey.public_key) == SPEC_VKEY


def test_spec_note_fails_under_another_text_or_key() -> None:
    note = parse_note(SPEC_NOTE)
    vkey = decode_vkey(SPEC_VKEY)
    assert not verify_note(Note("This is an example message!\n", note.signatures), vkey)
    other = decode_vkey(encode_vkey("example.com/foo", _raw(LOG_KEY)))
    assert not verify_note(note, other)  # same name, another key: ignored, so unverified


def test_spec_cosignature_parses_and_carries_its_timestamp() -> None:
    note = parse_note(SPEC_COSIGNED)
    log_sig, witness_sig = note.signatures
    assert log_sig.name == "example.com/behind-the-sofa"
    assert witness_sig.name == "witness.example.com/w1"
    assert len(witness_sig.signature) == 8 + 64
    assert cosignature_timestamp(witness_sig) == 1679315147
    assert cosignature_message(note.text, 1679315147) == SPEC_COSIGNED_MESSAGE
    assert format_note(note) == SPEC_COSIGNED


def test_cosign_round_trip_and_key_hash() -> None:
    line = cosign(TEXT, WITNESS, WITNESS_KEY, 1_700_000_000)
    note = Note(TEXT, [*_signed().signatures, line])
    again = parse_note(format_note(note))
    vkey = decode_vkey(encode_vkey(WITNESS, _raw(WITNESS_KEY), ALG_COSIGNATURE_V1))
    assert line.key_hash == key_hash(WITNESS, ALG_COSIGNATURE_V1, _raw(WITNESS_KEY))
    assert line.key_hash != key_hash(WITNESS, ALG_ED25519, _raw(WITNESS_KEY))
    assert verify_cosignature(again, vkey) == 1_700_000_000
    assert verify_note(again, vkey)
    log_vkey = decode_vkey(encode_vkey(LOG, _raw(LOG_KEY)))
    assert verify_note(again, log_vkey)
    assert verify_cosignature(again, log_vkey) is None  # an 0x01 key is no cosigner


def test_cosignature_refused_when_timestamp_or_text_changes() -> None:
    line = cosign(TEXT, WITNESS, WITNESS_KEY, 1_700_000_000)
    vkey = decode_vkey(encode_vkey(WITNESS, _raw(WITNESS_KEY), ALG_COSIGNATURE_V1))
    later = (1_700_000_001).to_bytes(8, "big") + line.signature[8:]
    assert verify_cosignature(Note(TEXT, [NoteSignature(WITNESS, line.key_hash, later)]),
                              vkey) is None
    assert verify_cosignature(Note(TEXT.replace("42", "43"), [line]), vkey) is None
    with pytest.raises(NoteError):
        cosign(TEXT, WITNESS, WITNESS_KEY, 0)


def test_unknown_signatures_are_ignored_but_a_known_failing_one_rejects() -> None:
    note = _signed()
    vkey = decode_vkey(encode_vkey(LOG, _raw(LOG_KEY)))
    stranger = Ed25519PrivateKey.generate()
    foreign = sign_note(TEXT, "someone.else.invalid", stranger.sign, _raw(stranger))
    assert verify_note(Note(TEXT, [foreign, *note.signatures]), vkey)
    broken = NoteSignature(LOG, vkey.key_hash, bytes(64))
    assert not verify_note(Note(TEXT, [*note.signatures, broken]), vkey)
    assert not verify_note(Note(TEXT, [foreign]), vkey)


@pytest.mark.parametrize("vkey", [
    "example.com/foo+530d903a",  # two parts
    "example com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # space
    "+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # empty name
    "example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # upper hex
    "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # wrong hash
    "example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # other name
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2l",  # non-canon b64
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",  # bad b64
    "example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # alg 0x02
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv",  # short key
])
def test_bad_vkeys_are_refused(vkey: str) -> None:
    with pytest.raises(NoteError):
        decode_vkey(vkey)


_SIG = SPEC_NOTE.split("\n\n")[1]


@pytest.mark.parametrize("data", [
    "This is an example message.\n" + _SIG,  # no blank line
    SPEC_NOTE[:-1],  # last signature line without its newline
    SPEC_NOTE.replace("\u2014 ", "- "),  # hyphen, not em dash
    SPEC_NOTE.replace("example.com/foo ", "example.com/foo"),  # no space before the sig
    SPEC_NOTE.replace("This is", "This\tis"),  # a control character
    SPEC_NOTE.replace("This is", "This\ris"),
    SPEC_NOTE.replace("=\n", "\n"),  # base64 without its padding
    SPEC_NOTE.replace("aQM=\n", "aQN=\n"),  # same bytes, non-canonical last character
    "text\n\n\u2014 example.com/foo " + base64.b64encode(b"1234").decode() + "\n",  # 4 bytes
    "text\n\n\u2014 a+b " + base64.b64encode(bytes(68)).decode() + "\n",  # '+' in name
    "text\n\n",  # no signature at all
    "text\n\n" + _SIG * (MAX_SIGNATURES + 1),
    "x" * MAX_NOTE_BYTES + "\n\n" + _SIG,
])
def test_malformed_notes_are_refused(data: str) -> None:
    with pytest.raises(NoteError):
        parse_note(data)


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(NoteError):
        parse_note(SPEC_NOTE.encode().replace(b"This", b"Th\xffs"))


def test_text_may_hold_blank_lines_and_splits_at_the_last() -> None:
    text = "first\n\nthird\n"
    note = parse_note(format_note(_signed(text)))
    assert note.text == text
    assert verify_note(note, decode_vkey(encode_vkey(LOG, _raw(LOG_KEY))))


def test_signing_refuses_a_text_without_final_newline() -> None:
    with pytest.raises(NoteError):
        sign_note("no newline", LOG, LOG_KEY.sign, _raw(LOG_KEY))


_COSIGNED = format_note(Note(TEXT, [*_signed().signatures,
                                    cosign(TEXT, WITNESS, WITNESS_KEY, 1_700_000_000)]))
_LOG_VKEY = decode_vkey(encode_vkey(LOG, _raw(LOG_KEY)))
_WITNESS_VKEY = decode_vkey(encode_vkey(WITNESS, _raw(WITNESS_KEY), ALG_COSIGNATURE_V1))


def _verifies(data: bytes) -> tuple[bool, bool]:
    try:
        note = parse_note(data)
    except NoteError:
        return False, False
    return verify_note(note, _LOG_VKEY), verify_cosignature(note, _WITNESS_VKEY) is not None


def test_the_unchanged_note_verifies_under_both_keys() -> None:
    assert _verifies(_COSIGNED.encode()) == (True, True)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_one_byte_change_fails_verification(data: st.DataObject) -> None:
    raw = bytearray(_COSIGNED.encode())
    i = data.draw(st.integers(0, len(raw) - 1), label="position")
    value = data.draw(st.integers(0, 255).filter(lambda b: b != raw[i]), label="byte")
    raw[i] = value
    log_ok, witness_ok = _verifies(bytes(raw))
    # The log's signature covers the text; the witness's line is its own: a change there
    # must break the cosignature, a change in the text must break both.
    assert not (log_ok and witness_ok)
    text_end = len(TEXT.encode())
    if i < text_end:
        assert not log_ok and not witness_ok
