"""Checkpoints and add-checkpoint request bodies (ledger/tlog.py) against the C2SP examples."""

from __future__ import annotations

import base64

import pytest

from ledger.note import NoteError, parse_note
from ledger.tlog import (
    MAX_PROOF_LINES,
    Checkpoint,
    checkpoint_text,
    format_add_checkpoint,
    parse_add_checkpoint,
    parse_checkpoint,
)

# From /work/shared/reference/c2sp/tlog-checkpoint.md, the example at the top (C2SP commit
# 5ba5ee830903).
SPEC_CHECKPOINT = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN"
    "7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)

# From /work/shared/reference/c2sp/tlog-witness.md, "add-checkpoint", the example request
# body (indentation removed): its checkpoint is the one above with a second log signature.
SPEC_REQUEST = (
    "old 20852014\n"
    "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
    "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
    "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
    "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
    "\n"
    + SPEC_CHECKPOINT
    + "\u2014 example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlC"
    "um2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n"
)

ROOT = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")


def test_spec_checkpoint_parses_and_round_trips() -> None:
    text = parse_note(SPEC_CHECKPOINT).text
    cp = parse_checkpoint(text)
    assert cp == Checkpoint("example.com/behind-the-sofa", 20852163, ROOT)
    assert checkpoint_text(cp) == text


def test_extension_lines_round_trip() -> None:
    cp = Checkpoint("log.example.invalid/a", 7, bytes(32), ("ext one", "ext two"))
    assert parse_checkpoint(checkpoint_text(cp)) == cp


def test_spec_request_parses_and_round_trips() -> None:
    req = parse_add_checkpoint(SPEC_REQUEST)
    assert req.old_size == 20852014
    assert [base64.b64encode(h).decode()[:6] for h in req.proof] == [
        "PlRNCr", "jrJZDm", "5+pKlU", "/6WVhP"]
    assert len(parse_note(req.note).signatures) == 2
    assert format_add_checkpoint(req.old_size, req.proof, req.note) == SPEC_REQUEST
    assert parse_add_checkpoint(SPEC_REQUEST.encode()) == req


def test_a_first_request_has_old_zero_and_no_proof() -> None:
    body = format_add_checkpoint(0, [], SPEC_CHECKPOINT)
    assert body.startswith("old 0\n\nexample.com/behind-the-sofa\n")
    assert parse_add_checkpoint(body).proof == []


_TEXT = "log.example.invalid/a\n5\n" + base64.b64encode(bytes(32)).decode() + "\n"


@pytest.mark.parametrize("text", [
    "log.example.invalid/a\n5\n",  # two lines
    _TEXT[:-1],  # no final newline
    "\n5\n" + _TEXT.split("\n")[2] + "\n",  # empty origin
    _TEXT.replace("\n5\n", "\n05\n"),  # leading zero
    _TEXT.replace("\n5\n", "\n+5\n"),
    _TEXT.replace("\n5\n", "\n 5\n"),
    _TEXT.replace("\n5\n", "\n1_000\n"),  # int() would take it
    _TEXT.replace("\n5\n", "\n\u0665\n"),  # an Arabic-Indic five: int() would take it
    _TEXT.replace("\n5\n", "\n99999999999999999999\n"),  # beyond 2^63 - 1
    _TEXT.replace("\n5\n", "\n-1\n"),
    "log.example.invalid/a\n5\n" + base64.b64encode(bytes(31)).decode() + "\n",
    _TEXT + "\n",  # an empty extension line
    _TEXT.replace("/a", "/\ta"),  # a control character
])
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(NoteError):
        parse_checkpoint(text)


def test_checkpoint_text_refuses_what_would_not_parse_back() -> None:
    with pytest.raises(NoteError):
        checkpoint_text(Checkpoint("log\n5", 1, bytes(32)))
    with pytest.raises(NoteError):
        checkpoint_text(Checkpoint("log", 1, bytes(31)))
    with pytest.raises(NoteError):
        checkpoint_text(Checkpoint("log", 1, bytes(32), ("a\nb",)))


_HASH = base64.b64encode(bytes(32)).decode() + "\n"
_NOTE = SPEC_REQUEST.split("\n\n", 1)[1]


@pytest.mark.parametrize("body", [
    SPEC_REQUEST.replace("old 20852014", "old  20852014"),
    SPEC_REQUEST.replace("old 20852014", "old 020852014"),
    SPEC_REQUEST.replace("old 20852014", "size 20852014"),
    SPEC_REQUEST.replace("old 20852014", "old 20852164"),  # past the checkpoint
    SPEC_REQUEST.replace("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=", "PlRNCrwH"),
    SPEC_REQUEST.replace("jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n", ""
                         ).replace("\n\n", "\n", 1),  # no blank line left before the note
    "old 1\n" + _HASH * (MAX_PROOF_LINES + 1) + "\n" + _NOTE,
    "old 0\n" + _HASH + "\n" + _NOTE,  # a proof from the empty tree
    "old 1\n" + _HASH + "\n" + _NOTE.replace("\u2014", "-"),  # malformed note
    "old 1\n" + _HASH + "\n" + _NOTE.replace("20852163", "x"),  # note, not a checkpoint
])
def test_malformed_requests_are_refused(body: str) -> None:
    with pytest.raises(NoteError):
        parse_add_checkpoint(body)


def test_format_refuses_a_proof_the_witness_would_refuse() -> None:
    with pytest.raises(NoteError):
        format_add_checkpoint(1, [bytes(31)], SPEC_CHECKPOINT)
    with pytest.raises(NoteError):
        format_add_checkpoint(1, [bytes(32)] * (MAX_PROOF_LINES + 1), SPEC_CHECKPOINT)
