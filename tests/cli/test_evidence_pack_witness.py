"""An evidence pack whose checkpoint a witness cosigned: the pack's own verify.py, in a
Python that has only `cryptography`, with `--witness WVKEY` (docs/evidence-format.md
§20.4 step 2) accepts that witness's cosignature line, and finds another witness, a
look-alike key, a bad witness vkey, and a cosignature line removed or altered."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from evidence import verify_pack
from service.actors import load_actor_signer
from tests.cli.test_evidence_pack import bare_python, export, system_vkey  # noqa: F401
from tests.cli.test_witness_flow import Witness, _offer, _size_of, witnessed  # noqa: F401
from tests.helpers import Ledger

WITNESS_LINE = "\u2014 witness.example/w1 "


def run_pack_verifier(python: Path, pack: Path, vkey: str, *witnesses: str,
                      script: Path | None = None) -> subprocess.CompletedProcess:
    """The pack's verify.py (or the recipient's own copy) run isolated (-I)."""
    script = script or pack / "verify.py"
    args = [a for w in witnesses for a in ("--witness", w)]
    return subprocess.run([str(python), "-I", str(script), str(pack), "--vkey", vkey,
                           *args], cwd=script.parent.parent, capture_output=True,
                          text=True, timeout=120)


def problems_of(result: subprocess.CompletedProcess) -> list[str]:
    return [x for x in result.stdout.splitlines() if x.startswith("position ")]


def cosigned_pack(lg: Ledger, witness: Witness, first: Path, tmp_path: Path) -> Path:
    """The witnessed case grows, the witness cosigns the grown ledger too, and a pack of
    the case is exported under that recorded, cosigned checkpoint."""
    lg.record("bu1", "reported-to-partners", "W-1", {"on": "2025-12-19"}, "2025-12-19")
    second = tmp_path / "second.cosigned"
    _offer(lg, witness, _size_of(first), second)
    assert lg.cli("checkpoint", "cosigned", str(second), "--witness",
                  witness.vkey).exit_code == 0
    pack = tmp_path / "pack"
    summary = export(lg, pack, "--case", "W-1")
    assert summary["events"] == 2 and not summary["new_checkpoint"]
    assert summary["checkpoint_size"] == _size_of(second)
    return pack


def _resign(lg: Ledger, pack: Path) -> None:
    """Re-sign the manifest over the pack's files as they now are, as the holder of the
    system key could: what is then left to find is the note's own content."""
    manifest = json.loads((pack / verify_pack.MANIFEST).read_text())
    manifest["files"] = {p.name: verify_pack.sha(p.read_bytes()).hex()
                         for p in pack.iterdir() if p.name != verify_pack.MANIFEST}
    manifest.pop("signature")
    signer = load_actor_signer(lg.home, "system")
    manifest["signature"] = signer.sign(verify_pack.manifest_message(manifest)).hex()
    (pack / verify_pack.MANIFEST).write_bytes(verify_pack.manifest_bytes(manifest))


def test_a_pack_under_a_cosigned_checkpoint_verifies_with_the_witness_key(
        witnessed, tmp_path, bare_python):
    lg, witness, first = witnessed
    pack = cosigned_pack(lg, witness, first, tmp_path)
    note = (pack / "checkpoint.note").read_text()
    assert note.count(WITNESS_LINE) == 1  # the recorded cosignature, in the pack's note
    vkey = system_vkey(lg)
    for target in (pack, Path(str(pack) + ".zip")):
        ok = run_pack_verifier(bare_python, target, vkey, witness.vkey,
                               script=pack / "verify.py")
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "checked: cosignature of witness witness.example/w1: 1" in ok.stdout
        assert ok.stdout.endswith("2 events verified: intact\n")
    plain = run_pack_verifier(bare_python, pack, vkey)  # the witness line is no obstacle
    assert plain.returncode == 0 and "cosignature of witness" not in plain.stdout
    assert lg.cli("evidence", "verify", str(pack), "--witness",
                  witness.vkey).exit_code == 0


