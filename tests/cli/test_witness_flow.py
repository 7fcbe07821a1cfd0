"""The ledger and its witness, through the command line: checkpoint and proof out, the
witness's cosignature back in as a signed event, verify --witness; and what the witness
and verify make of a ledger truncated or rewritten in its real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.chain import leaf_hash_of, link, signed_bytes
from ledger.merkle import root_from_leaf_hashes
from ledger.note import parse_note
from ledger.tlog import parse_checkpoint
from service.home import Home
from tests.helpers import REFERRAL, Ledger, make_ledger, run_cli
from ledger.rowtypes import stream_id
from tests.ledger.tamper import raw, row_at


class Witness:
    """A witness on 'its own machine': a state folder outside the ledger's home."""

    def __init__(self, home: Home, root: Path, name: str = "witness.example/w1") -> None:
        self.home, self.state = home, str(root)
        self.vkey = self.run("init", "--name", name).output.strip()

    def run(self, command: str, *args: str, code: int = 0):
        result = run_cli(self.home, "witness", command, "--state", self.state, *args)
        assert result.exit_code == code, result.output
        return result

    def trust(self, vkey: str) -> None:
        self.run("trust", vkey)

    def cosign(self, request: str, out: Path, code: int = 0):
        path = out.with_suffix(".request")
        path.write_text(request)
        return self.run("cosign", str(path), "--output", str(out), code=code)


def _cli(lg: Ledger, *args: str, code: int = 0):
    result = lg.cli(*args)
    assert result.exit_code == code, result.output
    return result


def _system_vkey(lg: Ledger) -> str:
    listed = json.loads(_cli(lg, "actor", "list", "--vkeys", "--json").output)
    return [v["vkey"] for v in listed["system_vkeys"] if v["until_position"] is None][0]


def _offer(lg: Ledger, witness: Witness, old: int, out: Path, code: int = 0):
    request = _cli(lg, "checkpoint", "--proof-from", str(old)).output
    return request, witness.cosign(request, out, code)


def _size_of(note_file: Path) -> int:
    return parse_checkpoint(parse_note(note_file.read_text()).text).size


@pytest.fixture
def witnessed(home, tmp_path):
    """A ledger whose checkpoint the witness cosigned and the ledger recorded."""
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "W-1", REFERRAL, "2025-12-18")
    witness = Witness(home, tmp_path / "witness-machine")
    witness.trust(_system_vkey(lg))
    first = tmp_path / "first.cosigned"
    _offer(lg, witness, 0, first)
    _cli(lg, "checkpoint", "cosigned", str(first), "--witness", witness.vkey)
    return lg, witness, first


def test_ledger_to_witness_and_back_verifies_intact(witnessed, tmp_path):
    lg, witness, first = witnessed
    assert _cli(lg, "verify", "--witness", witness.vkey, "--checkpoint",
                str(first)).output.endswith("intact\n")
    lg.record("bu1", "reported-to-partners", "W-1", {"on": "2025-12-19"}, "2025-12-19")
    second = tmp_path / "second.cosigned"
    _offer(lg, witness, _size_of(first), second)
    done = _cli(lg, "checkpoint", "cosigned", str(second), "--witness", witness.vkey,
                "--json")
    recorded = json.loads(done.output)
    assert recorded["recorded"] and recorded["size"] == _size_of(second)
    with raw(lg.home) as db:
        row = row_at(db, recorded["position"])
    data = json.loads(bytes(row["state"]))["data"]
    assert (row["event_type"], row["actor"]) == ("checkpoint-cosigned", "system")
    assert data["witness"] == "witness.example/w1" and data["size"] == recorded["size"]
    assert f"\u2014 witness.example/w1 {data['cosignature']}\n" in second.read_text()
    for note in (first, second):
        _cli(lg, "verify", "--witness", witness.vkey, "--checkpoint", str(note))
    # Recording the same cosignature again appends nothing.
    size = lg.app.size()
    _cli(lg, "checkpoint", "cosigned", str(second), "--witness", witness.vkey)
    assert lg.app.size() == size


