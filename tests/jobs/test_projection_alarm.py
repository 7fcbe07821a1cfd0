"""The nightly job checks the read models it is about to trust (issue 9): a clock's due
date edited to hide a breach raises the integrity alarm (nothing recorded, one letter to
the admin, exit 1 every night) until acknowledged; then the run rebuilds the read models
from the events instead of trusting them, and records the breach the edit hid.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers import make_ledger
from tests.jobs.test_alarm import (  # noqa: F401 (fixture)
    ADMIN,
    acknowledge,
    admin_address,
    alarm_letters,
    count,
    nightly,
)
from tests.jobs.test_nightly import at, refer
from tests.ledger.tamper import raw


def sql(home, statement: str) -> list[tuple]:
    with raw(home) as db:
        return db.execute(statement)


def last_event(home, case: str) -> int:
    return sql(home, f"SELECT max(position) FROM cspr_events WHERE case_ref = '{case}'")[0][0]


def breaches(home, case: str, clock: str) -> int:
    rows = sql(home, "SELECT state FROM cspr_events WHERE event_type = 'deadline-breached' "
                     f"AND case_ref = '{case}'")
    return sum(json.loads(bytes(s))["data"]["clock"] == clock for (s,) in rows)


@pytest.fixture
def hidden(home):
    """Two cases whose threshold decision is due Mon 12 Jan; after a clean night, AL-1's
    due date is moved on in the read model, which would hide its breach on the 13th."""
    with at("2026-01-12", 10):
        lg = make_ledger(home)
        refer(lg, "AL-1")
        refer(lg, "AL-2")
    code, first = nightly(lg, "2026-01-12")
    assert code == 0 and first["verify_ok"]
    sql(home, "UPDATE proj_clocks SET due_on = '2026-12-31' WHERE case_ref = 'AL-1' AND "
              "clock = 'threshold_decision'")
    sql(home, "UPDATE proj_cases SET stage = 'closed' WHERE case_ref = 'AL-1'")
    return lg


def test_an_edited_read_model_raises_the_alarm_until_acknowledged(hidden):
    lg, home = hidden, hidden.home
    p = last_event(home, "AL-1")
    before = count(home)
    for day in ("2026-01-13", "2026-01-14"):
        code, night = nightly(lg, day)
        assert code == 1 and not night["verify_ok"]
        # both edited rows of the case: one finding, one acknowledgement
        assert [(a["position"], a["kind"]) for a in night["alarms"]] == [(p, "projection")]
        assert night["breaches_recorded"] == 0 and night["checkpoint_size"] == 0
        assert count(home) == before
    (letter,) = alarm_letters(home)
    assert f"To: {ADMIN}".encode() in letter
    assert f"position {p}: projection".encode() in letter
    assert b"verify --projections" in letter and b"AL-1" not in letter

    acknowledge(lg, p, "projection")  # acknowledged, not rebuilt by hand
    code, night = nightly(lg, "2026-01-16")
    assert code == 0 and night["verify_ok"] and night["alarms"] == []
    assert breaches(home, "AL-1", "threshold_decision") == 1  # the edit hid nothing
    assert breaches(home, "AL-2", "threshold_decision") == 1
    assert lg.cli("verify", "--projections").exit_code == 0  # the run rebuilt them


def test_a_new_edit_after_an_acknowledgement_is_a_new_alarm(hidden):
    lg, home = hidden, hidden.home
    p = last_event(home, "AL-1")
    assert nightly(lg, "2026-01-13")[0] == 1
    with at("2026-01-13", 8):
        assert lg.cli("projections", "rebuild").exit_code == 0
    acknowledge(lg, p, "projection")
    code, night = nightly(lg, "2026-01-16")
    assert code == 0, night
    sql(home, "UPDATE proj_actions SET owner = 'nobody'")  # no actions: changes nothing
    sql(home, "DELETE FROM proj_clocks WHERE case_ref = 'AL-2' AND "
              "clock = 'national_panel_notification'")
    code, night = nightly(lg, "2026-01-17")
    assert code == 1
    assert [(a["position"], a["kind"]) for a in night["alarms"]] == \
        [(last_event(home, "AL-2"), "projection")]