def test_another_witness_or_a_look_alike_key_is_not_satisfied(
        witnessed, tmp_path, bare_python):
    lg, witness, first = witnessed
    pack = cosigned_pack(lg, witness, first, tmp_path)
    vkey = system_vkey(lg)
    other = Witness(lg.home, tmp_path / "another-witness", "witness.example/w2")
    twin = Witness(lg.home, tmp_path / "look-alike", "witness.example/w1")
    assert twin.vkey != witness.vkey
    for wrong, name in ((other, "witness.example/w2"), (twin, "witness.example/w1")):
        found = run_pack_verifier(bare_python, pack, vkey, wrong.vkey)
        assert found.returncode == 1, found.stdout
        assert problems_of(found) == [
            f"position 0: witness: no cosignature of witness {name} verifies"]
        assert "Traceback" not in found.stderr
    # Both witnesses required: the one that cosigned passes, the other is named.
    both = run_pack_verifier(bare_python, pack, vkey, witness.vkey, other.vkey)
    assert both.returncode == 1 and problems_of(both) == [
        "position 0: witness: no cosignature of witness witness.example/w2 verifies"]
    assert lg.cli("evidence", "verify", str(pack), "--witness",
                  other.vkey).exit_code == 1
    # The system vkey is not a witness vkey (type 0x01, not 0x04): bad usage.
    bad = run_pack_verifier(bare_python, pack, vkey, vkey)
    assert bad.returncode == 2 and "--witness" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_removed_or_altered_cosignature_line_is_found(witnessed, tmp_path, bare_python):
    lg, witness, first = witnessed
    pack = cosigned_pack(lg, witness, first, tmp_path)
    vkey = system_vkey(lg)
    pristine = tmp_path / "trusted" / "verify.py"  # the recipient's own copy
    pristine.parent.mkdir()
    shutil.copy2(pack / "verify.py", pristine)
    note = (pack / "checkpoint.note").read_text()
    (line,) = [x for x in note.splitlines(keepends=True) if x.startswith(WITNESS_LINE)]
    value = line.rstrip("\n").rsplit(" ", 1)[1]
    altered = value[:-4] + ("A" if value[-4] != "A" else "B") + value[-3:]
    edits = {"removed": note.replace(line, ""),
             "altered": note.replace(value, altered)}
    for what, text in edits.items():
        scratch = tmp_path / what
        shutil.copytree(pack, scratch)
        (scratch / "checkpoint.note").write_text(text)
        # The manifest hashes the note: the change is found even without --witness ...
        found = run_pack_verifier(bare_python, scratch, vkey, script=pristine)
        assert found.returncode == 1, (what, found.stdout)
        assert "position 0: manifest: checkpoint.note: its SHA-256 differs" in found.stdout
        # ... and with it, the missing cosignature is named too.
        found = run_pack_verifier(bare_python, scratch, vkey, witness.vkey, script=pristine)
        assert found.returncode == 1, (what, found.stdout)
        assert "position 0: witness: no cosignature of witness witness.example/w1" \
            in found.stdout
        # Re-signed by whoever holds the system key, the manifest agrees again: only
        # the witness's key can tell the cosignature is gone.
        _resign(lg, scratch)
        signed = run_pack_verifier(bare_python, scratch, vkey, script=pristine)
        assert signed.returncode == 0, (what, signed.stdout)
        found = run_pack_verifier(bare_python, scratch, vkey, witness.vkey, script=pristine)
        assert found.returncode == 1, (what, found.stdout)
        assert problems_of(found) == ["position 0: witness: no cosignature of witness "
                                      "witness.example/w1 verifies"], (what, found.stdout)


def test_a_newer_uncosigned_checkpoint_does_not_cost_the_pack_its_cosignature(
        witnessed, tmp_path, bare_python):
    """A nightly signs a checkpoint the witness has not cosigned yet: the pack still goes
    out under the newest cosigned one that covers it, with the witness's line."""
    lg, witness, first = witnessed
    assert lg.cli("checkpoint", "--output", str(tmp_path / "newer.json")).exit_code == 0
    pack = tmp_path / "pack"
    summary = export(lg, pack, "--case", "W-1")
    assert not summary["new_checkpoint"] and summary["checkpoint_size"] == _size_of(first)
    assert (pack / "checkpoint.note").read_text().count(WITNESS_LINE) == 1
    ok = run_pack_verifier(bare_python, pack, system_vkey(lg), witness.vkey)
    assert ok.returncode == 0, ok.stdout + ok.stderr
