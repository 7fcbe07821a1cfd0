"""Issue 11, item 9: a reason that justifies a decision must be real text, not "...".

Every rationale, reason and justification field of the catalogue needs at least 10
characters (after surrounding white space is removed) of which at least 2 are letters
(docs/limits.md). New input only: a placeholder stored before the rule is still read by
every command (test_legacy_values.py stores "..." and "x" rationales and runs every read,
the rebuild and the nightly over them; the last test here checks the decision trail).
"""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time

from domain.catalogue import EVENT_TYPES
from domain.procedure import Intent
from service.actors import load_actor_signer
from service.writer import Writer
from tests.helpers import REFERRAL, make_ledger

NOW = "2026-07-03 09:00:00"
DECIDED_BY = ["Partner A"]
REASON_FIELDS = ("rationale", "reason", "justification")


@pytest.fixture
def ledger(home):
    with freeze_time(NOW, tick=True):
        lg = make_ledger(home)
        lg.record("bu1", "incident-referred", "R-1", REFERRAL, "2025-12-18")
    return lg


def _threshold(lg, rationale: str):
    data = {"meets_threshold": True, "rationale": rationale, "decided_by": DECIDED_BY}
    with freeze_time(NOW, tick=True):
        return lg.cli("--as", "p1", "record", "threshold-decided", "--case", "R-1",
                      "--data", json.dumps(data))


# Hand-counted: characters after stripping, and letters among them.
@pytest.mark.parametrize("placeholder", [
    "...",             # 3 characters, 0 letters
    "n/a",             # 3 characters, 2 letters: too short
    "TBC",             # 3 characters
    "   ..........  ",  # 10 characters once stripped, 0 letters
    "2025-12-22",      # 10 characters, 0 letters
    "a.........",      # 10 characters, 1 letter
    "see notes",       # 9 characters (the space counts), 8 letters: one short
    "ab.......",       # 9 characters, 2 letters: one short
])
def test_a_placeholder_rationale_is_refused_naming_the_field(ledger, placeholder):
    size = ledger.reopen().app.size()
    result = _threshold(ledger, placeholder)
    assert result.exit_code == 2, result.output
    assert "field 'rationale'" in result.stderr
    assert "Traceback" not in result.output
    assert placeholder.strip() not in result.stderr  # never echoed
    assert ledger.reopen().app.size() == size


@pytest.mark.parametrize("reason", [
    "ab........",           # exactly 10 characters, exactly 2 letters: the smallest accepted
    "  no concerns  ",      # 11 characters once stripped
    "Dim pryderon: §7.1.",  # Welsh: letters of any language count
])
def test_a_short_real_reason_is_accepted(ledger, reason):
    result = _threshold(ledger, reason)
    assert result.exit_code == 0, result.output
    with freeze_time(NOW, tick=True):
        history = ledger.cli("case", "history", "R-1", "--json")
    assert any(row.get("rationale") == reason.strip() for row in json.loads(history.stdout))


def test_every_reason_field_of_the_catalogue_declares_the_minimum():
    reasons = [(t.name, f.name) for t in EVENT_TYPES.values() for f in t.fields
               if f.name in REASON_FIELDS]
    # Counted in domain/catalogue_*.py: 9 rationales, 6 reasons, 1 justification; and in
    # domain/catalogue_paths.py 3 rationales (family-informed, reviewer-supervision-
    # recorded, coroner-request-answered).
    assert len(reasons) == 19
    assert ("coroner-request-answered", "rationale") in reasons
    assert ("threshold-decided", "rationale") in reasons
    assert ("publication-declined", "justification") in reasons
    assert ("action-not-implemented", "reason") in reasons
    assert ("actor-revoked", "reason") in reasons
    for type_name, field in reasons:
        f = EVENT_TYPES[type_name].field(field)
        assert (f.min_length, f.min_letters) == (10, 2), (type_name, field)


def test_other_reason_fields_refuse_a_placeholder_through_the_cli(ledger):
    size = ledger.reopen().app.size()
    with freeze_time(NOW, tick=True):
        revoke = ledger.cli("--as", "admin", "actor", "revoke", "ag1", "--reason", "...")
        declined = ledger.cli("--as", "p1", "record", "case-closed", "--case", "R-1",
                              "--data", json.dumps({"reason": "nfa", "rationale": "-- --"}))
    assert revoke.exit_code == 2, revoke.output
    assert "'reason'" in revoke.stderr
    assert declined.exit_code == 2, declined.output
    assert "field 'reason'" in declined.stderr
    assert ledger.reopen().app.size() == size


def test_help_and_schema_state_the_minimum(ledger):
    with freeze_time(NOW, tick=True):
        help_text = ledger.cli("record", "threshold-decided", "--help").output
        schema = json.loads(ledger.cli("schema", "threshold-decided").stdout)
    assert "at least 10 characters" in " ".join(help_text.split())
    assert "at least 2 letters" in " ".join(help_text.split())
    rationale = schema["properties"]["rationale"]
    assert (rationale["minLength"], rationale["x-min-letters"]) == (10, 2)


def test_a_placeholder_stored_before_the_rule_is_still_shown_everywhere(ledger):
    # Stored the way an older version did: through the real writer, without validation.
    with freeze_time(NOW, tick=True):
        writer = Writer(ledger.app)
        data = {"meets_threshold": True, "rationale": "...", "decided_by": DECIDED_BY}
        writer.append([Intent("threshold-decided", "R-1", data, "2025-12-22", "p1")],
                      {"p1": load_actor_signer(ledger.home, "p1")})
        for args in [("case", "show", "R-1"), ("case", "show", "R-1", "--json"),
                     ("case", "history", "R-1"), ("case", "list"), ("deadlines",),
                     ("projections", "rebuild"), ("jobs", "nightly"),
                     ("report", "compliance", "--from", "2025-07-01", "--to", "2026-06-30",
                      "--format", "json")]:
            result = ledger.cli(*args)
            assert result.exit_code == 0, (args, result.output)
        trail = json.loads(ledger.cli("case", "history", "R-1", "--json").stdout)
    assert any(row.get("rationale") == "..." for row in trail)
