"""Keys and roles: rotation, revocation, passphrases; refused at write time, and reported
by verify if such an event is ever found in the database."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

import pytest

from domain.procedure import Intent, Procedure
from domain.streams import Actor
from ledger.errors import KeyMismatchError, RevokedActorError
from ledger.signing import Signer, key_path
from ledger.verify import verify_ledger
from service import actors
from service.actors import load_actor_signer
from service.recording import record_event
from tests.helpers import REFERRAL, make_ledger


def _bypass(lg, signer: Signer, type_name: str, case: str, data: dict) -> None:
    """Append an event without the write-time checks, as a compromised writer might."""
    now = datetime.now(timezone.utc)
    proc = Procedure(lambda cls, key: lg.app.load(cls, *key))
    proc.record(Intent(type_name, case, data, "2025-12-19", signer.actor), now, now.date())
    lg.app.save_signed(list(proc.touched.values()), [signer])


def test_rotation_keeps_old_events_valid_and_retires_the_old_key(home):
    lg = make_ledger(home)
    old = load_actor_signer(home, "bu1")
    lg.record("bu1", "incident-referred", "K-1", REFERRAL, "2025-12-18")
    actors.rotate_actor(lg.app, home, "bu1")
    assert key_path(home.keys, "bu1", old.key_id).exists()  # the retired key is kept
    assert lg.app.load(Actor, "bu1").key_id != old.key_id
    lg.record("bu1", "reported-to-partners", "K-1", {"on": "2025-12-19"}, "2025-12-19")
    assert verify_ledger(lg.app).ok
    # the old key can no longer sign: refused at write time ...
    from service.writer import Writer, make_intent

    intent = make_intent("referrer-informed", "K-1", {"on": "2025-12-19"}, "2025-12-19",
                         "bu1", datetime.now(timezone.utc))
    with pytest.raises(KeyMismatchError):
        Writer(lg.app).append([intent], {"bu1": old})
    # ... and reported by verify if it gets in anyway
    _bypass(lg, old, "referrer-informed", "K-1", {"on": "2025-12-19"})
    kinds = {p.kind for p in verify_ledger(lg.app).problems}
    assert kinds == {"revoked_key"}


def test_revoked_actor_is_refused_and_flagged(home):
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "K-2", REFERRAL, "2025-12-18")
    result = lg.cli("--as", "admin", "actor", "revoke", "bu1", "--reason", "left the unit")
    assert result.exit_code == 0, result.output
    refused = lg.cli("--as", "bu1", "record", "reported-to-partners", "--case", "K-2",
                     "--data", '{"on": "2025-12-19"}')
    assert refused.exit_code == 1 and "revoked" in refused.stderr
    with pytest.raises(RevokedActorError):
        record_event(lg.app, home, "bu1", "reported-to-partners", "K-2", {"on": "2025-12-19"})
    _bypass(lg, load_actor_signer(home, "bu1"), "reported-to-partners", "K-2",
            {"on": "2025-12-19"})
    report = verify_ledger(lg.app)
    assert {p.kind for p in report.problems} == {"revoked_key"}


def test_a_wrong_role_found_in_the_database_is_reported(home):
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "K-3", REFERRAL, "2025-12-18")
    _bypass(lg, load_actor_signer(home, "bu1"), "threshold-decided", "K-3",
            {"meets_threshold": True, "rationale": "Made-up rationale for a test.", "decided_by": ["A"]})
    report = verify_ledger(lg.app)
    assert {p.kind for p in report.problems} == {"role"}
    assert report.problems[0].position == lg.app.size()


def test_a_passphrase_typed_after_the_flag_seals_the_new_key(home, monkeypatch):
    lg = make_ledger(home, with_actors=False)
    result = lg.cli("actor", "add", "guarded", "--role", "business_unit", "--passphrase",
                    input="made-up secret\nmade-up secret\n")
    assert result.exit_code == 0, result.output
    assert "made-up secret" not in result.output  # hidden as typed
    assert oct(os.stat(key_path(home.keys, "guarded")).st_mode & 0o777) == "0o600"
    assert b"CSPR SEALED ED25519 KEY" in key_path(home.keys, "guarded").read_bytes()
    monkeypatch.delenv("CSPR_KEY_PASSPHRASE", raising=False)
    args = ("--as", "guarded", "record", "incident-referred", "--case", "K-4", "--data",
            json.dumps(REFERRAL), "--occurred-at", "2025-12-18")
    locked = lg.cli(*args)
    assert locked.exit_code == 2 and "CSPR_KEY_PASSPHRASE_GUARDED" in locked.stderr
    monkeypatch.setenv("CSPR_KEY_PASSPHRASE", "wrong")
    assert lg.cli(*args).exit_code == 2
    monkeypatch.setenv("CSPR_KEY_PASSPHRASE_GUARDED", "made-up secret")
    assert lg.cli(*args).exit_code == 0


def test_only_admin_may_manage_actors_and_admin_cannot_be_revoked(home):
    lg = make_ledger(home)
    assert lg.cli("actor", "revoke", "admin", "--reason", "made-up test").exit_code == 1
    dup = lg.cli("actor", "add", "bu1", "--role", "agency")
    assert dup.exit_code == 1 and "already registered" in dup.stderr
    listed = lg.cli("actor", "list", "--json")
    names = [a["actor"] for a in json.loads(listed.stdout)]
    assert names[:2] == ["admin", "system"] and "bu1" in names
