"""A ledger written before the input bounds existed keeps working (issue 8, migration).

Events can never be changed, so values that today's validation refuses (an action
reference with spaces, a 9999-12-31 placeholder, a 1900 date) stay in old ledgers for
good. They are stored here the way an older version stored them: through the real writer
(signed, chained, rules checked) with an ``Intent`` built directly, skipping ``validate``.
Every read, the rebuild and the nightly must then still exit 0, for every case, and a new
value of the same kind must be refused with exit 2.
"""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time

from domain.procedure import Intent
from service.actors import load_actor_signer
from service.writer import Writer
from tests.helpers import REFERRAL, make_ledger

NOW = "2026-07-03 09:00:00"
_LONG_REF = "R" + "9" * 79  # over the 64 characters of a reference column


def _legacy(ref: str) -> list[tuple[str, str, str | None, dict, str]]:
    """(actor, type, case, data as an older version stored it, occurred_at)."""
    referral = {**REFERRAL, "received_on": "9999-12-31", "aware_on": "1900-01-01",
                "incident_on": "1900-01-01"}
    referral.pop("child")
    return [
        ("bu1", "incident-referred", ref, referral, "2025-12-18"),
        # A placeholder reason, refused as new input since issue 11, read forever.
        ("p1", "threshold-decided", ref, {"meets_threshold": True, "rationale": "...",
                                          "decided_by": ["Partner A"]}, "2025-12-22"),
        ("ldc", "action-agreed", ref, {"action": "Improve info sharing", "agency": "Agency A",
                                       "owner": "Owner A", "description": "made-up",
                                       "deadline": "9999-12-31"}, "2026-01-05"),
        # Overdue for decades: the nightly escalates it, copying the legacy reference.
        ("ldc", "action-agreed", ref, {"action": "Old plan 1", "agency": "Agency B",
                                       "owner": "Owner B", "description": "made-up",
                                       "deadline": "1900-01-01"}, "2026-01-05"),
        ("ldc", "action-agreed", ref, {"action": "Old plan 2", "agency": "Agency D",
                                       "owner": "Owner D", "description": "made-up",
                                       "deadline": "9999-12-30"}, "2026-01-05"),
        ("ldc", "action-extended", ref, {"action": "Old plan 2",
                                         "new_deadline": "9999-12-31",
                                         "requested_by_chief_officer": "CO",
                                         "rationale": "x"}, "2026-01-06"),
        ("p1", "review-commissioned", ref, {"decided_on": "0001-01-01",
                                            "methodology": "traditional", "reviewer": "R",
                                            "reviewer_independent": True}, "2026-01-07"),
        ("p1", "publication-planned", ref, {"planned_on": "0001-01-03", "mode": "full"},
         "2026-01-08"),
        ("p1", "publication-planned", ref, {"planned_on": "9999-12-31", "mode": "full"},
         "2026-01-09"),
    ]


def _store(lg, steps) -> None:
    writer = Writer(lg.app)
    for actor, type_name, case, data, occurred_at in steps:
        intent = Intent(type_name, case, data, occurred_at, actor)
        writer.append([intent], {actor: load_actor_signer(lg.home, actor)})


READS = [
    ("case", "list"), ("case", "list", "--json"), ("case", "show", "L-1"),
    ("case", "show", "N-1"), ("case", "history", "L-1"), ("case", "chronology", "L-1"),
    ("deadlines",), ("deadlines", "--case", "L-1"), ("actions",), ("actions", "--json"),
    ("projections", "rebuild"), ("case", "list"),
    ("report", "compliance", "--from", "2025-07-01", "--to", "2026-06-30", "--format", "json"),
]


@pytest.fixture
def legacy(home):
    with freeze_time(NOW, tick=True):
        lg = make_ledger(home)
        _store(lg, _legacy("L-1"))
        lg.record("bu1", "incident-referred", "N-1", REFERRAL, "2025-12-18")
    return lg


def test_every_read_and_the_rebuild_work_over_legacy_values(legacy):
    with freeze_time(NOW, tick=True):
        for args in READS:
            result = legacy.cli(*args)
            assert result.exit_code == 0, (args, result.output)
        shown = json.loads(legacy.cli("case", "list", "--json").stdout)
        assert {row["case"] for row in shown} >= {"L-1", "N-1"}
        actions = json.loads(legacy.cli("actions", "--json").stdout)
        assert {a["action"] for a in actions} >= {"Improve info sharing", "Old plan 1"}


def test_a_legacy_action_reference_longer_than_a_column_still_reads(legacy):
    """Found on PostgreSQL: a reference over 64 characters was accepted, then every read
    failed on a 64-character column of the read models."""
    with freeze_time(NOW, tick=True):
        _store(legacy, [("ldc", "action-agreed", "L-1", {
            "action": _LONG_REF, "agency": "Agency C", "owner": "Owner C",
            "description": "made-up", "deadline": "2026-02-27"}, "2026-01-05")])
        for args in [*READS, ("jobs", "nightly"), ("verify",)]:
            result = legacy.cli(*args)
            assert result.exit_code == 0, (args, result.output)


def test_the_nightly_and_verify_work_over_legacy_values(legacy):
    with freeze_time(NOW, tick=True):
        first = legacy.cli("jobs", "nightly", "--json")
        assert first.exit_code == 0, first.output
        again = legacy.cli("jobs", "nightly", "--json")
        assert again.exit_code == 0, again.output
        assert legacy.cli("verify").exit_code == 0
        for args in READS:
            assert legacy.cli(*args).exit_code == 0, args


@pytest.mark.parametrize(("type_name", "data", "field"), [
    ("action-agreed", {"action": "Improve info sharing 2", "agency": "A", "owner": "O",
                       "description": "d", "deadline": "2026-09-30"}, "action"),
    ("action-agreed", {"action": "R9", "agency": "A", "owner": "O", "description": "d",
                       "deadline": "9999-12-31"}, "deadline"),
    ("action-agreed", {"action": _LONG_REF + "0", "agency": "A", "owner": "O",
                       "description": "d", "deadline": "2026-09-30"}, "action"),
    ("publication-planned", {"planned_on": "9999-12-31", "mode": "full"}, "planned_on"),
])
def test_new_values_of_the_same_kinds_are_refused(legacy, type_name, data, field):
    with freeze_time(NOW, tick=True):
        size = legacy.app.size()
        actor = "ldc" if type_name.startswith("action") else "p1"
        result = legacy.cli("--as", actor, "record", type_name, "--case", "L-1",
                            "--data", json.dumps(data))
        assert result.exit_code == 2, result.output
        assert f"field '{field}'" in result.stderr
        assert legacy.reopen().app.size() == size


def test_the_nightly_escalates_a_legacy_action_copying_its_reference(legacy):
    """The nightly's own events copy stored values: they are derived, never refused."""
    with freeze_time(NOW, tick=True):
        assert legacy.cli("jobs", "nightly").exit_code == 0
        actions = {a["action"]: a for a in json.loads(legacy.cli("actions", "--json").stdout)}
    assert actions["Old plan 1"]["escalations"], "the 1900 deadline was escalated"
    assert not actions["Improve info sharing"]["escalations"]  # due after 9999-12-31
