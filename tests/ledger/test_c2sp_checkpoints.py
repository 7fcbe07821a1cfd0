"""Checkpoints as C2SP signed notes: signed by the system key in force under the ledger's
origin, published as vkeys, checked by verify; consistency proofs made from the database."""

from __future__ import annotations

import json
import shutil

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.checkpoint import read_leaves
from ledger.checkpoint_note import note_view, sign_checkpoint_note
from ledger.merkle import consistency_proof, root_from_leaf_hashes, verify_consistency
from ledger.note import (ALG_COSIGNATURE_V1, Note, cosign, decode_vkey, encode_vkey,
                         format_note, parse_note, verify_note)
from ledger.proofs import HistoryChangedError, ProofSizeError, consistency
from ledger.tlog import parse_add_checkpoint, parse_checkpoint
from ledger.verify import verify_ledger
from service.actors import load_actor_signer, rotate_actor
from service.evidence import create_checkpoint, verify
from service.home import DB_FILE, Home
from service.witnessing import add_checkpoint_request, system_vkeys
from tests.helpers import REFERRAL, make_ledger, run_cli
from tests.ledger.tamper import raw, row_at


def _kinds(report) -> list[tuple[int, str, str]]:
    return [(p.position, p.kind, p.detail) for p in report.problems]


@pytest.fixture
def ledger(home):
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "N-1", REFERRAL, "2025-12-18")
    lg.record("bu1", "reported-to-partners", "N-1", {"on": "2025-12-19"}, "2025-12-19")
    return lg


def test_the_note_is_the_checkpoint_signed_under_the_origin_by_the_system_key(ledger):
    cp = create_checkpoint(ledger.app, ledger.home)
    note = parse_note(cp["note"])
    body = parse_checkpoint(note.text)
    assert body.origin == ledger.app.origin()
    assert (body.size, body.root.hex()) == (cp["size"], cp["root_hash"])
    leaves, _ = read_leaves(ledger.app)
    assert body.root == root_from_leaf_hashes(leaves[:body.size])
    (vkey,) = [decode_vkey(v["vkey"]) for v in system_vkeys(ledger.app)]
    assert vkey.name == ledger.app.origin()
    system = load_actor_signer(ledger.home, "system")
    assert vkey.public_key == system.public_key_raw
    assert verify_note(note, vkey)
    # The in-ledger event rebuilds the very note: its signature line is stored.
    with raw(ledger.home) as db:
        state = bytes(row_at(db, cp["size"] + 1)["state"])
    data = json.loads(state)["data"]
    assert cp["note"].endswith(f"\u2014 {vkey.name} {data['note_signature']}\n")
    # The JSON view carries (and signs) the note; both forms verify.
    assert verify_ledger(ledger.app, cp).ok
    assert verify(ledger.app, note_view(cp["note"])).ok


def test_a_note_with_other_lines_still_verifies_and_a_changed_one_does_not(ledger):
    cp = create_checkpoint(ledger.app, ledger.home)
    note = parse_note(cp["note"])
    stranger = cosign(note.text, "witness.example/made-up", Ed25519PrivateKey.generate(),
                      1_767_000_000)
    cosigned = format_note(Note(note.text, [*note.signatures, stranger]))
    assert verify(ledger.app, note_view(cosigned)).ok  # unknown lines are ignored
    sig = note.signatures[0]
    forged = format_note(Note(note.text, [type(sig)(sig.name, sig.key_hash,
                                                    bytes(64))]))
    report = verify(ledger.app, note_view(forged))
    assert {(p.position, p.kind) for p in report.problems} == {(0, "checkpoint")}
    assert any("not verify" in p.detail for p in report.problems)


def test_a_note_of_another_origin_is_a_wrong_origin_finding(ledger):
    cp = create_checkpoint(ledger.app, ledger.home)
    system = load_actor_signer(ledger.home, "system")
    root = bytes.fromhex(cp["root_hash"])
    other = "cspr-ledger/elsewhere/0123456789abcdef"
    note, _ = sign_checkpoint_note(other, cp["size"], root, system)
    report = verify(ledger.app, note_view(note))
    assert _kinds(report) == [(0, "checkpoint", "wrong origin: the checkpoint note names "
                                                "another ledger than this one")]
    result = run_cli(ledger.home, "verify", "--checkpoint", _write(ledger, note))
    assert result.exit_code == 1 and "wrong origin" in result.output


