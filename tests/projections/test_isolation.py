"""A case whose events cannot be folded takes down no other case (issue 8, finding 2).

The poisoned case is written past validation, as a ledger written by an older version (or
a future bug) would hold it: a referral whose ``harm`` field is missing, which every read
of the case needs. Reads and projections skip it, name it, and exit 1 after doing
everything else.
"""

from __future__ import annotations

import json

import pytest

from domain.procedure import Intent
from projections import read
from projections.projector import Projector
from service.actors import load_actor_signer
from service.calendar_england import england_calendar
from service.writer import Writer
from tests.helpers import REFERRAL, make_ledger

CAL = england_calendar()


def poison(lg, case: str = "POISON-1") -> None:
    data = {k: v for k, v in REFERRAL.items() if k != "harm"}
    intent = Intent("incident-referred", case, data, "2025-12-18", "bu1")
    Writer(lg.app).append([intent], {"bu1": load_actor_signer(lg.home, "bu1")})


@pytest.fixture
def ledger(home):
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "GOOD-1", REFERRAL, "2025-12-18")
    poison(lg)
    lg.record("bu1", "incident-referred", "GOOD-2", REFERRAL, "2025-12-18")
    return lg


def test_projector_skips_and_names_the_case_it_cannot_fold(ledger):
    projector = Projector(ledger.app, CAL)
    report = projector.update()
    assert report.failed_cases == ["POISON-1"]
    assert report.cases_updated == 2
    assert [r["case_ref"] for r in read.case_summaries(ledger.app)] == ["GOOD-1", "GOOD-2"]
    assert {r["case"] for r in read.clock_rows(ledger.app, CAL_DAY)} == {"GOOD-1", "GOOD-2"}
    # Still named by a later update that does not touch it, and by a rebuild.
    ledger.record("bu1", "reported-to-partners", "GOOD-1", {"on": "2025-12-19"},
                  "2025-12-19")
    assert projector.update().failed_cases == ["POISON-1"]
    rebuilt = projector.rebuild()
    assert rebuilt.failed_cases == ["POISON-1"] == projector.failed_cases()
    assert rebuilt.cases_updated == 2


CAL_DAY = __import__("datetime").date(2026, 1, 5)


@pytest.mark.parametrize("args", [
    ["case", "list"], ["deadlines"], ["actions"], ["deadlines", "--as-of", "2026-01-02"],
    ["projections", "rebuild"], ["projections", "update"],
])
def test_read_commands_show_the_rest_then_exit_1_naming_the_case(ledger, args):
    result = ledger.cli(*args, "--json")
    assert result.exit_code == 1, result.output
    assert "POISON-1" in result.stderr and "Traceback" not in result.output
    out = json.loads(result.stdout)
    if args[0] == "projections":
        assert out["failed_cases"] == ["POISON-1"]
    elif args[0] != "actions":
        assert {r["case"] for r in out} == {"GOOD-1", "GOOD-2"}


def test_the_poisoned_case_itself_is_refused_with_exit_1(ledger):
    for args in (["deadlines", "--case", "POISON-1"], ["actions", "--case", "POISON-1"],
                 ["case", "history", "POISON-1"], ["case", "chronology", "POISON-1"]):
        result = ledger.cli(*args)
        assert result.exit_code == 1, (args, result.output)
        assert "POISON-1" in result.stderr and "Traceback" not in result.output
    # case show folds directly and needs no 'harm': it can still show what there is.
    assert ledger.cli("case", "show", "POISON-1").exit_code == 0
    assert ledger.cli("case", "show", "GOOD-1").exit_code == 0
