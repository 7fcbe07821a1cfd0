"""Issue 8, the validation side: every bound of docs/limits.md refuses through the real CLI
with exit 2 naming the field, no traceback, nothing echoed, and nothing left behind (no
event, no data-key row), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import func, select

from cli.errors import CsprGroup
from ledger.schema import data_keys_table
from tests.helpers import CHILD_NAME, REFERRAL, make_ledger

NOW = "2026-07-03 09:00:00"
THRESHOLD = {"meets_threshold": True, "rationale": "Made-up rationale for a test.",
             "decided_by": ["Partner A"]}
ACTION = {"action": "R1.2", "agency": "Agency A", "owner": "Owner A, Head of Service",
          "description": "made-up", "deadline": "2026-09-30"}
SECRET = "Zephyrine"  # part of the made-up child's name: it must never be echoed


@pytest.fixture
def ledger(home):
    with freeze_time(NOW, tick=True):
        lg = make_ledger(home)
        lg.record("bu1", "incident-referred", "B-1", REFERRAL, "2025-12-18")
        lg.record("p1", "threshold-decided", "B-1", THRESHOLD, "2025-12-22")
    return lg


def _rows(lg) -> tuple[int, int]:
    with lg.app.engine.connect() as conn:
        keys = conn.execute(select(func.count()).select_from(data_keys_table)).scalar_one()
    return lg.reopen().app.size(), keys


def _refused(lg, args: list[str], field: str, code: int = 2, input: str | None = None):
    before = _rows(lg)
    with freeze_time(NOW, tick=True):
        result = lg.cli(*args, input=input)
    assert result.exit_code == code, result.output
    assert f"'{field}'" in result.stderr, result.stderr
    assert "Traceback" not in result.output and SECRET not in result.output
    assert _rows(lg) == before
    return result


def _record(type_name: str, data: dict | str, case: str = "B-1", actor: str = "bu1",
            *extra: str) -> list[str]:
    text = data if isinstance(data, str) else json.dumps(data)
    return ["--as", actor, "record", type_name, "--case", case, "--data", text, *extra]


def _referral(**changes) -> dict:
    return {**REFERRAL, **changes}


# --- 1. dates: the window, and "each <= today" -------------------------------------------


@pytest.mark.parametrize(("field", "value"), [
    ("received_on", "9999-12-31"), ("incident_on", "9999-12-31"), ("aware_on", "1900-01-01"),
    ("received_on", "2026-07-04"),  # inside the window but after the day recorded
    ("incident_on", "2100-12-31"),
])
def test_referral_dates_are_bounded_and_never_after_the_day_recorded(ledger, field, value):
    _refused(ledger, _record("incident-referred", _referral(**{field: value}), "B-2"), field)


def test_referral_dates_on_the_day_recorded_are_accepted(ledger):
    with freeze_time(NOW, tick=True):
        today = _referral(received_on="2026-07-03", aware_on="2026-07-03",
                          incident_on="2026-07-03")
        assert ledger.cli(*_record("incident-referred", today, "B-3")).exit_code == 0


@pytest.mark.parametrize(("type_name", "actor", "data", "field"), [
    ("action-agreed", "ldc", {**ACTION, "deadline": "9999-12-31"}, "deadline"),
    ("action-agreed", "ldc", {**ACTION, "deadline": "1989-12-31"}, "deadline"),
    ("action-agreed", "ldc", {**ACTION, "deadline": "2101-01-01"}, "deadline"),
    ("reported-to-partners", "bu1", {"on": "0001-01-01"}, "on"),
])
def test_other_dates_keep_the_window(ledger, type_name, actor, data, field):
    _refused(ledger, _record(type_name, data, actor=actor), field)


def test_forward_dates_inside_the_window_are_accepted(ledger):
    with freeze_time(NOW, tick=True):
        result = ledger.cli(*_record("action-agreed", {**ACTION, "deadline": "2100-12-31"},
                                     actor="ldc"))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("value", [
    "0001-01-01T00:00:00+01:00",  # was an OverflowError
    "9999-12-31T23:30:00-01:00", "0001-01-01", "1989-12-31", "1989-12-31T23:59:59Z",
    "20251219", "2025-12-19T10", "x" * 10_000, "2025-02-30",
])
def test_occurred_at_is_bounded_and_never_overflows(ledger, value):
    args = _record("reported-to-partners", {"on": "2025-12-19"}, "B-1", "bu1",
                   "--occurred-at", value)
    _refused(ledger, args, "occurred_at")


# --- 2. lengths and list sizes ------------------------------------------------------------


def test_text_over_its_length_is_refused_naming_the_field(ledger):
    _refused(ledger, _record("threshold-decided", {**THRESHOLD, "rationale": "x" * 20_001},
                             "B-1", "p1"), "rationale")
    _refused(ledger, _record("action-agreed", {**ACTION, "agency": "A" * 201}, actor="ldc"),
             "agency")


def test_a_10_mb_text_and_a_200000_item_list_are_refused(ledger, tmp_path):
    big = {**THRESHOLD, "rationale": "x" * 10_000_000}
    _refused(ledger, _record("threshold-decided", big, "B-1", "p1"), "data")
    many = {**THRESHOLD, "decided_by": ["A"] * 200_000}
    path = tmp_path / "many.json"
    path.write_text(json.dumps(many))
    # Just under the byte limit (1 MB of JSON): the list's own bound refuses it.
    _refused(ledger, ["--as", "p1", "record", "threshold-decided", "--case", "B-1",
                      "--data-file", str(path)], "decided_by")
    path.write_text(json.dumps({**many, "decided_by": ["Partner"] * 200_000}))
    _refused(ledger, ["--as", "p1", "record", "threshold-decided", "--case", "B-1",
                      "--data-file", str(path)], "--data-file")


def test_a_list_over_its_size_is_refused_naming_the_field(ledger):
    _refused(ledger, _record("threshold-decided", {**THRESHOLD, "decided_by": ["A"] * 201},
                             "B-1", "p1"), "decided_by")


# --- 3. identifiers ----------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["Improve info sharing", "R" * 65, "R1\n", "-R1", "R1;2",
                                 "Rü"])
def test_an_action_reference_outside_the_identifier_set_is_refused(ledger, ref):
    _refused(ledger, _record("action-agreed", {**ACTION, "action": ref}, actor="ldc"),
             "action")


@pytest.mark.parametrize("ref", ["B 1", "B" * 65, "", "B-1\u0000"])
def test_a_case_reference_outside_the_identifier_set_is_refused(ledger, ref):
    _refused(ledger, _record("reported-to-partners", {"on": "2025-12-19"}, ref), "case")


def test_references_at_the_bounds_are_accepted(ledger):
    ref = "R" + "1" * 63
    with freeze_time(NOW, tick=True):
        result = ledger.cli(*_record("action-agreed", {**ACTION, "action": ref}, actor="ldc"))
        assert result.exit_code == 0, result.output
        assert ledger.cli("actions").exit_code == 0


# --- 4. characters -----------------------------------------------------------------------


@pytest.mark.parametrize(("data", "field"), [
    ({**ACTION, "description": "made\u0000up"}, "description"),
    ({**ACTION, "agency": "Agency\u0000A"}, "agency"),
    ({**ACTION, "agency": "Agency\nA"}, "agency"),  # a name is one line
    ({**ACTION, "owner": "Owner\u001bA"}, "owner"),
    ({**ACTION, "description": "made \ud800 up"}, "description"),
])
def test_control_characters_and_lone_surrogates_are_refused(ledger, data, field):
    # json.dumps writes \u0000 and \ud800 as escapes, as a real client would send them.
    _refused(ledger, _record("action-agreed", data, actor="ldc"), field)


def test_a_lone_surrogate_in_a_personal_field_leaves_no_data_key_row(ledger):
    """Was a UnicodeEncodeError that left a data-key row for an event never appended."""
    child = {"name": "Testchild \udc80 Example"}
    _refused(ledger, _record("incident-referred", _referral(child=child), "B-9"), "child.name")
    summary = _referral(summary="made-up \ud83d")
    _refused(ledger, _record("incident-referred", summary, "B-9"), "summary")
    names = {**THRESHOLD, "decided_by": ["Partner A", "Partner \u0000B"]}
    _refused(ledger, _record("threshold-decided", names, "B-1", "p1"), "decided_by[1]")


def test_tabs_and_line_breaks_are_kept_in_free_text(ledger):
    with freeze_time(NOW, tick=True):
        data = {**ACTION, "description": "line one\n\tline two\r\nline three"}
        assert ledger.cli(*_record("action-agreed", data, actor="ldc")).exit_code == 0


# --- 5. size and depth before parsing ----------------------------------------------------


def test_json_nested_3000_deep_is_refused_before_parsing(ledger):
    deep = '{"on": "2025-12-19", "x": ' + "[" * 3000 + "]" * 3000 + "}"
    _refused(ledger, _record("reported-to-partners", deep), "data")


def test_a_number_too_long_to_read_is_refused(ledger):
    _refused(ledger, _record("rapid-review-sent-to-panel", '{"on": "2025-12-19", '
                             '"includes_minutes": ' + "9" * 5000 + "}"), "data")


def test_a_field_given_twice_is_refused_without_naming_it(ledger):
    result = _refused(ledger, _record("reported-to-partners",
                                      '{"on": "2025-12-19", "on": "2025-12-20"}'), "data")
    assert "twice" in result.stderr


# --- 6. files ----------------------------------------------------------------------------


def _data_file(lg, path: str) -> list[str]:
    return ["--as", "bu1", "record", "reported-to-partners", "--case", "B-1",
            "--data-file", path]


def test_data_file_missing_a_directory_or_binary_is_exit_2(ledger, tmp_path: Path):
    _refused(ledger, _data_file(ledger, str(tmp_path / f"{SECRET}.json")), "--data-file")
    _refused(ledger, _data_file(ledger, str(tmp_path)), "--data-file")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe" * 100)
    _refused(ledger, _data_file(ledger, str(binary)), "--data-file")
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('{"on": "2025-12-19", "x": "café"}'.encode("latin-1"))
    _refused(ledger, _data_file(ledger, str(latin1)), "--data-file")


def test_data_file_from_stdin_is_read_as_utf8(ledger):
    with freeze_time(NOW, tick=True):
        result = ledger.cli(*_data_file(ledger, "-"), input='{"on": "2025-12-19"}')
    assert result.exit_code == 0, result.output


def test_a_binary_import_file_is_exit_2(ledger, tmp_path: Path):
    good = json.dumps({"type": "reported-to-partners", "case": "B-1",
                       "data": {"on": "2025-12-19"}, "as": "bu1"})
    path = tmp_path / "binary.jsonl"
    path.write_bytes(good.encode() + b"\n" + b"\xff\xfe\x00\x01" * 1000 + b"\n")
    _refused(ledger, ["import", str(path)], "file")
    _refused(ledger, ["import", str(tmp_path / f"{SECRET}.jsonl")], "file")
    _refused(ledger, ["import", str(tmp_path)], "file")


@pytest.mark.parametrize("actor", [{"x": 1}, ["bu1"], 7, "BU 1", f"{SECRET} Quillfeather"])
def test_as_of_the_wrong_shape_in_an_import_line_is_exit_2(ledger, tmp_path: Path, actor):
    path = tmp_path / "as.jsonl"
    path.write_text(json.dumps({"type": "reported-to-partners", "case": "B-1",
                                "data": {"on": "2025-12-19"}, "as": actor}) + "\n")
    _refused(ledger, ["--as", "bu1", "import", str(path)], "as")


def test_an_actor_name_of_the_wrong_shape_is_exit_2_and_not_echoed(ledger):
    args = _record("reported-to-partners", {"on": "2025-12-19"})
    args[1] = CHILD_NAME
    _refused(ledger, args, "--as")


# --- 8. unknown names are never echoed -------------------------------------------------


def test_an_unknown_field_name_is_not_echoed(ledger):
    data = {"on": "2025-12-19", CHILD_NAME: "x"}
    result = _refused(ledger, _record("reported-to-partners", data), "data")
    assert "only the fields of reported-to-partners: on" in result.stderr


def test_an_unknown_import_field_and_an_unknown_type_are_not_echoed(ledger, tmp_path: Path):
    path = tmp_path / "unknown.jsonl"
    path.write_text(json.dumps({"type": "reported-to-partners", "case": "B-1",
                                "data": {"on": "2025-12-19"}, CHILD_NAME: 1}) + "\n")
    _refused(ledger, ["--as", "bu1", "import", str(path)], "line")
    before = _rows(ledger)
    result = ledger.cli("--as", "bu1", "record", CHILD_NAME, "--case", "B-1")
    assert result.exit_code == 2 and "unknown event type" in result.stderr
    assert SECRET not in result.output and _rows(ledger) == before


# --- 7. the last-resort guard ----------------------------------------------------------


@click.group(cls=CsprGroup)
def _harness() -> None:
    """A real CsprGroup with commands that fail the ways a bug or the environment would."""


@_harness.command("boom")
def _boom() -> None:
    raise KeyError(f"{SECRET} Quillfeather")


@_harness.command("usage")
@click.option("--n", type=int, required=True)
def _usage(n: int) -> None:
    click.echo(str(n))


def test_an_unexpected_exception_is_a_one_line_exit_1_naming_only_its_type(monkeypatch):
    monkeypatch.delenv("CSPR_DEBUG", raising=False)
    result = CliRunner().invoke(_harness, ["boom"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "KeyError" in result.stderr and SECRET not in result.output
    assert "Traceback" not in result.output and len(result.stderr.splitlines()) == 1


def test_click_usage_errors_keep_exit_2_and_help_exit_0():
    result = CliRunner().invoke(_harness, ["usage", "--n", "seven"], catch_exceptions=False)
    assert result.exit_code == 2 and "--n" in result.stderr
    assert CliRunner().invoke(_harness, ["usage", "--help"]).exit_code == 0
    assert CliRunner().invoke(_harness, ["usage", "--n", "7"]).output == "7\n"