def test_a_note_by_a_retired_system_key_is_a_finding(ledger):
    old = load_actor_signer(ledger.home, "system")
    before = ledger.app.size()
    receipt = rotate_actor(ledger.app, ledger.home, "system")
    ledger.record("p1", "threshold-decided", "N-1",
                  {"meets_threshold": True, "rationale": "Made-up rationale for a test.", "decided_by": ["A"]},
                  "2025-12-22")
    leaves, _ = read_leaves(ledger.app)
    origin = ledger.app.origin()
    # Signed by the old key for a size it was still in force at: fine.
    early, _ = sign_checkpoint_note(origin, before, root_from_leaf_hashes(leaves[:before]),
                                    old)
    assert verify(ledger.app, note_view(early)).ok
    # The same key vouching for history after it was rotated: a finding where it was.
    late, _ = sign_checkpoint_note(origin, len(leaves), root_from_leaf_hashes(leaves), old)
    report = verify(ledger.app, note_view(late))
    assert [(p.position, p.kind) for p in report.problems] == [
        (receipt.position, "checkpoint")]
    # The new key for the same size: intact.
    cp = create_checkpoint(ledger.app, ledger.home)
    assert verify(ledger.app, note_view(cp["note"])).ok
    rows = system_vkeys(ledger.app)
    assert [(r["from_position"], r["until_position"]) for r in rows] == [
        (3, receipt.position), (receipt.position, None)]


def test_a_note_is_checked_against_the_history_the_ledger_holds(ledger):
    cp = create_checkpoint(ledger.app, ledger.home)
    system = load_actor_signer(ledger.home, "system")
    origin = ledger.app.origin()
    wrong_root, _ = sign_checkpoint_note(origin, cp["size"], bytes(32), system)
    report = verify(ledger.app, note_view(wrong_root))
    assert [(p.position, p.kind) for p in report.problems] == [(cp["size"], "checkpoint")]
    beyond, _ = sign_checkpoint_note(origin, ledger.app.size() + 5, bytes(32), system)
    report = verify(ledger.app, note_view(beyond))
    assert [(p.position, p.kind) for p in report.problems] == [
        (ledger.app.size() + 1, "truncated")]


@pytest.mark.parametrize("old", [1, 2, 3, 4, 5, 7, 8, 9])
def test_proofs_from_the_database_are_rfc_9162_proofs(ledger, old):
    for n in range(4):  # more events, so sizes cross powers of two
        ledger.record("bu1", "incident-referred", f"N-P{n}", REFERRAL, "2025-12-18")
    create_checkpoint(ledger.app, ledger.home, upto=4)  # a stored tree at 4
    leaves, _ = read_leaves(ledger.app)
    new = len(leaves)
    root = root_from_leaf_hashes(leaves)
    made = consistency(ledger.app, old, new, {new: root})
    assert made.proof == consistency_proof(leaves, old)
    assert made.old_root == root_from_leaf_hashes(leaves[:old])
    assert made.new_root == made.tree.root() == root and made.tree.size == new
    assert verify_consistency(old, new, made.old_root, root, made.proof)


def test_a_proof_is_refused_when_the_events_no_longer_give_the_root(ledger):
    cp = create_checkpoint(ledger.app, ledger.home)
    leaves, _ = read_leaves(ledger.app)
    root = root_from_leaf_hashes(leaves)
    with raw(ledger.home) as db:  # an event after the old size, changed in place
        db.execute("UPDATE cspr_events SET signature = :s WHERE position = :p",
                   {"s": bytes(64), "p": cp["size"] + 1})
    with pytest.raises(HistoryChangedError):  # the new checkpoint would not be this root
        consistency(ledger.app, cp["size"], len(leaves), {len(leaves): root})
    with pytest.raises(ProofSizeError):
        consistency(ledger.app, len(leaves) + 1, len(leaves), {})
    assert consistency(ledger.app, cp["size"], len(leaves), {}).proof  # no claim: made
    with pytest.raises(HistoryChangedError):  # nor would it extend the one signed before
        consistency(ledger.app, 1, len(leaves),
                    {cp["size"]: bytes.fromhex(cp["root_hash"]), len(leaves): b""})
    fresh = consistency(ledger.app, 0, cp["size"], {cp["size"]: bytes.fromhex(
        cp["root_hash"])})
    assert fresh.proof == [] and fresh.new_root.hex() == cp["root_hash"]


