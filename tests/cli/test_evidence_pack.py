"""Evidence packs end to end: exported by `cspr evidence export`, checked by the pack's own
verify.py in a Python that has only `cryptography` (isolated: nothing of ours can be
imported), every byte of every file guarded, packs linked by a consistency proof, and no
personal data anywhere in a pack or its zip."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from evidence import verify_pack
from ledger.note import ALG_ED25519, encode_vkey
from ledger.signing import Signer
from tests.helpers import CHILD_NAME, REFERRAL, Ledger, make_ledger

ADDRESS = REFERRAL["child"]["address"]
SUMMARY = REFERRAL["summary"]


@pytest.fixture(scope="session")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding only cryptography (and cffi, which it loads): its python, run with
    -I, sees neither PYTHONPATH nor the current folder nor the project's packages."""
    root = tmp_path_factory.mktemp("bare")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")],
                   check=True)
    python = root / "venv" / "bin" / "python"
    target = Path(subprocess.run([str(python), "-c", "import sysconfig; print("
                                  "sysconfig.get_paths()['purelib'])"], check=True,
                                 capture_output=True, text=True).stdout.strip())
    ours = Path(sysconfig.get_paths()["purelib"])
    for name in ("cryptography", "cffi"):
        shutil.copytree(ours / name, target / name)
    for backend in ours.glob("_cffi_backend*"):
        shutil.copy2(backend, target / backend.name)
    probe = subprocess.run([str(python), "-I", "-c", "import ledger"], cwd=root,
                           capture_output=True, text=True)
    assert probe.returncode != 0  # nothing of cspr-ledger is importable there
    return python


def run_verifier(python: Path, script: Path, pack: Path, *vkeys: str
                 ) -> subprocess.CompletedProcess:
    args = [a for v in vkeys for a in ("--vkey", v)]
    return subprocess.run([str(python), "-I", str(script), str(pack), *args],
                          cwd=script.parent.parent, capture_output=True, text=True,
                          timeout=120)


def system_vkey(lg: Ledger) -> str:
    out = lg.cli("actor", "list", "--vkeys", "--json")
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)["system_vkeys"][0]["vkey"]


def a_case(lg: Ledger, ref: str) -> None:
    lg.record("bu1", "incident-referred", ref, REFERRAL, "2025-12-18")
    lg.record("bu1", "reported-to-partners", ref, {"on": "2025-12-19"}, "2025-12-19")
    lg.record("p1", "threshold-decided", ref, {
        "meets_threshold": True, "rationale": "made-up rationale",
        "decided_by": ["LA", "ICB", "Police"]}, "2025-12-20")


