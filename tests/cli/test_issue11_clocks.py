"""Issue 11, clock items 1, 2 and 4, through the CLI.

1. §18.7: the pre-publication copy is due on the 7th working day counted back from the
   planned publication date (day 0), always a working day; a copy sent on the weekend
   after it is late.
2. §8.2, §8.9: with no `notification-acknowledged` recorded, the Rapid Review clocks run
   from the National Panel notification, shown as "start assumed: acknowledgement not
   recorded", are breached like any clock, and move to the true start once the
   acknowledgement is recorded.
4. §13.4, §21.2: an extension moves the Head of Service rung (3 months beyond the deadline
   in force) and not the Chief Officer rung (6 months beyond the original deadline); the
   nightly job escalates and writes the letters on those days, once each.

Every date below is counted by hand on a paper calendar; the comment says what is skipped.
England bank holidays used: Good Friday 18 Apr 2025, Easter Monday 21 Apr 2025, early May
bank holiday Mon 5 May 2025.
"""

from __future__ import annotations

import json
from email import message_from_bytes, policy

import pytest
from freezegun import freeze_time

from tests.helpers import make_ledger
from tests.ledger.tamper import raw
from tests.scenario import data

ASSUMED = "acknowledgement not recorded"


def at(day: str, hour: int = 2):
    return freeze_time(f"{day} {hour:02d}:30:00", tick=True)


@pytest.fixture
def lg(home):
    with at("2025-04-14", 1):
        return make_ledger(home)


def record(lg, actor: str, type_name: str, case: str, occurred: str, **fields):
    """Recorded through the CLI on the day it occurred, at 10:30 UTC."""
    with at(occurred, 10):
        result = lg.cli("--as", actor, "record", type_name, "--case", case, "--data",
                        json.dumps(data(type_name, **fields)), "--occurred-at", occurred)
    assert result.exit_code == 0, result.output
    return result


def cli_on(lg, day: str, *args: str):
    with at(day, 12):
        result = lg.cli(*args)
    assert result.exit_code == 0, result.output
    return result


def clocks_of(lg, day: str, case: str) -> dict:
    rows = json.loads(cli_on(lg, day, "deadlines", "--case", case, "--as-of", day,
                             "--json").stdout)
    return {(r["clock"], r["action"]): r for r in rows}


def nightly(lg, day: str) -> dict:
    with at(day):
        result = lg.cli("jobs", "nightly", "--as-of", day, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def events(lg, type_name: str) -> list[dict]:
    with raw(lg.home) as db:  # type_name is one of this file's constants
        rows = db.execute("SELECT state FROM cspr_events WHERE event_type = "
                          f"'{type_name}' ORDER BY position")
        return [json.loads(bytes(s))["data"] for (s,) in rows]


def escalation_letters(lg) -> list:
    """The escalation letters in the outbox (the referral's breach letters left out)."""
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in sorted(lg.home.outbox.glob("*.eml"))]
    return [m for m in mails if m["Subject"].startswith("[CSPR] Escalation")]


def refer_and_notify(lg, case: str) -> None:
    """LA aware Mon 14 Apr 2025; every early clock met; National Panel notified Thu 17 Apr
    2025, the day before Good Friday."""
    record(lg, "bu1", "incident-referred", case, "2025-04-14", aware_on="2025-04-14",
           received_on="2025-04-14", incident_on="2025-04-12")
    record(lg, "bu1", "reported-to-partners", case, "2025-04-15", on="2025-04-15")
    record(lg, "p1", "threshold-decided", case, "2025-04-16")
    record(lg, "bu1", "national-panel-notified", case, "2025-04-17", on="2025-04-17")
    record(lg, "bu1", "referrer-informed", case, "2025-04-17", on="2025-04-17")


# --- 1. §18.7: backward working days land on a working day --------------------------------


def test_prepublication_copy_is_due_on_a_working_day_and_the_weekend_after_is_late(lg):
    refer_and_notify(lg, "PP-1")
    record(lg, "p1", "review-commissioned", "PP-1", "2025-05-20", decided_on="2025-05-20")
    record(lg, "p1", "publication-planned", "PP-1", "2025-06-02", planned_on="2025-07-15")
    # Publication Tue 15 Jul 2025 is day 0. Back: Mon 14 (-1), [Sun 13, Sat 12 skipped],
    # Fri 11 (-2), Thu 10 (-3), Wed 9 (-4), Tue 8 (-5), Mon 7 (-6), [Sun 6, Sat 5 skipped],
    # Fri 4 Jul (-7). Not "Sun 6 Jul".
    copy = clocks_of(lg, "2025-07-04", "PP-1")[("prepublication_copy", None)]
    assert (copy["starts_on"], copy["due_on"], copy["status"]) == (
        "2025-07-15", "2025-07-04", "pending")
    plain = cli_on(lg, "2025-07-04", "deadlines", "--case", "PP-1", "--as-of", "2025-07-04")
    assert "2025-07-04" in plain.stdout and "2025-07-06" not in plain.stdout
    # Sent on Sat 5 Jul: a day after the due date, so late.
    record(lg, "bu1", "report-sent-before-publication", "PP-1", "2025-07-05", on="2025-07-05")
    copy = clocks_of(lg, "2025-07-07", "PP-1")[("prepublication_copy", None)]
    assert (copy["status"], copy["met_on"]) == ("met_late", "2025-07-05")


