"""A signature proves who acted: a command run as X signs with X's key, opened with X's own
passphrase, or is refused, and a refusal appends nothing and leaves no key behind."""

from __future__ import annotations

import json
import shutil

import pytest

from service.passphrases import variable
from tests.helpers import REFERRAL, make_ledger_of_people, two_signer_lines

ACK = {"position": 1, "kind": "chain", "action_taken": "made-up: checked by hand"}
# The admin's powers, each as a command line.
ADMIN_POWERS = [
    ("actor", "add", "eve", "--role", "admin"),
    ("actor", "rotate", "p1"),
    ("actor", "revoke", "p1", "--reason", "left the partnership"),
    ("rule-set", "adopt", "wt2023", "--effective-from", "2026-01-01"),
    ("record", "integrity-alarm-acknowledged", "--data", json.dumps(ACK)),
]


def _state(lg):
    return lg.reopen().app.size(), sorted(p.name for p in lg.home.keys.iterdir())


def _refused(result, code: int, secret: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and secret not in result.output


@pytest.mark.parametrize("command", ADMIN_POWERS, ids=lambda c: " ".join(c[:2]))
def test_admin_powers_need_the_admin_key_and_its_passphrase(home, monkeypatch, command):
    lg, own = make_ledger_of_people(home, monkeypatch)
    before = _state(lg)
    monkeypatch.setenv("CSPR_KEY_PASSPHRASE", own["bu1"])
    # bu1's key opens, but bu1 holds no admin role: refused by the writer
    as_bu1 = lg.cli("--as", "bu1", *command)
    _refused(as_bu1, 1, own["bu1"])
    assert "bu1" in as_bu1.stderr
    # claiming to be admin with bu1's passphrase: admin's key does not open
    as_admin = lg.cli("--as", "admin", *command)
    _refused(as_admin, 2, own["bu1"])
    assert "does not open the private key of 'admin'" in as_admin.stderr
    assert _state(lg) == before
    # the admin, with the admin's own passphrase, may
    monkeypatch.setenv(variable("admin"), own["admin"])
    done = lg.cli("--as", "admin", *command)
    assert done.exit_code == 0, done.output
    assert lg.reopen().app.size() > before[0]


@pytest.mark.parametrize("actor,other", [("p1", "bu1"), ("bu1", "p1"), ("ag1", "admin")])
def test_running_as_x_with_only_y_passphrase_fails(home, monkeypatch, actor, other):
    lg, own = make_ledger_of_people(home, monkeypatch)
    args = ("record", "incident-referred", "--case", "I-1", "--occurred-at", "2025-12-18",
            "--data", json.dumps(REFERRAL))
    before = _state(lg)
    monkeypatch.setenv("CSPR_KEY_PASSPHRASE", own[other])
    _refused(lg.cli("--as", actor, *args), 2, own[other])
    monkeypatch.delenv("CSPR_KEY_PASSPHRASE")
    monkeypatch.setenv(variable(other), own[other])  # Y's own variable does not serve X
    missing = lg.cli("--as", actor, *args)
    _refused(missing, 2, own[other])
    assert variable(actor) in missing.stderr
    assert _state(lg) == before


def test_an_import_opens_each_signers_key_with_their_own_passphrase(home, monkeypatch,
                                                                    tmp_path):
    lg, own = make_ledger_of_people(home, monkeypatch)
    path = tmp_path / "lines.jsonl"
    path.write_text(two_signer_lines("I-2"))
    before = _state(lg)
    monkeypatch.setenv("CSPR_KEY_PASSPHRASE", own["bu1"])  # whoever runs it: bu1
    refused = lg.cli("import", str(path))
    _refused(refused, 2, own["bu1"])
    assert "line 3" in refused.stderr and variable("p1") in refused.stderr
    assert _state(lg) == before  # all or none: bu1's lines were not appended either
    monkeypatch.setenv(variable("p1"), own["p1"])
    done = lg.cli("import", str(path))
    assert done.exit_code == 0, done.output
    assert lg.reopen().app.size() == before[0] + 3
    assert lg.cli("verify").exit_code == 0


def test_a_key_file_copied_over_another_actors_does_not_open(home, monkeypatch):
    """Someone who can write keys/ puts their own sealed key (and passphrase) in admin's
    place: it is bound to its actor's name, so it does not open as admin."""
    lg, own = make_ledger_of_people(home, monkeypatch)
    shutil.copyfile(home.keys / "bu1.pem", home.keys / "admin.pem")
    before = _state(lg)
    monkeypatch.setenv(variable("admin"), own["bu1"])
    _refused(lg.cli("actor", "add", "eve", "--role", "admin"), 2, own["bu1"])
    assert _state(lg) == before
