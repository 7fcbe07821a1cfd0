"""Issue 11 item 11: escalation letters addressed from the agency directory, through the CLI.

Each letter (§13.4, §21.2) goes To the Head of Service or the Chief Officer of the action's
agency in force on the escalation's date, Cc the L&D chair, and greets the person by name;
an agency with no entry in force gets its letter sent to the admin address with a warning
in the letter and in `cspr jobs nightly --json`. Delivery is to a real SMTP server
(aiosmtpd) on 127.0.0.1, as in tests/jobs/test_outbox.py: nothing about SMTP is mocked.

Dates, counted by hand: the actions' deadline is Fri 30 Jan 2026. Head of Service rung =
+3 calendar months = Thu 30 Apr 2026, still running that day, so the run dated Fri 1 May
2026 escalates (on = 2026-05-01). Chief Officer rung = +6 months = Thu 30 Jul 2026, the run
of Fri 31 Jul 2026 escalates (on = 2026-07-31).
"""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from typing import Any, Iterator

import pytest
from aiosmtpd.controller import Controller
from freezegun import freeze_time

from tests.helpers import make_ledger
from tests.jobs.test_outbox import free_port
from tests.scenario import data

ADMIN = "escalations@partnership.example"
HANA = ("Hana Northcott", "hana.northcott@north.example")
CAL = ("Cal Oakes", "cal.oakes@north.example")
DANA = ("Dana Newby", "dana.newby@north.example")
EVE = ("Eve Laterly", "eve.laterly@north.example")
LEE = ("Lee Chairwood", "lee.chairwood@partnership.example")


def at(day: str, hour: int = 2):
    return freeze_time(f"{day} {hour:02d}:30:00", tick=True)