def test_a_cosignature_that_does_not_verify_is_refused_and_nothing_appended(
        witnessed, tmp_path):
    lg, witness, first = witnessed
    other = Witness(lg.home, tmp_path / "another-witness", "witness.example/w2")
    size = lg.app.size()
    refused = _cli(lg, "checkpoint", "cosigned", str(first), "--witness", other.vkey,
                   code=1)
    assert "witness key given" in refused.output
    text = first.read_text()
    body = parse_note(text).text
    lines = text[len(body) + 1:].splitlines()
    forged = tmp_path / "forged.cosigned"  # the witness's line, one signature byte off
    value = lines[-1].rsplit(" ", 1)[1]
    flipped = value[:-4] + ("A" if value[-4] != "A" else "B") + value[-3:]
    forged.write_text(body + "\n" + lines[0] + "\n" + lines[-1].replace(value, flipped)
                      + "\n")
    _cli(lg, "checkpoint", "cosigned", str(forged), "--witness", witness.vkey, code=1)
    _cli(lg, "checkpoint", "cosigned", str(first), "--witness", "not-a-vkey", code=2)
    assert lg.app.size() == size
    # Another witness's key is not satisfied by this witness's cosignatures.
    found = _cli(lg, "verify", "--witness", other.vkey, code=1).output
    assert "witness: no checkpoint of this ledger is cosigned" in found


def test_recording_honours_as(witnessed, tmp_path):
    lg, witness, first = witnessed
    lg.record("bu1", "reported-to-partners", "W-1", {"on": "2025-12-19"}, "2025-12-19")
    second = tmp_path / "second.cosigned"
    _offer(lg, witness, _size_of(first), second)
    size = lg.app.size()
    _cli(lg, "--as", "bu1", "checkpoint", "cosigned", str(second), "--witness",
         witness.vkey, code=1)  # no role to record it
    assert lg.app.size() == size
    position = json.loads(_cli(lg, "--as", "admin", "checkpoint", "cosigned", str(second),
                               "--witness", witness.vkey, "--json").output)["position"]
    with raw(lg.home) as db:
        assert row_at(db, position)["actor"] == "admin"


def test_a_truncated_final_transaction_is_found_by_the_cosigned_note(witnessed, tmp_path):
    lg, witness, first = witnessed
    lg.record("bu1", "reported-to-partners", "W-1", {"on": "2025-12-19"}, "2025-12-19")
    keep = lg.app.size() - 1  # the ledger without its last write transaction
    second = tmp_path / "second.cosigned"
    _offer(lg, witness, _size_of(first), second)
    _cli(lg, "checkpoint", "cosigned", str(second), "--witness", witness.vkey)
    with raw(lg.home) as db:  # whoever can write the database removes the end ...
        db.execute("DELETE FROM cspr_events WHERE position > :p", {"p": keep})
        db.execute("UPDATE cspr_head SET position = :p, chain_hash = :h",
                   {"p": keep, "h": row_at(db, keep)["chain_hash"]})
    assert _cli(lg, "verify").output.endswith("intact\n")  # ... unseen by the ledger alone
    found = _cli(lg, "verify", "--checkpoint", str(second), "--witness", witness.vkey,
                 code=1).output
    assert f"position {keep + 1}: truncated" in found


def _referral_position(lg: Ledger) -> int:
    with raw(lg.home) as db:
        ((position,),) = db.execute("SELECT position FROM cspr_events "
                                    "WHERE event_type = 'incident-referred'")
    return position