def export(lg: Ledger, out: Path, *scope: str) -> dict:
    result = lg.cli("evidence", "export", *scope, "--output", str(out), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_case_pack_verifies_offline_and_any_changed_byte_is_found(
        home, tmp_path, bare_python):
    lg = make_ledger(home)
    a_case(lg, "C-1")
    a_case(lg, "C-2")
    pack = tmp_path / "pack"
    summary = export(lg, pack, "--case", "C-1")
    assert summary["events"] == 3 and Path(summary["zip"]).is_file()
    vkey = system_vkey(lg)
    ok = run_verifier(bare_python, pack / "verify.py", pack, vkey)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "3 events verified: intact" in ok.stdout
    assert run_verifier(bare_python, pack / "verify.py", Path(summary["zip"]),
                        vkey).returncode == 0
    # Nothing new since: the checkpoint the ledger signed for the first pack is reused.
    again = export(lg, tmp_path / "again", "--case", "C-1")
    assert summary["new_checkpoint"] and not again["new_checkpoint"]
    assert (tmp_path / "again" / "checkpoint.note").read_bytes() == \
        (pack / "checkpoint.note").read_bytes()
    assert lg.cli("evidence", "verify", str(tmp_path / "again")).exit_code == 0

    # A look-alike key under the same name: the manifest and the note do not verify.
    other = Signer.generate("system")
    origin = vkey.split("+", 1)[0]
    wrong = run_verifier(bare_python, pack / "verify.py", pack,
                         encode_vkey(origin, other.public_key_raw, ALG_ED25519))
    assert wrong.returncode == 1 and "pinned system key" in wrong.stdout

    pristine = tmp_path / "trusted" / "verify.py"  # the recipient's own copy
    pristine.parent.mkdir()
    shutil.copy2(pack / "verify.py", pristine)
    scratch = tmp_path / "scratch"
    for name in sorted(p.name for p in pack.iterdir()):
        size = (pack / name).stat().st_size
        for offset in sorted({0, size // 3, size // 2, size - 1}):
            if scratch.exists():
                shutil.rmtree(scratch)
            shutil.copytree(pack, scratch)
            data = bytearray((scratch / name).read_bytes())
            data[offset] ^= 0x01
            (scratch / name).write_bytes(bytes(data))
            result = run_verifier(bare_python, pristine, scratch, vkey)
            assert result.returncode == 1, (name, offset, result.stdout)
            assert name in result.stdout and "Traceback" not in result.stderr, (
                name, offset, result.stdout, result.stderr)


def test_packs_before_and_after_more_events_are_linked_by_a_consistency_proof(
        home, tmp_path, bare_python):
    lg = make_ledger(home)
    a_case(lg, "C-1")
    first = tmp_path / "first"
    export(lg, first, "--case", "C-1")
    a_case(lg, "C-2")
    later = tmp_path / "later"
    summary = export(lg, later, "--from", "2020-01-01", "--to", "2099-12-31",
                     "--since-checkpoint", str(first / "checkpoint.note"))
    old = json.loads((first / "pack.json").read_text())["checkpoint"]
    new = json.loads((later / "pack.json").read_text())
    assert new["since"] == old and new["checkpoint"]["size"] > old["size"]
    assert json.loads((later / "proofs.json").read_text())["consistency"]
    assert summary["events"] == new["checkpoint"]["size"]  # every event of the period
    vkey = system_vkey(lg)
    result = run_verifier(bare_python, later / "verify.py", later, vkey)
    assert result.returncode == 0, result.stdout
    assert f"consistency proof from size {old['size']}: 1" in result.stdout

    # The same command, from the repository's module (not the pack's copy).
    assert lg.cli("evidence", "verify", str(later)).exit_code == 0
    assert lg.cli("evidence", "verify", str(later) + ".zip", "--vkey", vkey).exit_code == 0
    # A proof swapped for another: found.
    proofs = json.loads((later / "proofs.json").read_text())
    proofs["consistency"] = proofs["consistency"][::-1] + [bytes(32).hex()]
    checked = verify_pack.Check(
        {**verify_pack.read_pack(later),
         "proofs.json": json.dumps(proofs).encode()}, [vkey], []).run()
    assert {k for _, k, _ in checked.problems} >= {"consistency", "manifest"}


def test_the_default_pack_holds_no_personal_data(home, tmp_path):
    lg = make_ledger(home)
    a_case(lg, "C-1")
    with lg.app.engine.connect() as conn:  # the case does have sealed personal data
        sealed = conn.execute(lg.app.events_table.select().where(
            lg.app.events_table.c.case_ref == "C-1")).all()
    assert any(r.sealed for r in sealed)
    for scope in (("--case", "C-1"), ("--from", "2020-01-01", "--to", "2099-12-31")):
        pack = tmp_path / scope[0].strip("-")
        export(lg, pack, *scope)
        blobs = [p.read_bytes() for p in pack.iterdir()]
        with zipfile.ZipFile(str(pack) + ".zip") as z:
            blobs += [z.read(i) for i in z.infolist()]
        assert len(blobs) >= 14
        for secret in (CHILD_NAME, ADDRESS, SUMMARY, "2015-03-04"):
            for data in blobs:
                assert secret.encode() not in data
        events = (pack / "events.jsonl").read_text()
        assert "sealed" not in events and '"state"' in events


def test_bad_input_is_refused_and_nothing_is_appended(home, tmp_path):
    lg = make_ledger(home)
    a_case(lg, "C-1")
    size = lg.app.size()
    (tmp_path / "exists").mkdir()
    for args in ([], ["--case", "C-1", "--from", "2025-01-01", "--to", "2025-02-01"],
                 ["--from", "2025-01-01"], ["--from", "2025-02-01", "--to", "2025-01-01"],
                 ["--from", "yesterday", "--to", "2025-01-01"], ["--case", "NO-SUCH"],
                 ["--from", "1999-01-01", "--to", "1999-01-02"]):
        result = lg.cli("evidence", "export", *args, "--output", str(tmp_path / "p"))
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
    result = lg.cli("evidence", "export", "--case", "C-1", "--output",
                    str(tmp_path / "exists"))
    assert result.exit_code == 2 and "--output" in result.stderr
    assert lg.app.size() == size and not (tmp_path / "p").exists()
    assert lg.cli("evidence", "verify", str(tmp_path / "exists"), "--vkey",
                  "not a vkey").exit_code == 2


def test_verify_py_imports_only_the_standard_library_and_cryptography():
    tree = ast.parse(Path(verify_pack.__file__).read_text())
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
             for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree)
              if isinstance(n, ast.ImportFrom) and n.module and n.level == 0}
    assert any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree)) is False
    assert "cryptography" in names
    assert names - {"cryptography", "__future__"} <= sys.stdlib_module_names, names