# --- 2. §8.2, §8.9: a clock counted from the acknowledgement never vanishes ----------------


def test_without_an_acknowledgement_the_rapid_review_clocks_run_from_the_notification(lg):
    refer_and_notify(lg, "RR-1")
    got = clocks_of(lg, "2025-04-22", "RR-1")
    # 15 WD from Thu 17 Apr 2025 (day 0), skipping Good Friday 18 Apr, the weekend 19-20
    # and Easter Monday 21 Apr: Tue 22 (1), 23 (2), 24 (3), Fri 25 (4), Mon 28 (5), 29 (6),
    # 30 (7), Thu 1 May (8), Fri 2 (9), [Mon 5 May bank holiday], Tue 6 (10), 7 (11),
    # 8 (12), Fri 9 (13), Mon 12 (14), Tue 13 May (15).
    panel = got[("rapid_review_to_panel", None)]
    assert (panel["starts_on"], panel["due_on"], panel["status"], panel["start_assumed"]) == (
        "2025-04-17", "2025-05-13", "pending", ASSUMED)
    # §8.2 has the same start ("of the acknowledgement of the receipt of the notification"):
    # 10 WD is Tue 6 May (as counted above), at risk from 7 WD, Wed 30 Apr.
    meeting = got[("rapid_review_meeting", None)]
    assert (meeting["due_on"], meeting["start_assumed"]) == ("2025-05-06", ASSUMED)
    # App. 5 QA counts from the notification itself: nothing is assumed.
    assert got[("rapid_review_meeting_qa", None)]["start_assumed"] is None
    for command in (("deadlines", "--case", "RR-1", "--as-of", "2025-04-22"),
                    ("case", "show", "RR-1")):
        plain = cli_on(lg, "2025-04-22", *command).stdout
        assert f"start assumed: {ASSUMED}" in plain
    shown = json.loads(cli_on(lg, "2025-04-22", "case", "show", "RR-1", "--json").stdout)
    assert {c["clock"]: c["start_assumed"] for c in shown["clocks"]}[
        "rapid_review_to_panel"] == ASSUMED


def test_an_assumed_start_is_breached_like_any_other(lg):
    refer_and_notify(lg, "RR-2")
    record(lg, "p1", "rapid-review-held", "RR-2", "2025-05-02", on="2025-05-02")
    # Due Tue 13 May (counted above): still running on the 13th, breached once it ends.
    assert nightly(lg, "2025-05-13")["breaches_recorded"] == 0
    assert nightly(lg, "2025-05-14")["breaches_recorded"] == 1
    assert [(b["clock"], b["due_on"]) for b in events(lg, "deadline-breached")] == [
        ("rapid_review_to_panel", "2025-05-13")]
    panel = clocks_of(lg, "2025-05-14", "RR-2")[("rapid_review_to_panel", None)]
    assert (panel["status"], panel["start_assumed"]) == ("breached", ASSUMED)


def test_the_acknowledgement_moves_the_clock_to_its_true_start(lg):
    refer_and_notify(lg, "RR-3")
    record(lg, "bu1", "notification-acknowledged", "RR-3", "2025-04-22", on="2025-04-22")
    got = clocks_of(lg, "2025-04-22", "RR-3")
    # 15 WD from Tue 22 Apr 2025: Wed 23 (1), 24 (2), Fri 25 (3), Mon 28 (4), 29 (5), 30 (6),
    # Thu 1 May (7), Fri 2 (8), [Mon 5 May bank holiday], Tue 6 (9), 7 (10), 8 (11),
    # Fri 9 (12), Mon 12 (13), 13 (14), Wed 14 May (15). The meeting: 10 WD is Wed 7 May.
    panel = got[("rapid_review_to_panel", None)]
    assert (panel["starts_on"], panel["due_on"], panel["start_assumed"]) == (
        "2025-04-22", "2025-05-14", None)
    assert (got[("rapid_review_meeting", None)]["due_on"],
            got[("rapid_review_meeting", None)]["start_assumed"]) == ("2025-05-07", None)
    plain = cli_on(lg, "2025-04-22", "deadlines", "--case", "RR-3", "--as-of", "2025-04-22")
    assert "start assumed" not in plain.stdout


# --- 4. §13.4, §21.2: the Chief Officer rung counts from the original deadline -------------


