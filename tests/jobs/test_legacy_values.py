"""Values an older version accepted keep working in the nightly job, forever (issue 8,
finding 1), and a case whose events cannot be processed stops only itself: the run does
everything else and reports that case loudly (isolation).

Such values are written the way an older version would have: through the real Writer,
signed, with today's validation bypassed (events can never be changed afterwards).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

import pytest

from jobs.outbox import escalation_key, make_key
from ledger.verify import verify_ledger
from service.actors import load_actor_signer
from service.writer import Writer, make_intent
from tests.helpers import make_ledger
from tests.jobs.test_alarm import ADMIN, admin_address  # noqa: F401 (fixture)
from tests.jobs.test_nightly import at, refer
from tests.scenario import data


def legacy(lg, actor: str, type_name: str, case: str, values: dict, occurred: str,
           **stored) -> None:
    """Append an event whose ``stored`` values today's validation would refuse."""
    intent = make_intent(type_name, case, values, occurred, actor, datetime.now(timezone.utc))
    intent = dataclasses.replace(intent, data={**intent.data, **stored})
    Writer(lg.app).append([intent], {actor: load_actor_signer(lg.home, actor)})


def nightly(lg, day: str):
    with at(day):
        result = lg.cli("jobs", "nightly", "--json")
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout), result.stderr


@pytest.mark.parametrize("action", ["Improve info sharing", "A" * 300, "tab\there",
                                    "line\nbreak", "naïve-ref", "\x7f"])
def test_any_stored_action_reference_gives_a_valid_letter_key(action):
    key = escalation_key("C-1", action, "head_of_service",
                         datetime(2026, 1, 31).date())
    assert 1 <= len(key) <= 200 and all("!" <= ch <= "~" for ch in key)
    # distinct references stay distinct letters
    assert key != escalation_key("C-1", action + "x", "head_of_service",
                                 datetime(2026, 1, 31).date())


def test_keys_that_were_valid_are_unchanged():
    # a changed key would write (and send) a letter already sent
    assert escalation_key("C-1", "A1", "chief_officer", datetime(2026, 1, 31).date()) == \
        "escalation:C-1:A1:chief_officer:2026-01-31"
    assert make_key("breach", "C/2025/1", "threshold_decision", "2026-01-12") == \
        "breach:C/2025/1:threshold_decision:2026-01-12"


def test_an_action_reference_with_spaces_still_gets_its_escalation_letters(home):
    with at("2026-01-12", 10):
        lg = make_ledger(home)
        refer(lg, "LEG-1")
        legacy(lg, "ldc", "action-agreed", "LEG-1",
               data("action-agreed", action="A1", deadline="2026-01-31"), "2026-01-12",
               action="Improve info sharing")
    for day, level in (("2026-05-01", "head_of_service"), ("2026-08-01", "chief_officer")):
        code, night, _ = nightly(lg, day)
        assert code == 0 and night["verify_ok"] and night["failed_cases"] == []
        assert night["escalations_recorded"] == 1
        letters = [p.read_text() for p in home.outbox.glob("escalation*.eml")]
        assert any("Improve info sharing" in t and level in t for t in letters)
        assert night["checkpoint_size"] > 0
    assert len(list(home.outbox.glob("escalation*.eml"))) == 2
    assert nightly(lg, "2026-08-02")[0] == 0  # and every night after
    assert lg.cli("actions", "--json").exit_code == 0


def test_a_case_that_cannot_be_processed_stops_only_itself(home):
    with at("2026-01-12", 10):
        lg = make_ledger(home)
        refer(lg, "GOOD-1")
        refer(lg, "POISON-1")
        # a stored deadline no clock can be computed from
        legacy(lg, "ldc", "action-agreed", "POISON-1",
               data("action-agreed", action="A1", deadline="2026-01-31"), "2026-01-12",
               deadline="not a date")
    code, night, err = nightly(lg, "2026-01-13")
    assert code == 1
    assert night["failed_cases"] == ["POISON-1"]
    assert "POISON-1" in err
    # everything else was done: the good case's breaches, letters, verify, checkpoint
    assert night["verify_ok"] and night["breaches_recorded"] == 3
    assert len(list(home.outbox.glob("breach_GOOD-1*.eml"))) == 3
    assert night["checkpoint_size"] > 0
    assert (home.reports / "compliance-2026-01-13.html").exists()
    admin = [p.read_text() for p in home.outbox.glob("*.eml") if "POISON-1" in p.read_text()
             and "cannot be processed" in p.read_text()]
    assert len(admin) == 1 and f"To: {ADMIN}" in admin[0]
    assert verify_ledger(lg.app).ok
    code, again, _ = nightly(lg, "2026-01-14")  # reported every night, letter once
    assert code == 1 and again["failed_cases"] == ["POISON-1"]
    assert len([p for p in home.outbox.glob("*.eml") if "POISON-1" in p.read_text()
                and "cannot be processed" in p.read_text()]) == 1