class Sink:
    """What the SMTP server accepted: each message's envelope recipients and content."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos),
                              message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def escalations(self) -> list[tuple[list[str], Any]]:
        return [(r, m) for r, m in self.received if m["Subject"].startswith("[CSPR] Escal")]


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sink]:
    port = free_port()  # on the loopback interface, for the test's own server
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("CSPR_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("CSPR_NOTIFY_ESCALATIONS", ADMIN)
    try:
        yield handler
    finally:
        controller.stop()


def cli(lg, day: str, *args: str, hour: int = 10):
    with at(day, hour):
        return lg.cli(*args)


def record(lg, actor: str, type_name: str, case: str, day: str, **fields: Any) -> None:
    result = cli(lg, day, "--as", actor, "record", type_name, "--case", case, "--data",
                 json.dumps(data(type_name, **fields)), "--occurred-at", day)
    assert result.exit_code == 0, result.output


def person(p: tuple[str, str]) -> dict[str, str]:
    return {"name": p[0], "email": p[1]}


def agency_entry(lg, actor: str, day: str, agency: str, hos: tuple[str, str],
                 co: tuple[str, str], effective_from: str) -> None:
    body = {"agency": agency, "head_of_service": person(hos), "chief_officer": person(co),
            "effective_from": effective_from}
    result = cli(lg, day, "--as", actor, "directory", "agency", "--data", json.dumps(body))
    assert result.exit_code == 0, result.output


def ld_chair(lg, actor: str, day: str, who: tuple[str, str], effective_from: str) -> None:
    result = cli(lg, day, "--as", actor, "directory", "ld-chair", "--data",
                 json.dumps({**person(who), "effective_from": effective_from}))
    assert result.exit_code == 0, result.output


def nightly(lg, day: str):
    """`cspr jobs nightly --json` as cron runs it (CSPR_SMTP_URL set by the sink)."""
    with at(day, 2):
        result = lg.cli("jobs", "nightly", "--as-of", day, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result


def listing(lg, day: str) -> dict[str, Any]:
    result = cli(lg, day, "directory", "list", "--as-of", day, "--json", hour=12)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def lg(home):
    """Case DIR-1 with two actions due Fri 30 Jan 2026: A1 of Agency North, A2 of Agency
    South."""
    with at("2025-04-14", 1):
        lg = make_ledger(home)
    record(lg, "bu1", "incident-referred", "DIR-1", "2025-04-14", aware_on="2025-04-14",
           received_on="2025-04-14", incident_on="2025-04-12")
    for action, agency in (("A1", "Agency North"), ("A2", "Agency South")):
        record(lg, "ldc", "action-agreed", "DIR-1", "2025-12-01", action=action,
               agency=agency, owner="Manager M", deadline="2026-01-30")
    return lg


def text_of(message: Any) -> str:
    return message.get_content().replace("\r\n", "\n")  # as sent: CRLF line ends


def by_action(letters: list[tuple[list[str], Any]]) -> dict[str, tuple[list[str], Any]]:
    return {m["X-CSPR-Key"].split(":")[2]: (r, m) for r, m in letters}


def test_letters_go_to_the_agencys_person_in_force_cc_the_chair_else_to_admin(lg, sink):
    # Typed differently from the action's "Agency North": case and spaces do not matter.
    agency_entry(lg, "bu1", "2026-01-05", "  AGENCY   north ", HANA, CAL, "2026-01-01")
    ld_chair(lg, "ldc", "2026-01-05", LEE, "2026-01-01")
    # A new Chief Officer from the very day of the Chief Officer rung, and another from
    # the day after it, who must not receive the 31 Jul letter.
    agency_entry(lg, "admin", "2026-06-01", "Agency North", HANA, DANA, "2026-07-31")
    agency_entry(lg, "admin", "2026-06-01", "Agency North", HANA, EVE, "2026-08-01")

    summary, run = nightly(lg, "2026-05-01")
    assert summary["escalations_recorded"] == 2
    letters = by_action(sink.escalations())
    assert set(letters) == {"A1", "A2"}

    rcpt, north = letters["A1"]
    assert north["X-CSPR-Key"] == "escalation:DIR-1:A1:head_of_service:2026-01-30"
    assert north["To"] == HANA[1] and north["Cc"] == LEE[1]
    assert rcpt == [HANA[1], LEE[1]]  # the chair's copy really went: it is in the envelope
    body = text_of(north)
    assert body.startswith("Dear Hana Northcott,\n\nCase: DIR-1\n")
    assert "WARNING" not in body

    rcpt, south = letters["A2"]
    assert rcpt == [ADMIN] and south["Cc"] is None
    assert text_of(south).startswith(
        "WARNING: the agency directory has no Head of Service in force on 2026-05-01 for "
        "the agency 'Agency South', so this letter went to the partnership's admin address")
    assert summary["letters_unaddressed"] == 1
    assert summary["letter_warnings"] == [{"case": "DIR-1", "action": "A2",
                                           "level": "head_of_service",
                                           "warning": "no_agency_entry"}]
    # The job's output reaches logs: codes and references, never a name or an address.
    for secret in (*HANA, *CAL, *LEE, "north.example"):
        assert secret not in run.stdout
    assert "LETTERS NOT ADDRESSED" in run.stderr and "@" not in run.stderr

    again, _ = nightly(lg, "2026-05-01")  # a second run that night sends nothing again
    assert again["letters_unaddressed"] == 0 and again["letter_warnings"] == []
    assert len(sink.escalations()) == 2

    summary, _ = nightly(lg, "2026-07-31")
    assert summary["escalations_recorded"] == 2
    letters = by_action(sink.escalations()[2:])
    rcpt, north = letters["A1"]
    assert north["X-CSPR-Key"] == "escalation:DIR-1:A1:chief_officer:2026-01-30"
    assert rcpt == [DANA[1], LEE[1]]  # the entry effective 31 Jul, not Cal, not Eve
    assert text_of(north).startswith("Dear Dana Newby,\n\n")
    assert letters["A2"][0] == [ADMIN]
    assert summary["letters_unaddressed"] == 1


def test_directory_list_shows_the_entry_in_force_on_each_day(lg):
    agency_entry(lg, "bu1", "2026-01-05", "  AGENCY   north ", HANA, CAL, "2026-01-01")
    agency_entry(lg, "admin", "2026-06-01", "Agency North", HANA, DANA, "2026-07-31")
    agency_entry(lg, "admin", "2026-06-01", "Agency North", HANA, EVE, "2026-08-01")
    ld_chair(lg, "ldc", "2026-01-05", LEE, "2026-01-01")

    before = listing(lg, "2026-07-30")
    assert [(a["agency"], a["chief_officer"]["name"]) for a in before["agencies"]] == [
        ("AGENCY   north", "Cal Oakes")]  # stored stripped, as typed inside
    assert before["ld_chair"]["email"] == LEE[1]
    assert [a["chief_officer"]["name"] for a in before["upcoming"]] == [DANA[0], EVE[0]]
    assert before["unlisted"] == ["Agency South"]  # its letters would go to the admin
    on_the_day = listing(lg, "2026-07-31")
    assert [a["chief_officer"]["name"] for a in on_the_day["agencies"]] == [DANA[0]]
    assert [a["chief_officer"]["name"] for a in listing(lg, "2026-08-01")["agencies"]] == [
        EVE[0]]
    assert listing(lg, "2025-12-31")["agencies"] == []  # nothing in force before 1 Jan
    assert listing(lg, "2025-12-31")["ld_chair"] is None

    shown = cli(lg, "2026-07-31", "directory", "list", "--as-of", "2026-07-31")
    assert shown.exit_code == 0, shown.output
    assert "Dana Newby <dana.newby@north.example>" in shown.stdout
    assert "Eve Laterly" in shown.stdout.split("Taking effect later:")[1]
    assert "Agency South" in shown.stdout.split("no entry in force")[1]


def test_a_letter_written_before_the_directory_existed_is_never_sent_again(lg, sink):
    """An upgrade: the Head of Service letter went to the admin address (no directory);
    the directory recorded afterwards changes whom later letters go to, never the keys."""
    first, _ = nightly(lg, "2026-05-01")
    assert first["letters_unaddressed"] == 2
    written = sorted(p.name for p in lg.home.outbox.glob("escalation*.eml"))
    assert len(written) == 2
    agency_entry(lg, "bu1", "2026-05-04", "Agency North", HANA, CAL, "2026-01-01")
    ld_chair(lg, "bu1", "2026-05-04", LEE, "2026-01-01")

    nightly(lg, "2026-05-04")
    assert sorted(p.name for p in lg.home.outbox.glob("escalation*.eml")) == written
    assert [r for r, _ in sink.escalations()] == [[ADMIN], [ADMIN]]

    later, _ = nightly(lg, "2026-07-31")
    assert later["letters_unaddressed"] == 1  # A2: Agency South has no entry
    letters = by_action(sink.escalations()[2:])
    assert letters["A1"][0] == [CAL[1], LEE[1]]
    assert letters["A1"][1]["X-CSPR-Key"] == "escalation:DIR-1:A1:chief_officer:2026-01-30"


def test_with_no_chair_in_force_the_copy_goes_to_the_admin_address(lg, sink):
    agency_entry(lg, "bu1", "2026-01-05", "Agency North", HANA, CAL, "2026-01-01")
    ld_chair(lg, "bu1", "2026-01-05", LEE, "2026-05-02")  # from the day after the rung
    summary, _ = nightly(lg, "2026-05-01")
    rcpt, north = by_action(sink.escalations())["A1"]
    assert rcpt == [HANA[1], ADMIN] and north["Cc"] == ADMIN
    body = text_of(north)
    assert body.startswith("WARNING: no L&D sub-group chair is recorded in the agency "
                           "directory for 2026-05-01")
    assert "\n\nDear Hana Northcott,\n\n" in body
    assert summary["letters_unaddressed"] == 1  # A2 only: A1 did reach its agency
    assert sorted((w["action"], w["warning"]) for w in summary["letter_warnings"]) == [
        ("A1", "no_ld_chair"), ("A2", "no_agency_entry")]


def test_a_chair_who_is_also_the_addressee_gets_one_copy(lg, sink):
    agency_entry(lg, "bu1", "2026-01-05", "Agency North", HANA, CAL, "2026-01-01")
    ld_chair(lg, "bu1", "2026-01-05", ("Hana Northcott", HANA[1].upper()), "2026-01-01")
    nightly(lg, "2026-05-01")
    rcpt, north = by_action(sink.escalations())["A1"]
    assert rcpt == [HANA[1]] and north["Cc"] is None


GOOD = {"agency": "Agency North", "head_of_service": person(HANA),
        "chief_officer": person(CAL), "effective_from": "2026-01-01"}


@pytest.mark.parametrize("path,bad", [
    ("head_of_service.email", "hana.northcott@localhost"),  # no dot: a relay may refuse
    ("head_of_service.email", "Hana Northcott <hana@north.example>"),  # not a plain address
    ("chief_officer.email", "cal oakes@north.example"),
    ("chief_officer.email", "cal.oakes@north.example, eve@north.example"),
    ("chief_officer.email", "çal@north.example"),  # not ASCII: not every relay takes it
    ("chief_officer.email", "cal..oakes@north.example"),
    ("head_of_service.name", "Hana\nNorthcott"),
])
def test_a_bad_contact_is_refused_naming_the_field_and_nothing_is_appended(lg, path, bad):
    outer, inner = path.split(".")
    body = {**GOOD, outer: {**GOOD[outer], inner: bad}}
    size = lg.app.size()
    result = cli(lg, "2026-01-05", "--as", "bu1", "directory", "agency", "--data",
                 json.dumps(body))
    assert result.exit_code == 2
    assert f"field '{path}'" in result.output
    assert bad not in result.output  # an error never echoes what was typed
    assert "Traceback" not in result.output
    assert lg.reopen().app.size() == size


def test_the_chairs_address_is_checked_too_and_the_directory_is_no_cases(lg):
    size = lg.app.size()
    bad = cli(lg, "2026-01-05", "--as", "ldc", "directory", "ld-chair", "--data",
              json.dumps({"name": LEE[0], "email": "lee@", "effective_from": "2026-01-01"}))
    assert bad.exit_code == 2 and "field 'email'" in bad.output
    line = {"type": "ld-chair-contact-recorded", "case": "DIR-1", "as": "ldc",
            "data": {**person(LEE), "effective_from": "2026-01-01"}}
    with at("2026-01-05", 10):
        imported = lg.cli("import", "-", input=json.dumps(line) + "\n")
    assert imported.exit_code == 2 and "field 'case'" in imported.output
    # The agency role does not keep the directory (admin, business_unit, ld_chair do).
    refused = cli(lg, "2026-01-05", "--as", "ag1", "directory", "agency", "--data",
                  json.dumps(GOOD))
    assert refused.exit_code == 1, refused.output
    assert lg.reopen().app.size() == size
    # Without "case", the same line is taken by import like any directory event.
    del line["case"]
    with at("2026-01-05", 10):
        assert lg.cli("import", "-", input=json.dumps(line) + "\n").exit_code == 0
    assert listing(lg, "2026-01-05")["ld_chair"]["name"] == LEE[0]


def test_record_takes_the_directory_types_without_a_case(lg):
    body = {"agency": "Agency South", "head_of_service": person(HANA),
            "chief_officer": person(CAL), "effective_from": "2026-01-01"}
    made = cli(lg, "2026-01-05", "--as", "bu1", "record", "agency-directory-entry-recorded",
               "--data", json.dumps(body))
    assert made.exit_code == 0, made.output
    chair = cli(lg, "2026-01-05", "--as", "ldc", "record", "ld-chair-contact-recorded",
                "--data", json.dumps({**person(LEE), "effective_from": "2026-01-01"}))
    assert chair.exit_code == 0, chair.output
    shown = listing(lg, "2026-01-05")
    assert [a["agency"] for a in shown["agencies"]] == ["Agency South"]
    assert shown["ld_chair"]["name"] == LEE[0]
    size = lg.reopen().app.size()
    with_case = cli(lg, "2026-01-05", "--as", "bu1", "record",
                    "agency-directory-entry-recorded", "--case", "DIR-1", "--data",
                    json.dumps(body))
    assert with_case.exit_code == 2 and "field 'case'" in with_case.output
    assert lg.reopen().app.size() == size
