"""The witness's decision (witness/cosign.py) on real keys, real trees and a real state
folder: what it cosigns, what it refuses, and the evidence it keeps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.merkle import EMPTY_ROOT, root_from_leaf_hashes
from ledger.note import (
    Note,
    decode_vkey,
    encode_vkey,
    format_note,
    parse_note,
    sign_note,
    verify_cosignature,
    verify_note,
)
from ledger.tlog import Checkpoint, checkpoint_text, format_add_checkpoint
from tests.witness import Log, raw_public, snapshot
from witness.cosign import cosign_checkpoint
from witness.errors import (
    BadEmptyTreeError,
    CheckpointRefusedError,
    MalformedRequestError,
    OldSizeMismatchError,
    RewrittenHistoryError,
    RollbackError,
    SplitViewError,
    UnknownOriginError,
    UntrustedCheckpointError,
)
from witness.state import WitnessState

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture
def state(tmp_path: Path) -> WitnessState:
    return WitnessState.create(tmp_path / "witness", "witness.example.invalid/w1", None)


@pytest.fixture
def key(state: WitnessState) -> Ed25519PrivateKey:
    return state.private_key(None)


@pytest.fixture
def log(state: WitnessState) -> Log:
    lg = Log().grow(8)
    state.trust(lg.vkey())
    return lg


def _evidence(state: WitnessState) -> list[Path]:
    return sorted((state.root / "evidence").iterdir())


def test_a_growing_log_is_cosigned_at_each_step(state: WitnessState, key: Ed25519PrivateKey,
                                                log: Log) -> None:
    wvkey = decode_vkey(state.vkey)
    steps = [(0, 8), (8, 8), (8, 13), (13, 64), (64, 1000)]
    for n, (old, size) in enumerate(steps):
        log.grow(size - len(log.leaves))
        done = cosign_checkpoint(state, key, log.request(old, size), T0 + n)
        note = parse_note(done.note)
        assert verify_cosignature(note, wvkey) == T0 + n
        assert verify_note(note, decode_vkey(log.vkey()))  # the log's line is kept
        assert [s.name for s in note.signatures] == [log.origin, state.name]
        assert done.cosignature == done.note.split("\n\n")[-1].splitlines(True)[-1]
        latest = state.latest(log.origin)
        assert latest is not None
        assert (latest.size, latest.root, latest.note) == (size, done.root, done.note)
    assert _evidence(state) == []


def test_a_system_key_rotation_is_followed(state: WitnessState, key: Ed25519PrivateKey,
                                           log: Log) -> None:
    cosign_checkpoint(state, key, log.request(0), T0)
    log.rotate()
    log.grow(5)
    with pytest.raises(UntrustedCheckpointError):  # the new key is not pinned yet
        cosign_checkpoint(state, key, log.request(8), T0 + 1)
    state.trust(log.vkey())
    done = cosign_checkpoint(state, key, log.request(8), T0 + 2)
    assert done.size == 13
    log.grow(3)  # a note signed by both keys, as during a hand-over, is accepted too
    assert cosign_checkpoint(state, key, log.request(13, signers=(0, 1)), T0 + 3).size == 16


def test_a_rewritten_history_is_refused_and_both_checkpoints_kept(
        state: WitnessState, key: Ed25519PrivateKey, log: Log) -> None:
    cosign_checkpoint(state, key, log.request(0), T0)
    before = snapshot(state.root)
    rewritten = log.fork(5).grow(7)  # leaves 5..7 replaced, then more appended
    request = rewritten.request(8)  # a proof valid for the rewritten tree, from size 8
    with pytest.raises(RewrittenHistoryError, match="from size 8 to size 12"):
        cosign_checkpoint(state, key, request, T0 + 60)
    (folder,) = _evidence(state)
    assert folder.name == "20260101T000100Z-rewritten-history"
    assert (folder / "previous.note").read_text() == state.latest(log.origin).note
    assert (folder / "offered.note").read_text() == rewritten.note()
    assert (folder / "request").read_text() == request
    after = snapshot(state.root)
    assert {k: v for k, v in after.items() if not k.startswith("evidence/")} == before


def test_a_split_view_is_refused_and_both_checkpoints_kept(
        state: WitnessState, key: Ed25519PrivateKey, log: Log) -> None:
    first = cosign_checkpoint(state, key, log.request(0), T0)
    before = snapshot(state.root)
    other = log.fork(6).grow(2)  # same size 8, another root
    with pytest.raises(SplitViewError, match="size 8"):
        cosign_checkpoint(state, key, other.request(8), T0 + 1)
    (folder,) = _evidence(state)
    assert folder.name.endswith("-split-view")
    previous = parse_note((folder / "previous.note").read_text())
    offered = parse_note((folder / "offered.note").read_text())
    assert previous.text != offered.text
    assert (folder / "previous.note").read_text() == first.note
    assert snapshot(state.root).items() >= before.items()
    assert state.latest(log.origin).root == first.root


def test_a_rollback_is_refused(state: WitnessState, key: Ed25519PrivateKey,
                               log: Log) -> None:
    log.grow(4)
    cosign_checkpoint(state, key, log.request(0), T0)
    with pytest.raises(RollbackError, match="size 8.*size 12"):
        cosign_checkpoint(state, key, log.request(0, 8), T0 + 1)
    assert [p.name.split("-", 1)[1] for p in _evidence(state)] == ["rollback"]
    assert state.latest(log.origin).size == 12


def test_a_proof_from_another_size_names_the_size_to_start_from(
        state: WitnessState, key: Ed25519PrivateKey, log: Log) -> None:
    cosign_checkpoint(state, key, log.request(0), T0)
    log.grow(10)
    with pytest.raises(OldSizeMismatchError, match="from size 8") as refused:
        cosign_checkpoint(state, key, log.request(5), T0 + 1)
    assert refused.value.last == 8
    with pytest.raises(OldSizeMismatchError, match="from size 8"):
        cosign_checkpoint(state, key, log.request(0), T0 + 2)
    assert cosign_checkpoint(state, key, log.request(8), T0 + 3).size == 18


def test_two_refusals_in_one_second_keep_two_folders(
        state: WitnessState, key: Ed25519PrivateKey, log: Log) -> None:
    cosign_checkpoint(state, key, log.request(0), T0)
    other = log.fork(3).grow(5)
    for _ in range(2):
        with pytest.raises(SplitViewError):
            cosign_checkpoint(state, key, other.request(8), T0 + 5)
    assert [p.name for p in _evidence(state)] == [
        "20260101T000005Z-split-view", "20260101T000005Z-split-view-2"]


def test_untrusted_signatures_are_refused_without_evidence(
        state: WitnessState, key: Ed25519PrivateKey, log: Log) -> None:
    impostor = log.fork(8)
    impostor.keys = [Ed25519PrivateKey.generate()]  # same origin, a key nobody pinned
    with pytest.raises(UntrustedCheckpointError, match="no signature line"):
        cosign_checkpoint(state, key, impostor.request(0), T0)
    stranger = Log("log.example.invalid/unknown").grow(3)
    with pytest.raises(UnknownOriginError):
        cosign_checkpoint(state, key, stranger.request(0), T0)
    # The pinned key's name and hash, but a signature over another text.
    forged = log.note().replace(log.note().split("\n")[2], "A" * 43 + "=")
    with pytest.raises(UntrustedCheckpointError, match="does not verify"):
        cosign_checkpoint(state, key, format_add_checkpoint(0, [], forged), T0)
    assert _evidence(state) == []
    assert state.latest(log.origin) is None


def test_a_failing_pinned_signature_rejects_even_beside_a_good_one(
        state: WitnessState, key: Ed25519PrivateKey, log: Log) -> None:
    good = parse_note(log.note())
    bad = sign_note(good.text.replace("\n8\n", "\n9\n"), log.origin, log.keys[0].sign,
                    raw_public(log.keys[0]))
    note = format_note(Note(good.text, [*good.signatures, bad]))
    with pytest.raises(UntrustedCheckpointError):
        cosign_checkpoint(state, key, format_add_checkpoint(0, [], note), T0)


def test_an_empty_tree_must_have_the_empty_root(state: WitnessState, key: Ed25519PrivateKey,
                                                log: Log) -> None:
    def empty(root: bytes) -> str:
        text = checkpoint_text(Checkpoint(log.origin, 0, root))
        sig = sign_note(text, log.origin, log.keys[0].sign, raw_public(log.keys[0]))
        return format_add_checkpoint(0, [], format_note(Note(text, [sig])))

    with pytest.raises(BadEmptyTreeError):
        cosign_checkpoint(state, key, empty(root_from_leaf_hashes(log.leaves[:1])), T0)
    assert cosign_checkpoint(state, key, empty(EMPTY_ROOT), T0).size == 0
    assert cosign_checkpoint(state, key, log.request(0), T0 + 1).size == 8


Mangle = Callable[[str], str | bytes]


@pytest.mark.parametrize("mangle", [
    lambda r: r.replace("old ", "old"),
    lambda r: r.replace("\u2014", "-"),
    lambda r: r.replace("\n\n", "\n", 1),
    lambda r: "",
    lambda r: r.encode().replace(b"old", b"\xffld"),
])
def test_malformed_requests_write_nothing(state: WitnessState, key: Ed25519PrivateKey,
                                          log: Log, mangle: Mangle) -> None:
    cosign_checkpoint(state, key, log.request(0), T0)
    before = snapshot(state.root)
    log.grow(2)
    with pytest.raises(MalformedRequestError):
        cosign_checkpoint(state, key, mangle(log.request(8)), T0 + 1)
    assert snapshot(state.root) == before


def test_every_refusal_is_a_named_refusal() -> None:
    for cls in (RollbackError, SplitViewError, RewrittenHistoryError, OldSizeMismatchError,
                UnknownOriginError, UntrustedCheckpointError, BadEmptyTreeError):
        assert issubclass(cls, CheckpointRefusedError)
    kinds = {c.kind for c in (RollbackError, SplitViewError, RewrittenHistoryError,
                              OldSizeMismatchError, BadEmptyTreeError)}
    assert len(kinds) == 5


def test_a_witness_vkey_is_a_cosignature_key(state: WitnessState,
                                             key: Ed25519PrivateKey) -> None:
    vkey = decode_vkey(state.vkey)
    assert vkey.alg == 0x04 and vkey.name == state.name
    assert state.vkey == encode_vkey(state.name, raw_public(key), 0x04)
