"""Verify keeps the registry's answer for an event type, key and actor that passed, until
the next actor event: an event of the same type, key and actor after a rotation or a
revocation is still found."""

from __future__ import annotations

from ledger.verify import verify_ledger
from service import actors
from service.actors import load_actor_signer
from tests.helpers import REFERRAL, make_ledger
from tests.ledger.test_actors import _bypass


def test_a_key_retired_after_it_passed_is_found_on_the_same_kind_of_event(home):
    lg = make_ledger(home)
    old = load_actor_signer(home, "bu1")
    lg.record("bu1", "incident-referred", "K-1", REFERRAL, "2025-12-18")
    lg.record("bu1", "incident-referred", "K-2", REFERRAL, "2025-12-18")
    passed = lg.app.size()
    actors.rotate_actor(lg.app, home, "bu1")
    _bypass(lg, old, "incident-referred", "K-3", REFERRAL)
    report = verify_ledger(lg.app, workers=2)
    assert [(p.position, p.kind) for p in report.problems] == [(lg.app.size(), "revoked_key")]
    assert lg.app.size() > passed + 1  # the rotation came between
    assert verify_ledger(lg.app, workers=1).as_json() == report.as_json()


def test_a_revoked_actor_is_found_on_the_kind_of_event_that_passed_before(home):
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "K-1", REFERRAL, "2025-12-18")
    result = lg.cli("--as", "admin", "actor", "revoke", "bu1", "--reason", "left the unit")
    assert result.exit_code == 0, result.output
    _bypass(lg, load_actor_signer(home, "bu1"), "incident-referred", "K-2", REFERRAL)
    _bypass(lg, load_actor_signer(home, "bu1"), "incident-referred", "K-3", REFERRAL)
    report = verify_ledger(lg.app)
    size = lg.app.size()
    assert [(p.position, p.kind) for p in report.problems] == [
        (size - 1, "revoked_key"), (size, "revoked_key")]
