"""--as is who signs: every command that appends signs as the --as actor or refuses, and
a refusal appends nothing."""

from __future__ import annotations

import pytest

from tests.helpers import make_ledger, run_cli

# Every command that appends an event, with the actor it signs as by default.
APPENDING = [
    ("actor", "add", "eve", "--role", "admin"),
    ("actor", "rotate", "p1"),
    ("actor", "revoke", "p1", "--reason", "left the partnership"),
    ("rule-set", "adopt", "wt2023", "--effective-from", "2026-01-01"),
    ("checkpoint",),
    ("jobs", "nightly", "--as-of", "2026-01-05"),
]


@pytest.mark.parametrize("command", APPENDING, ids=lambda c: " ".join(c[:2]))
def test_a_non_admin_cannot_act_as_admin_or_system(home, command):
    lg = make_ledger(home)
    size = lg.app.size()
    keys = sorted(p.name for p in home.keys.iterdir())
    result = lg.cli("--as", "bu1", *command)
    assert result.exit_code == 1, result.output
    assert "bu1" in result.stderr or "signs only as" in result.stderr
    assert lg.reopen().app.size() == size  # nothing appended
    assert sorted(p.name for p in home.keys.iterdir()) == keys  # no key left behind


def test_a_second_admin_signs_as_itself(home):
    lg = make_ledger(home)
    assert lg.cli("actor", "add", "chief", "--role", "admin").exit_code == 0
    added = lg.cli("--as", "chief", "actor", "add", "eve", "--role", "business_unit")
    assert added.exit_code == 0, added.output
    assert lg.cli("--as", "chief", "actor", "revoke", "eve", "--reason",
                  "moved to a new post").exit_code == 0
    from tests.ledger.tamper import raw

    with raw(home) as db:
        signers = db.execute("SELECT actor FROM cspr_events WHERE event_type IN "
                             "('actor-registered', 'actor-revoked') ORDER BY position DESC "
                             "LIMIT 2")
    assert signers == [("chief",), ("chief",)]
    assert lg.cli("verify").exit_code == 0


def test_init_signs_only_as_admin(tmp_path):
    from service.home import Home

    home = Home(tmp_path / "fresh")
    refused = run_cli(home, "--as", "bu1", "init", "--partnership", "Made-up")
    assert refused.exit_code == 1 and "signs only as 'admin'" in refused.stderr
    assert not (home.keys / "master.key").exists()
    assert run_cli(home, "--as", "admin", "init", "--partnership", "Made-up").exit_code == 0
