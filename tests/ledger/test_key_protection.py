"""Each person's key is sealed under their own passphrase and never kept in clear; only the
system key (cron) may be; a clear person's key is refused until `actor protect` seals it
in place, atomically."""

from __future__ import annotations

import base64
import json
import os
import pty
import select
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from ledger import keyfile
from ledger.signing import key_path
from service.actors import load_actor_signer
from service.home import Home
from service.passphrases import variable
from tests.conftest import TEST_PASSPHRASE
from tests.helpers import REFERRAL, cspr_argv, make_ledger, run_cli, two_signer_lines

ROOT = Path(__file__).resolve().parents[2]
RECORD = ("--as", "bu1", "record", "incident-referred", "--case", "K-1", "--occurred-at",
          "2025-12-18", "--data", json.dumps(REFERRAL))


def unsealed_files(keys: Path) -> list[str]:
    """Key files not sealed here (so in clear, or an earlier version's PKCS#8), the
    system's apart."""
    return sorted(p.name for p in keys.iterdir()
                  if p.name != "master.key" and not p.name.startswith("system.")
                  and not keyfile.is_sealed(p.read_bytes()))


def raw_key(home: Home, actor: str) -> bytes:
    return load_actor_signer(home, actor).private_key.private_bytes_raw()


def put_in_clear(home: Home, actor: str) -> None:
    """What a home made before keys were sealed holds: the same key, in clear."""
    pem = load_actor_signer(home, actor).private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    staged = home.keys / "staged-by-the-test"
    staged.write_bytes(pem)
    os.replace(staged, key_path(home.keys, actor))  # whole, for the atomicity test's reader


def test_no_persons_key_is_ever_written_in_clear(home):
    assert run_cli(home, "init", "--partnership", "Made-up").exit_code == 0
    assert unsealed_files(home.keys) == []
    assert run_cli(home, "actor", "add", "bu1", "--role", "business_unit").exit_code == 0
    assert unsealed_files(home.keys) == []
    assert run_cli(home, "actor", "rotate", "bu1").exit_code == 0
    assert run_cli(home, "actor", "rotate", "admin").exit_code == 0
    assert unsealed_files(home.keys) == []
    assert len(list(home.keys.glob("*.retired.pem"))) == 2  # both retired keys sealed too
    for path in home.keys.iterdir():
        assert TEST_PASSPHRASE.encode() not in path.read_bytes()
    text = key_path(home.keys, "bu1").read_bytes()
    assert raw_key(home, "bu1") not in text and b"PRIVATE KEY" not in text
    assert b"PRIVATE KEY-----" in (home.keys / "system.pem").read_bytes()  # cron's, clear


def test_no_passphrase_or_a_weak_one_writes_nothing(home, monkeypatch):
    monkeypatch.delenv("CSPR_KEY_PASSPHRASE")
    refused = run_cli(home, "init", "--partnership", "Made-up")
    assert refused.exit_code == 2 and variable("admin") in refused.stderr
    assert not home.keys.exists()
    monkeypatch.setenv("CSPR_KEY_PASSPHRASE", TEST_PASSPHRASE)
    assert run_cli(home, "init", "--partnership", "Made-up").exit_code == 0
    size = home.open().size()
    monkeypatch.setenv(variable("bu1"), "seven c")
    weak = run_cli(home, "actor", "add", "bu1", "--role", "business_unit")
    assert weak.exit_code == 2 and "at least 8 characters" in weak.stderr
    assert "seven c" not in weak.output
    assert not key_path(home.keys, "bu1").exists() and home.open().size() == size


