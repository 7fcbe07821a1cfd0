"""``cspr witness`` end to end through the real command group: exit codes, files written
(or not), evidence kept, and no ledger home needed."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from ledger import keyfile
from ledger.note import decode_vkey, encode_vkey, parse_note, verify_cosignature, verify_note
from tests.witness import Log, raw_public, snapshot

NAME = "witness.example.invalid/w1"
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    # No --home: the witness must not need one; CSPR_HOME points nowhere to prove it.
    return CliRunner().invoke(cli, ["witness", *args], env=env, catch_exceptions=False)


@pytest.fixture
def no_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "no-ledger-here"
    monkeypatch.setenv("CSPR_HOME", str(home))
    monkeypatch.delenv("CSPR_WITNESS_PASSPHRASE", raising=False)
    return home


@pytest.fixture
def state(tmp_path: Path, no_home: Path) -> Path:
    folder = tmp_path / "witness-state"
    assert run("init", "--state", str(folder), "--name", NAME).exit_code == 0
    return folder


def _request(tmp_path: Path, body: str, name: str = "request.txt") -> str:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return str(path)


def test_init_makes_a_private_state_and_prints_a_cosignature_vkey(
        tmp_path: Path, no_home: Path) -> None:
    folder = tmp_path / "w"
    result = run("init", "--state", str(folder), "--name", NAME)
    assert result.exit_code == 0, result.output
    vkey = decode_vkey(result.stdout.strip())
    assert (vkey.name, vkey.alg) == (NAME, 0x04)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "witness.key").stat().st_mode) == 0o600
    assert not keyfile.is_sealed((folder / "witness.key").read_bytes())
    before = snapshot(folder)
    again = run("init", "--state", str(folder), "--name", NAME)
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert snapshot(folder) == before
    assert not no_home.exists()


def test_init_refuses_a_bad_name(tmp_path: Path, no_home: Path) -> None:
    result = run("init", "--state", str(tmp_path / "w"), "--name", "two words")
    assert result.exit_code == 2 and "--name" in result.stderr
    assert "two words" not in result.stderr
    assert not (tmp_path / "w").exists()


def test_a_passphrase_protects_the_key(tmp_path: Path, no_home: Path) -> None:
    folder = tmp_path / "w"
    secret = {"CSPR_WITNESS_PASSPHRASE": "correct horse battery staple"}
    made = run("init", "--state", str(folder), "--name", NAME, "--json", env=secret)
    assert json.loads(made.stdout)["protected"] is True
    assert keyfile.is_sealed((folder / "witness.key").read_bytes())
    log = Log().grow(4)
    assert run("trust", "--state", str(folder), log.vkey()).exit_code == 0
    request = _request(tmp_path, log.request(0))
    missing = run("cosign", "--state", str(folder), request)
    assert missing.exit_code == 2 and "CSPR_WITNESS_PASSPHRASE" in missing.stderr
    wrong = run("cosign", "--state", str(folder), request,
                env={"CSPR_WITNESS_PASSPHRASE": "wrong"})
    assert wrong.exit_code == 2 and "does not open" in wrong.stderr
    assert not list((folder / "logs").iterdir())
    assert run("cosign", "--state", str(folder), request, env=secret).exit_code == 0


def test_trust_pins_ledger_keys_only(state: Path, tmp_path: Path) -> None:
    log = Log()
    bad = log.vkey()[:-3] + "AAA"
    refused = run("trust", "--state", str(state), bad)
    assert refused.exit_code == 2 and "vkey" in refused.stderr and bad not in refused.stderr
    witness_like = encode_vkey(log.origin, raw_public(log.keys[0]), 0x04)
    assert run("trust", "--state", str(state), witness_like).exit_code == 2
    assert (state / "trusted.vkeys").read_text() == ""
    first = run("trust", "--state", str(state), log.vkey())
    assert first.exit_code == 0 and first.stdout.startswith("pinned")
    assert run("trust", "--state", str(state), log.vkey()).stdout.startswith("already")
    log.rotate()
    shown = json.loads(run("trust", "--state", str(state), log.vkey(), "--json").stdout)
    assert shown == {"origin": log.origin, "key_hash": decode_vkey(log.vkey()).key_hash.hex(),
                     "added": True}
    assert (state / "trusted.vkeys").read_text().splitlines() == [log.vkey(0), log.vkey(1)]


def test_missing_state_is_bad_input(tmp_path: Path, no_home: Path) -> None:
    result = run("trust", "--state", str(tmp_path / "none"), Log().vkey())
    assert result.exit_code == 2 and "witness init" in result.stderr


def test_cosign_writes_the_cosigned_note(state: Path, tmp_path: Path, no_home: Path) -> None:
    log = Log().grow(10)
    run("trust", "--state", str(state), log.vkey())
    wvkey = decode_vkey(json.loads((state / "witness.json").read_text())["vkey"])
    out = tmp_path / "cosigned.note"
    first = run("cosign", "--state", str(state), _request(tmp_path, log.request(0)),
                "--output", str(out))
    assert first.exit_code == 0, first.output
    note = parse_note(out.read_text(encoding="utf-8"))
    assert verify_note(note, decode_vkey(log.vkey()))
    stamp = verify_cosignature(note, wvkey)
    assert stamp is not None and abs(stamp - time.time()) < 60
    log.grow(90)
    second = run("cosign", "--state", str(state), _request(tmp_path, log.request(10)),
                 "--json")
    assert second.exit_code == 0, second.output
    shown = json.loads(second.stdout)
    assert shown["size"] == 100
    assert verify_cosignature(parse_note(shown["note"]), wvkey) == shown["timestamp"]
    assert shown["cosignature"].startswith("\u2014 " + NAME + " ")
    again = run("cosign", "--state", str(state), _request(tmp_path, log.request(100)))
    assert again.exit_code == 0, again.output
    assert parse_note(again.stdout).text == parse_note(shown["note"]).text
    assert not no_home.exists()


def test_cosign_refuses_a_split_view_keeping_evidence(state: Path, tmp_path: Path) -> None:
    log = Log().grow(10)
    run("trust", "--state", str(state), log.vkey())
    assert run("cosign", "--state", str(state),
               _request(tmp_path, log.request(0))).exit_code == 0
    before = snapshot(state)
    other = log.fork(9).grow(1)
    out = tmp_path / "never.note"
    result = run("cosign", "--state", str(state), _request(tmp_path, other.request(10)),
                 "--output", str(out))
    assert result.exit_code == 1 and "split view" in result.stderr
    assert not out.exists()
    (folder,) = (state / "evidence").iterdir()
    assert sorted(p.name for p in folder.iterdir()) == ["offered.note", "previous.note",
                                                         "request"]
    assert (folder / "offered.note").read_text() == other.note()
    assert {k: v for k, v in snapshot(state).items()
            if not k.startswith("evidence/")} == before


def test_cosign_refuses_a_rewritten_history(state: Path, tmp_path: Path) -> None:
    log = Log().grow(16)
    run("trust", "--state", str(state), log.vkey())
    run("cosign", "--state", str(state), _request(tmp_path, log.request(0)))
    before = snapshot(state)
    rewritten = log.fork(15).grow(20)
    result = run("cosign", "--state", str(state), _request(tmp_path, rewritten.request(16)))
    assert result.exit_code == 1 and "rewritten" in result.stderr
    assert [p.name.split("-", 1)[1] for p in (state / "evidence").iterdir()] == [
        "rewritten-history"]
    assert {k: v for k, v in snapshot(state).items()
            if not k.startswith("evidence/")} == before


def test_cosign_refuses_an_untrusted_key(state: Path, tmp_path: Path) -> None:
    log = Log().grow(3)
    result = run("cosign", "--state", str(state), _request(tmp_path, log.request(0)))
    assert result.exit_code == 1 and "trusted key" in result.stderr
    assert not list((state / "evidence").iterdir())


@pytest.mark.parametrize("mangle,field", [
    (lambda r: r.replace("old 4", "old 04"), "old size"),
    (lambda r: r.replace("\n8\n", "\n08\n"), "checkpoint size"),
    (lambda r: "old 4\nnot-base64!\n\n" + r.split("\n\n", 1)[1], "proof"),
    (lambda r: r.replace("\u2014 ", "-- "), "signature line"),
])
def test_a_malformed_request_is_bad_input_and_writes_nothing(
        state: Path, tmp_path: Path, mangle: Callable[[str], str], field: str) -> None:
    log = Log().grow(4)
    run("trust", "--state", str(state), log.vkey())
    run("cosign", "--state", str(state), _request(tmp_path, log.request(0)))
    before = snapshot(state)
    log.grow(4)
    out = tmp_path / "never.note"
    result = run("cosign", "--state", str(state), _request(tmp_path, mangle(log.request(4))),
                 "--output", str(out))
    assert result.exit_code == 2, result.output
    assert field in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists() and snapshot(state) == before


def test_the_witness_opens_no_database() -> None:
    # The package the witness's machine runs (cli/ as a whole does reach the ledger).
    code = ("import sys, witness.cosign, witness.state; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sqlalchemy', 'eventsourcing', 'psycopg', 'sqlite3', 'service')))")
    out = subprocess.run([sys.executable, "-c", code],
                         cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "[]"
