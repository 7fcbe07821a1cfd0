"""Issue 11, item 10 (output people read), through the CLI.

- `case show` says the National Panel's decision in words, not `False`;
- tables and letters name clocks as the compliance report does ("Rapid Review sent to
  Panel"); JSON keeps the ids and carries the name beside them;
- `case list` counts an action's escalation rungs under ESCALATIONS, not as breaches;
- `record TYPE --help` gives each field its own paragraph; `case chronology --help`'s
  summary is a whole sentence;
- chronology times are typed and shown in London local time (App. 6).

Every date and time below is counted by hand; the comment says how.
"""

from __future__ import annotations

import json
from email import message_from_bytes, policy

import pytest
from freezegun import freeze_time

from tests.helpers import make_ledger
from tests.scenario import THRESHOLD_MET_PATH, data, play


@pytest.fixture
def lg(home):
    with freeze_time("2025-04-14 01:30:00", tick=True):
        return make_ledger(home)


def path_until(type_name: str) -> list:
    """The scenario's threshold-met path up to and including the first TYPE event."""
    end = next(i for i, step in enumerate(THRESHOLD_MET_PATH) if step[1] == type_name)
    return THRESHOLD_MET_PATH[: end + 1]


def cli_on(lg, day: str, *args: str):
    with freeze_time(f"{day} 12:00:00", tick=True):
        result = lg.cli(*args)
    assert result.exit_code == 0, result.output
    return result


def record(lg, actor: str, type_name: str, case: str, occurred: str, **fields):
    with freeze_time(f"{occurred} 10:30:00", tick=True):
        result = lg.cli("--as", actor, "record", type_name, "--case", case, "--data",
                        json.dumps(data(type_name, **fields)), "--occurred-at", occurred)
    return result


def refer_below_threshold(lg, case: str) -> None:
    """LA aware Mon 14 Apr 2025; reported Tue 15, decided (not met) Wed 16, referrer told
    Thu 17 Apr: every statutory clock of a case below threshold is met on time."""
    for actor, type_name, day, fields in (
            ("bu1", "incident-referred", "2025-04-14",
             {"aware_on": "2025-04-14", "received_on": "2025-04-14",
              "incident_on": "2025-04-12"}),
            ("bu1", "reported-to-partners", "2025-04-15", {"on": "2025-04-15"}),
            ("p1", "threshold-decided", "2025-04-16",
             {"meets_threshold": False, "learning_potential": True}),
            ("bu1", "referrer-informed", "2025-04-17", {"on": "2025-04-17"})):
        result = record(lg, actor, type_name, case, day, **fields)
        assert result.exit_code == 0, result.output


# --- case list: escalation rungs are not breaches ------------------------------------------


def test_escalation_rungs_have_their_own_column_not_breaches(lg):
    refer_below_threshold(lg, "EL-1")
    for action, deadline in (("A1", "2025-05-30"), ("A2", "2025-06-30")):
        assert record(lg, "ldc", "action-agreed", "EL-1", "2025-04-17", action=action,
                      deadline=deadline).exit_code == 0
    # Calendar months from each deadline, nothing completed:
    #   A1 (Fri 30 May 2025): Head of Service after Sat 30 Aug, Chief Officer after Sun 30 Nov
    #   A2 (Mon 30 Jun 2025): Head of Service after Tue 30 Sep, Chief Officer after Tue 30 Dec
    # so on Mon 5 Jan 2026 all four rungs are passed, and no statutory clock is breached.
    rows = {r["case"]: r for r in json.loads(
        cli_on(lg, "2026-01-05", "case", "list", "--json").stdout)}
    assert (rows["EL-1"]["breached"], rows["EL-1"]["escalations"]) == (0, 4)
    plain = cli_on(lg, "2026-01-05", "case", "list").stdout
    header, line = plain.splitlines()[0], next(x for x in plain.splitlines()
                                               if x.startswith("EL-1"))
    def cell(column: str) -> str:  # the table's columns start where their headers do
        return line[header.index(column):].split()[0]

    assert (cell("BREACHED"), cell("ESCALATIONS")) == ("0", "4")


# --- clock names: one source for tables, JSON and letters ----------------------------------


def test_tables_and_letters_use_the_reports_clock_names(lg):
    with freeze_time("2025-12-22 10:30:00", tick=True):
        for actor, type_name, overrides, occurred in path_until("national-panel-notified"):
            lg.record(actor, type_name, "CN-1", data(type_name, **overrides), occurred)
    # From Mon 22 Dec 2025 (notified), no acknowledgement: the Rapid Review to Panel clock
    # is shown by name in every table, the id stays in JSON with the name beside it.
    for args in (("deadlines", "--case", "CN-1"), ("case", "show", "CN-1")):
        plain = cli_on(lg, "2025-12-23", *args).stdout
        assert "Rapid Review sent to Panel" in plain
        assert "rapid_review_to_panel" not in plain
    rows = json.loads(cli_on(lg, "2025-12-23", "deadlines", "--case", "CN-1",
                             "--json").stdout)
    panel = next(r for r in rows if r["clock"] == "rapid_review_to_panel")
    assert panel["name"] == "Rapid Review sent to Panel"
    # 15 WD from Mon 22 Dec 2025 (day 0): Tue 23 (1), Wed 24 (2), [Thu 25, Fri 26 bank
    # holidays, Sat 27, Sun 28 weekend], Mon 29 (3), Tue 30 (4), Wed 31 (5), [Thu 1 Jan bank
    # holiday], Fri 2 (6), Mon 5 (7), ... Fri 9 (11), Mon 12 (12), Tue 13 (13), Wed 14 (14),
    # Thu 15 Jan 2026 (15). The night of Fri 16 Jan records the breach and writes its letter.
    assert panel["due_on"] == "2026-01-15"
    with freeze_time("2026-01-16 02:30:00", tick=True):
        assert lg.cli("jobs", "nightly", "--as-of", "2026-01-16").exit_code == 0
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in sorted(lg.home.outbox.glob("*.eml"))]
    (letter,) = [m for m in mails if "Rapid Review sent to Panel" in m["Subject"]]
    assert "rapid_review_to_panel" not in letter["Subject"]
    assert "Timescale: Rapid Review sent to Panel" in letter.get_content()