def test_a_new_key_costs_an_attacker_the_real_scrypt_work(home):
    """Run outside the test process, whose guess cost is lowered for speed."""
    done = subprocess.run(cspr_argv(home, "init", "--partnership", "Made-up"), cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    cost = keyfile.parameters(key_path(home.keys, "admin").read_bytes())
    assert cost["n"] >= 2 ** 15 and cost["r"] >= 8 and cost["kdf"] == "scrypt"
    assert load_actor_signer(home, "admin").actor == "admin"  # and opens here


def test_a_clear_persons_key_is_refused_until_protected(home):
    lg = make_ledger(home)
    put_in_clear(home, "bu1")
    before = lg.app.size()
    refused = lg.cli(*RECORD)
    assert refused.exit_code == 1, refused.output
    assert "stored in clear" in refused.stderr and "cspr actor protect bu1" in refused.stderr
    assert "Traceback" not in refused.output and lg.reopen().app.size() == before
    done = lg.cli("actor", "protect", "bu1", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == [{"actor": "bu1", "file": "bu1.pem", "was": "clear",
                                        "now": "sealed"}]
    assert unsealed_files(home.keys) == []
    assert lg.cli(*RECORD).exit_code == 0  # the same key: what it signed stays valid
    assert lg.cli("verify").exit_code == 0
    again = lg.cli("actor", "protect", "bu1", "--json")
    assert json.loads(again.stdout)[0]["now"] == "unchanged"


def test_protect_seals_retired_keys_and_an_earlier_versions_encrypted_pem(home):
    lg = make_ledger(home)
    put_in_clear(home, "p1")
    assert lg.cli("actor", "rotate", "p1").exit_code == 0  # retires the clear key as is
    legacy = load_actor_signer(home, "p1").private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(TEST_PASSPHRASE.encode()))
    key_path(home.keys, "p1").write_bytes(legacy)
    assert unsealed_files(home.keys) != []
    assert load_actor_signer(home, "p1").actor == "p1"  # still opens: it is protected
    rows = json.loads(lg.cli("actor", "protect", "p1", "--json").stdout)
    assert sorted((r["was"], r["now"]) for r in rows) == [("clear", "sealed"),
                                                          ("pkcs8-encrypted", "sealed")]
    assert unsealed_files(home.keys) == []


def test_a_wrong_passphrase_is_refused_quietly(home, monkeypatch):
    lg = make_ledger(home)
    before = lg.app.size()
    monkeypatch.setenv("CSPR_KEY_PASSPHRASE", "a made-up wrong guess")
    result = lg.cli(*RECORD)
    assert result.exit_code == 2
    assert "does not open the private key of 'bu1'" in result.stderr
    assert "a made-up wrong guess" not in result.output and "Traceback" not in result.output
    assert lg.reopen().app.size() == before


def test_protect_replaces_the_file_atomically(home):
    lg = make_ledger(home)
    put_in_clear(home, "bu1")
    path = key_path(home.keys, "bu1")
    clear = path.read_bytes()
    # a crash mid-way leaves the new file beside the old one, never a part of the old one
    (home.keys / "bu1.pem.protecting").write_bytes(b"half a sealed fi")
    seen: list[bytes] = []
    stop = threading.Event()

    def read_all_along() -> None:
        while not stop.is_set():
            seen.append(path.read_bytes())

    reader = threading.Thread(target=read_all_along)
    reader.start()
    try:
        for _ in range(5):  # sealed, put back in clear, sealed again...
            assert lg.cli("actor", "protect", "bu1").exit_code == 0
            put_in_clear(home, "bu1")
    finally:
        stop.set()
        reader.join()
    inode = path.stat().st_ino
    assert lg.cli("actor", "protect", "bu1").exit_code == 0
    assert path.stat().st_ino != inode  # a new file renamed over it, not rewritten
    assert sorted(p.name for p in home.keys.iterdir() if p.name.startswith("bu1")) == [
        "bu1.pem"]
    assert {s == clear or keyfile.is_sealed(s) and s.endswith(keyfile.END + b"\n")
            for s in seen} == {True}  # every read whole: the clear key or a sealed one
    assert raw_key(home, "bu1") == serialization.load_pem_private_key(
        clear, None).private_bytes_raw()


def test_protect_change_gives_a_new_passphrase(home, monkeypatch):
    lg = make_ledger(home)
    monkeypatch.setenv("CSPR_NEW_KEY_PASSPHRASE", "bu1's made-up new one")
    assert lg.cli("actor", "protect", "bu1", "--change").exit_code == 0
    assert lg.cli(*RECORD).exit_code == 2  # the old passphrase no longer opens it
    monkeypatch.setenv(variable("bu1"), "bu1's made-up new one")
    assert lg.cli(*RECORD).exit_code == 0
    monkeypatch.setenv("CSPR_NEW_KEY_PASSPHRASE", "short")
    weak = lg.cli("actor", "protect", "bu1", "--change")
    assert weak.exit_code == 2 and "CSPR_NEW_KEY_PASSPHRASE" in weak.stderr


def test_the_clear_system_key_runs_the_nightly_with_no_passphrase(home, monkeypatch):
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "K-2", REFERRAL, "2025-12-18")
    monkeypatch.delenv("CSPR_KEY_PASSPHRASE")
    before = lg.app.size()
    result = lg.cli("jobs", "nightly", "--as-of", "2026-03-01", "--json")
    assert result.exit_code in (0, 1), result.output  # 1: breaches found, and recorded
    assert lg.reopen().app.size() > before  # signed by system, its key in clear