def test_the_witness_refuses_a_history_rewritten_in_the_database(witnessed, tmp_path):
    lg, witness, first = witnessed
    lg.record("bu1", "reported-to-partners", "W-1", {"on": "2025-12-19"}, "2025-12-19")
    witnessed_size = _size_of(first)
    early = _referral_position(lg)
    assert early <= witnessed_size  # the witness's checkpoint covers it
    with raw(lg.home) as db:
        _rewrite(db, early, claims=True)
    _cli(lg, "verify", code=1)  # with no key to re-sign, the ledger alone shows it too
    _take_responsibility(lg)
    request, refused = _offer(lg, witness, witnessed_size, tmp_path / "rewritten.cosigned",
                              code=1)
    assert not (tmp_path / "rewritten.cosigned").exists()
    assert "rewrit" in refused.output.lower()
    # The evidence the witness keeps includes the refused checkpoint.
    kept = list((Path(witness.state) / "evidence").rglob("*"))
    assert any(p.is_file() and p.read_text() == parse_request_note(request) for p in kept)
    # And the note it cosigned before shows the rewrite to verify.
    found = _cli(lg, "verify", "--checkpoint", str(first), "--witness", witness.vkey,
                 code=1).output
    assert f"position {witnessed_size}: checkpoint" in found


def test_a_rewrite_under_the_kept_checkpoints_is_cosigned_as_the_original_only(
        witnessed, tmp_path):
    """Rewritten below a checkpoint whose stored tree is kept: the ledger extends that
    tree, so what it offers (and the witness cosigns) is the original history; verify
    against that cosigned note finds the rewrite."""
    lg, witness, first = witnessed
    lg.record("bu1", "reported-to-partners", "W-1", {"on": "2025-12-19"}, "2025-12-19")
    with raw(lg.home) as db:
        _rewrite(db, _referral_position(lg), claims=False)
    _take_responsibility(lg)
    second = tmp_path / "second.cosigned"
    _offer(lg, witness, _size_of(first), second)
    _cli(lg, "checkpoint", "cosigned", str(second), "--witness", witness.vkey)
    found = _cli(lg, "verify", "--checkpoint", str(second), "--witness", witness.vkey,
                 code=1).output
    assert f"position {_size_of(second)}: checkpoint: the Merkle root" in found


def parse_request_note(request: str) -> str:
    return request.split("\n\n", 1)[1]


def _take_responsibility(lg: Ledger) -> None:
    """No write extends a chain whose last head no longer verifies (ledger.head_guard)
    until an admin acknowledges the finding: the rewriter here is also an admin, who does
    so to get the rewritten ledger checkpointed and offered to the witness."""
    _cli(lg, "--as", "admin", "record", "integrity-alarm-acknowledged", "--data",
         json.dumps({"position": lg.app.size(), "kind": "head_signature",
                     "action_taken": "made-up: the rewriter says it is fine"}))


def _rewrite(db, position: int, claims: bool) -> None:
    """Change an event's content and recompute every later link and the head, as someone
    with write access to the database (and no key) would; with ``claims``, also what the
    later in-ledger checkpoints claim (root, head, and their stored tree dropped), so the
    ledger's own checks see a self-consistent, rewritten history."""
    last = db.execute("SELECT max(position) FROM cspr_events")[0][0]
    leaves, chain = [], [bytes(32)]
    for p in range(1, last + 1):
        r = row_at(db, p)
        state = bytes(r["state"])
        if p == position:
            assert b"Agency A" in state
            state = state.replace(b"Agency A", b"Agency B")
        elif p > position and claims and r["event_type"] == "checkpoint-signed":
            payload = json.loads(state)
            data = payload["data"]
            data.pop("frontier", None)
            data["root_hash"] = root_from_leaf_hashes(leaves[:data["size"]]).hex()
            data["head_hash"] = chain[data["size"]].hex()
            state = json.dumps(payload, sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False).encode()
        leaves.append(leaf_hash_of(signed_bytes(stream_id(r["originator_id"]),
                                                r["originator_version"], r["topic"], state),
                                   bytes(r["signature"])))
        chain.append(link(chain[-1], leaves[-1]))
        if p >= position:
            db.execute("UPDATE cspr_events SET state = :s, chain_hash = :h "
                       "WHERE position = :p", {"s": state, "h": chain[-1], "p": p})
    db.execute("UPDATE cspr_head SET chain_hash = :h", {"h": chain[-1]})