# --- decisions in words --------------------------------------------------------------------


def test_case_show_says_the_panels_decision_in_words(lg):
    with freeze_time("2026-01-17 10:30:00", tick=True):
        for actor, type_name, overrides, occurred in path_until("national-panel-decided"):
            lg.record(actor, type_name, "ND-1", data(type_name, **overrides), occurred)
    plain = cli_on(lg, "2026-01-16", "case", "show", "ND-1").stdout
    line = next(x for x in plain.splitlines() if "national-panel-decided" in x)
    assert "national review: no" in line
    assert "False" not in line
    shown = json.loads(cli_on(lg, "2026-01-16", "case", "show", "ND-1", "--json").stdout)
    assert {d["decision"]: d["outcome"] for d in shown["decisions"]}[
        "national-panel-decided"] is False  # JSON keeps the value


# --- help ----------------------------------------------------------------------------------


def test_record_help_gives_each_field_its_own_paragraph(lg):
    out = cli_on(lg, "2025-04-14", "record", "threshold-decided", "--help").stdout
    lines = out.splitlines()
    for name in ("meets_threshold:", "learning_potential?:", "rationale:", "decided_by:"):
        i = next(n for n, x in enumerate(lines) if x.strip().startswith(name))
        assert lines[i - 1].strip() == "", f"{name} runs on from the line before"
    assert max(len(x) for x in lines) <= 80


def test_chronology_help_summary_is_a_whole_sentence(lg):
    out = cli_on(lg, "2025-04-14", "case", "--help").stdout
    line = next(x for x in out.splitlines() if x.strip().startswith("chronology"))
    assert "The App." not in line and "Appendix 6" in line


# --- chronology times in London local time -------------------------------------------------


@pytest.fixture
def review(lg):
    with freeze_time("2026-02-12 10:30:00", tick=True):
        for actor, type_name, overrides, occurred in path_until("chronology-entry-added"):
            lg.record(actor, type_name, "CH-1", data(type_name, **overrides), occurred)
    return lg


def stored_event_at(lg) -> list[str]:
    rows = json.loads(cli_on(lg, "2026-02-11", "case", "chronology", "CH-1",
                             "--json").stdout)
    return [r["event_at"] for r in rows]


def add_entry(lg, event_at: str):
    return record(lg, "ag1", "chronology-entry-added", "CH-1", "2026-02-11",
                  event_at=event_at)


def test_chronology_times_are_typed_and_shown_in_london_time(review):
    lg = review
    # BST: Tue 15 Jul 2025 is between the last Sundays of March (30th) and October (26th),
    # so London is UTC+1 and 14:30 local is 13:30 UTC.
    assert add_entry(lg, "2025-07-15T14:30").exit_code == 0
    # GMT: Wed 15 Jan 2025 is in winter, London is UTC+0: 14:30 local is 14:30 UTC.
    assert add_entry(lg, "2025-01-15 14:30").exit_code == 0
    stored = stored_event_at(lg)
    assert "2025-07-15T13:30:00Z" in stored and "2025-01-15T14:30:00Z" in stored
    # The scenario's own entry was typed with an offset (2025-11-03T09:15:00+00:00) and
    # stored as UTC: it still shows, in London time (GMT in November).
    assert "2025-11-03T09:15:00Z" in stored
    plain = cli_on(lg, "2026-02-11", "case", "chronology", "CH-1").stdout
    assert "2025-07-15 14:30 BST" in plain
    assert "2025-01-15 14:30 GMT" in plain
    assert "2025-11-03 09:15 GMT" in plain
    rows = json.loads(cli_on(lg, "2026-02-11", "case", "chronology", "CH-1",
                             "--json").stdout)
    assert {r["event_at"]: r["event_at_london"] for r in rows}[
        "2025-07-15T13:30:00Z"] == "2025-07-15T14:30:00+01:00"


def test_the_hour_the_clocks_go_back_needs_its_offset(review):
    lg = review
    # Sun 26 Oct 2025: at 02:00 BST the clocks go back to 01:00 GMT, so 01:30 happens twice
    # (00:30 UTC and 01:30 UTC). Refused, naming the field, and nothing is appended.
    before = stored_event_at(lg)
    refused = add_entry(lg, "2025-10-26T01:30")
    assert refused.exit_code == 2
    assert "event_at" in refused.output and "2025-10-26" not in refused.output
    assert stored_event_at(lg) == before
    # With its offset, each of the two is accepted: +01:00 the first (BST), +00:00 the second.
    assert add_entry(lg, "2025-10-26T01:30+01:00").exit_code == 0
    assert add_entry(lg, "2025-10-26T01:30+00:00").exit_code == 0
    stored = stored_event_at(lg)
    assert "2025-10-26T00:30:00Z" in stored and "2025-10-26T01:30:00Z" in stored
    plain = cli_on(lg, "2026-02-11", "case", "chronology", "CH-1").stdout
    assert "2025-10-26 01:30 BST" in plain, plain
    assert "2025-10-26 01:30 GMT" in plain, plain
    # Sun 30 Mar 2025: 01:00 GMT jumps to 02:00 BST, so 01:30 never happened in London.
    assert add_entry(lg, "2025-03-30T01:30").exit_code == 2