@pytest.mark.parametrize("damage", [{"n": 2 ** 30}, {"kdf": "md5"}, {"v": 2}])
def test_a_damaged_or_hostile_key_file_is_refused_without_a_traceback(home, damage):
    lg = make_ledger(home)
    path = key_path(home.keys, "bu1")
    fields = {**keyfile.parameters(path.read_bytes()), **damage}
    body = base64.encodebytes(json.dumps(fields).encode()).strip()
    path.write_bytes(keyfile.BEGIN + b"\n" + body + b"\n" + keyfile.END + b"\n")
    result = lg.cli(*RECORD)
    assert result.exit_code == 2 and "damaged" in result.stderr, result.output


def _on_a_terminal(argv: list[str], answers: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run a real cspr process on a pseudo-terminal, answering its prompts in turn; an
    answer is typed only once the terminal has stopped echoing (it is a hidden prompt)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty
        os.chdir(ROOT)
        os.execve(sys.executable, argv, env)
    out, pending, answered = b"", list(answers), 0
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 30)
            assert ready, f"no output for 30 s: {out!r}"
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the child has gone: the pty is closed
                break
            if not chunk:
                break
            out += chunk
            if pending and out[answered:].rstrip().endswith(b":"):
                deadline = time.monotonic() + 30
                while termios.tcgetattr(fd)[3] & termios.ECHO:
                    assert time.monotonic() < deadline, f"prompt not hidden: {out!r}"
                    time.sleep(0.01)
                os.write(fd, pending.pop(0).encode() + b"\n")
                answered = len(out)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_on_a_terminal_each_person_types_their_own_passphrase(tmp_path, monkeypatch):
    home = Home(tmp_path / "home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSPR_KEY_PASSPHRASE")}
    admin, bu1 = "admin's made-up one", "bu1's made-up one"
    code, out = _on_a_terminal(cspr_argv(home, "init", "--partnership", "Made-up"),
                               [admin, admin], env)
    assert code == 0, out
    assert "new passphrase for admin's key" in out and admin not in out  # not echoed
    code, out = _on_a_terminal(
        cspr_argv(home, "actor", "add", "bu1", "--role", "business_unit"),
        [admin, bu1, "not the same", bu1, bu1], env)
    assert code == 0, out
    assert "passphrase for admin's key" in out and "do not match" in out
    assert bu1 not in out and admin not in out
    code, out = _on_a_terminal(cspr_argv(home, *RECORD), [admin], env)
    assert code == 2 and "does not open the private key of 'bu1'" in out
    assert admin not in out and "Traceback" not in out
    code, out = _on_a_terminal(cspr_argv(home, *RECORD), [bu1], env)
    assert code == 0, out
    # an import signed by two people: each is asked for, once, and types their own
    p1 = "p1's made-up one"
    assert _on_a_terminal(cspr_argv(home, "actor", "add", "p1", "--role", "partner"),
                          [admin, p1, p1], env)[0] == 0
    (tmp_path / "two.jsonl").write_text(two_signer_lines("K-9"))
    code, out = _on_a_terminal(cspr_argv(home, "import", str(tmp_path / "two.jsonl")),
                               [bu1, p1], env)
    assert code == 0, out
    assert out.count("passphrase for bu1's key") == 1 and "passphrase for p1's key" in out