def test_an_extension_moves_the_head_of_service_rung_only(lg):
    record(lg, "bu1", "incident-referred", "AX-1", "2025-04-14", aware_on="2025-04-14",
           received_on="2025-04-14", incident_on="2025-04-12")
    # Original deadline D = Fri 30 Jan 2026, extended (at the Chief Officer's request) to
    # D2 = Fri 29 May 2026. Calendar months, no day skipped:
    #   Head of Service = D2 + 3 months = Sat 29 Aug 2026 -> escalated by the run of Sun 30 Aug
    #   Chief Officer   = D  + 6 months = Thu 30 Jul 2026 -> escalated by the run of Fri 31 Jul
    # (the old ladder, D + 3 = Thu 30 Apr, must not climb at all).
    record(lg, "ldc", "action-agreed", "AX-1", "2025-12-01", action="A1",
           deadline="2026-01-30")
    record(lg, "ldc", "action-extended", "AX-1", "2026-01-20", action="A1",
           new_deadline="2026-05-29")
    got = clocks_of(lg, "2026-01-20", "AX-1")
    hos, co = got[("action_head_of_service", "A1")], got[("action_chief_officer", "A1")]
    assert (hos["starts_on"], hos["due_on"]) == ("2026-05-29", "2026-08-29")
    assert (co["starts_on"], co["due_on"]) == ("2026-01-30", "2026-07-30")

    assert nightly(lg, "2026-05-01")["escalations_recorded"] == 0
    assert nightly(lg, "2026-07-30")["escalations_recorded"] == 0  # 30 Jul not over yet
    assert nightly(lg, "2026-07-31")["escalations_recorded"] == 1
    assert [(e["level"], e["on"]) for e in events(lg, "action-escalated")] == [
        ("chief_officer", "2026-07-31")]
    (letter,) = escalation_letters(lg)
    body = letter.get_content()
    assert "Escalation to Chief Officer" in letter["Subject"]
    assert "Counted from: 2026-01-30 (six months beyond the original deadline)" in body
    assert "Escalated on: 2026-07-31" in body

    assert nightly(lg, "2026-08-29")["escalations_recorded"] == 0  # 29 Aug not over yet
    assert nightly(lg, "2026-08-30")["escalations_recorded"] == 1
    assert [(e["level"], e["on"]) for e in events(lg, "action-escalated")] == [
        ("chief_officer", "2026-07-31"), ("head_of_service", "2026-08-30")]
    hos_letter = [m for m in escalation_letters(lg) if "Head of Service" in m["Subject"]]
    assert len(hos_letter) == 1
    assert ("Counted from: 2026-05-29 (three months beyond the deadline in force)"
            in hos_letter[0].get_content())
    assert nightly(lg, "2026-09-01")["escalations_recorded"] == 0


def both_rungs_told_then_extended(lg, case: str) -> None:
    record(lg, "bu1", "incident-referred", case, "2025-04-14", aware_on="2025-04-14",
           received_on="2025-04-14", incident_on="2025-04-12")
    # D = Fri 30 Jan 2026: Head of Service D + 3 = Thu 30 Apr (run of Fri 1 May), Chief
    # Officer D + 6 = Thu 30 Jul (run of Fri 31 Jul).
    record(lg, "ldc", "action-agreed", case, "2025-12-01", action="A1",
           deadline="2026-01-30")
    assert nightly(lg, "2026-07-31")["escalations_recorded"] == 2
    # Extended on Mon 3 Aug to Wed 30 Sep 2026, later than the Chief Officer's rung.
    record(lg, "ldc", "action-extended", case, "2026-08-03", action="A1",
           new_deadline="2026-09-30")


def test_an_extension_after_the_chief_officer_was_told_does_not_tell_them_again(lg):
    # The Head of Service rung moves to 30 Sep + 3 months = Wed 30 Dec (run of Thu 31
    # Dec); the Chief Officer, already told about the original deadline, is not told again.
    both_rungs_told_then_extended(lg, "AX-2")
    assert nightly(lg, "2026-08-04")["escalations_recorded"] == 0
    assert nightly(lg, "2026-12-30")["escalations_recorded"] == 0
    assert nightly(lg, "2026-12-31")["escalations_recorded"] == 1
    assert [(e["level"], e["on"]) for e in events(lg, "action-escalated")] == [
        ("head_of_service", "2026-05-01"), ("chief_officer", "2026-07-31"),
        ("head_of_service", "2026-12-31")]


def test_a_second_chief_officer_escalation_by_hand_is_refused_after_an_extension(lg):
    """The rule behind `record action-escalated` counts each rung as the clocks do: after
    an extension the Head of Service may be told again (the deadline in force moved), the
    Chief Officer may not (the original deadline did not)."""
    both_rungs_told_then_extended(lg, "AX-3")
    size = lg.reopen().app.size()
    with at("2026-10-05", 10):
        again = lg.cli("--as", "ldc", "record", "action-escalated", "--case", "AX-3",
                       "--data", json.dumps(data("action-escalated", action="A1",
                                                 level="chief_officer", on="2026-10-05")),
                       "--occurred-at", "2026-10-05")
    assert again.exit_code == 1 and "Traceback" not in again.output, again.output
    assert lg.reopen().app.size() == size
    record(lg, "ldc", "action-escalated", "AX-3", "2026-10-05", action="A1",
           level="head_of_service", on="2026-10-05")