def test_checkpoint_writes_the_note_and_verify_takes_it(ledger, tmp_path):
    size = ledger.app.size()
    bad = run_cli(ledger.home, "checkpoint", "--note", str(tmp_path / "no" / "such.note"))
    assert bad.exit_code == 2 and "--note" in bad.output and ledger.app.size() == size
    note, view = tmp_path / "cp.note", tmp_path / "cp.json"
    done = run_cli(ledger.home, "checkpoint", "--note", str(note), "--output", str(view))
    assert done.exit_code == 0, done.output
    assert json.loads(view.read_text())["note"] == note.read_text()
    assert parse_checkpoint(parse_note(note.read_text()).text).size == size
    for given in (note, view):
        checked = run_cli(ledger.home, "verify", "--checkpoint", str(given))
        assert checked.exit_code == 0, checked.output
    note.write_text(note.read_text().replace("\n\n", "\n"))  # no longer a note
    broken = run_cli(ledger.home, "verify", "--checkpoint", str(note))
    assert broken.exit_code == 2 and "checkpoint" in broken.output


def test_checkpoint_proof_from_prints_the_request_and_refuses_bad_sizes(ledger):
    first = create_checkpoint(ledger.app, ledger.home)
    size = ledger.app.size()
    refused = run_cli(ledger.home, "checkpoint", "--proof-from", str(size + 1))
    assert refused.exit_code == 2 and "proof_from" in refused.output
    assert ledger.app.size() == size  # nothing appended
    result = run_cli(ledger.home, "checkpoint", "--proof-from", str(first["size"]))
    assert result.exit_code == 0, result.output
    request = parse_add_checkpoint(result.output)
    body = parse_checkpoint(parse_note(request.note).text)
    assert request.old_size == first["size"] and body.size == size
    assert verify_consistency(first["size"], body.size, bytes.fromhex(first["root_hash"]),
                              body.root, request.proof)
    again = add_checkpoint_request(ledger.app, {"size": body.size,
                                                "root_hash": body.root.hex(),
                                                "note": request.note}, first["size"])
    assert again == result.output


def test_the_ledger_offers_no_tree_its_checkpoints_contradict(ledger):
    first = create_checkpoint(ledger.app, ledger.home)
    ledger.record("bu1", "incident-referred", "N-2", REFERRAL, "2025-12-18")
    create_checkpoint(ledger.app, ledger.home)
    with raw(ledger.home) as db:  # changed in place between the two checkpoints
        db.execute("UPDATE cspr_events SET signature = :s WHERE position = :p",
                   {"s": bytes(64), "p": first["size"] + 2})
    size = ledger.app.size()
    refused = run_cli(ledger.home, "checkpoint", "--proof-from", str(first["size"]))
    assert refused.exit_code == 1 and "history was changed" in refused.output
    assert ledger.app.size() == size  # nothing appended


def test_vkeys_are_listed_from_a_copy_with_no_keys(ledger, tmp_path):
    rotate_actor(ledger.app, ledger.home, "system")
    ledger.app.close()
    inspector = tmp_path / "inspector"
    inspector.mkdir()
    if ledger.home.db_url is None:
        shutil.copyfile(ledger.home.root / DB_FILE, inspector / DB_FILE)
        copy = Home(inspector)
    else:
        copy = Home(inspector, ledger.home.db_url)
    result = run_cli(copy, "actor", "list", "--vkeys", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)["system_vkeys"]
    assert [r["until_position"] is None for r in listed] == [False, True]
    current = load_actor_signer(ledger.home, "system").public_key_raw
    assert decode_vkey(listed[1]["vkey"]).public_key == current
    assert all(decode_vkey(r["vkey"]).name == ledger.reopen().app.origin() for r in listed)
    text = run_cli(copy, "actor", "list", "--vkeys")
    assert listed[0]["vkey"] in text.output and listed[1]["vkey"] in text.output
    assert sorted(p.name for p in inspector.iterdir()) == (
        [DB_FILE] if ledger.home.db_url is None else [])


def test_a_witness_vkey_is_not_a_checkpoint_key(ledger):
    key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    ed = encode_vkey("witness.example/w", key)  # type 0x01: not a cosigning key
    result = run_cli(ledger.home, "verify", "--witness", ed)
    assert result.exit_code == 2 and "--witness" in result.output
    assert encode_vkey("witness.example/w", key, ALG_COSIGNATURE_V1) != ed


def _write(ledger, text: str) -> str:
    path = ledger.home.root.parent / "checkpoint.note"
    path.write_text(text)
    return str(path)
