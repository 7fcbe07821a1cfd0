"""A tamper found by the nightly job is a sticky alarm: nothing is recorded, no checkpoint
is signed, one alarm letter goes to the admin address, and every night fails until an admin
acknowledges each finding; verify keeps reporting the finding (issue 8, finding 6)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import make_ledger
from tests.jobs.test_nightly import at, refer
from tests.ledger.tamper import raw, row_at

ADMIN = "safeguarding-admin@partnership.example"


@pytest.fixture(autouse=True)
def admin_address(monkeypatch):
    monkeypatch.setenv("CSPR_NOTIFY_ADMIN", ADMIN)
    monkeypatch.setenv("CSPR_NOTIFY_TO", "business-unit@partnership.example")


def nightly(lg, day: str):
    with at(day):
        result = lg.cli("jobs", "nightly", "--json")
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def count(home, where: str = "1 = 1") -> int:
    with raw(home) as db:
        return db.execute(f"SELECT count(*) FROM cspr_events WHERE {where}")[0][0]


def checkpoints_after(home, position: int) -> int:
    return count(home, f"event_type = 'checkpoint-signed' AND position > {position}")


def alarm_letters(home) -> list[bytes]:
    return [p.read_bytes() for p in sorted(home.outbox.glob("*.eml"))
            if b"INTEGRITY ALARM" in p.read_bytes()]


def acknowledge(lg, position: int, kind: str, day: str = "2026-01-16") -> int:
    with at(day, 9):
        result = lg.cli("--as", "admin", "record", "integrity-alarm-acknowledged", "--json",
                        "--data", json.dumps({"position": position, "kind": kind,
                                              "action_taken": "restored the row from the "
                                                              "backup"}))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["position"]


def forge(home, position: int, old: bytes, new: bytes) -> None:
    """Alter the stored payload of the event at ``position`` with raw SQL."""
    with raw(home) as db:
        state = bytes(row_at(db, position)["state"])
        assert old in state
        db.execute("UPDATE cspr_events SET state = :s WHERE position = :p",
                   {"s": state.replace(old, new, 1), "p": position})


@pytest.fixture
def tampered(home):
    """A clean night, then an event recorded and altered with raw SQL on the real DB."""
    with at("2026-01-12", 10):
        lg = make_ledger(home)
        refer(lg, "AL-1")
    code, first = nightly(lg, "2026-01-12")
    assert code == 0 and first["verify_ok"]
    with at("2026-01-13", 10):
        receipt = lg.record("bu1", "reported-to-partners", "AL-1", {"on": "2026-01-06"},
                            "2026-01-06")
    forge(home, receipt.position, b"2026-01-06", b"2026-01-05")
    return lg, receipt.position


def test_a_tamper_fails_every_night_until_each_finding_is_acknowledged(tampered):
    lg, p = tampered
    home = lg.home
    before = count(home)
    for day in ("2026-01-13", "2026-01-14"):
        code, night = nightly(lg, day)
        assert code == 1
        assert not night["verify_ok"]
        assert {(a["position"], a["kind"]) for a in night["alarms"]} == \
            {(p, "signature"), (p, "chain")}
        assert night["breaches_recorded"] == night["escalations_recorded"] == 0
        assert night["checkpoint_size"] == 0
        assert count(home) == before  # nothing recorded
        assert checkpoints_after(home, p - 1) == 0  # nothing sealed over the tamper
    letters = alarm_letters(home)
    assert len(letters) == 1  # the same alarm is one letter, not one a night
    assert f"To: {ADMIN}".encode() in letters[0]
    assert f"position {p}: signature".encode() in letters[0]
    assert b"AL-1" not in letters[0] and b"Zephyrine" not in letters[0]

    acknowledge(lg, p, "signature")
    code, night = nightly(lg, "2026-01-16")  # one finding still open
    assert code == 1 and [(a["position"], a["kind"]) for a in night["alarms"]] == \
        [(p, "chain")]
    assert checkpoints_after(home, p - 1) == 0
    acknowledge(lg, p, "chain")
    code, night = nightly(lg, "2026-01-17")
    assert code == 0 and night["verify_ok"] and night["alarms"] == []
    assert night["checkpoint_size"] > p
    code, night = nightly(lg, "2026-01-18")
    assert code == 0 and night["verify_ok"]

    # verify still reports the finding, beside its acknowledgement
    result = lg.cli("verify", "--json")
    assert result.exit_code == 1
    found = {(q["position"], q["kind"]): q["acknowledged_at"]
             for q in json.loads(result.stdout)["problems"]}
    assert set(found) == {(p, "signature"), (p, "chain")}
    assert all(isinstance(v, int) and v > p for v in found.values())
    assert "acknowledged at position" in lg.cli("verify").stdout


def test_a_checkpoint_signed_by_hand_does_not_wash_the_alarm_out(tampered):
    lg, p = tampered
    assert nightly(lg, "2026-01-13")[0] == 1
    with at("2026-01-13", 12):
        assert lg.cli("checkpoint", "--json").exit_code == 0  # covers the tampered event
    code, night = nightly(lg, "2026-01-14")
    assert code == 1 and not night["verify_ok"]
    assert {a["position"] for a in night["alarms"]} == {p}


def test_the_alarm_stays_up_when_the_row_is_put_back(tampered):
    lg, p = tampered
    with raw(lg.home) as db:
        original = bytes(row_at(db, p)["state"])
    assert nightly(lg, "2026-01-13")[0] == 1
    with raw(lg.home) as db:  # someone quietly undoes the change
        db.execute("UPDATE cspr_events SET state = :s WHERE position = :p",
                   {"s": original.replace(b"2026-01-05", b"2026-01-06", 1), "p": p})
    assert lg.cli("verify").exit_code == 0
    code, night = nightly(lg, "2026-01-14")
    assert code == 1 and {a["position"] for a in night["alarms"]} == {p}
    acknowledge(lg, p, "signature")
    acknowledge(lg, p, "chain")
    assert nightly(lg, "2026-01-17")[0] == 0


def test_a_rewrite_before_the_last_verified_position_is_found(home):
    with at("2026-01-12", 10):
        lg = make_ledger(home)
        refer(lg, "AL-2")
    assert nightly(lg, "2026-01-12")[0] == 0
    with raw(home) as db:  # delete an old event and rewind nothing: the count is off
        db.execute("DELETE FROM cspr_events WHERE event_type = 'incident-referred'")
    code, night = nightly(lg, "2026-01-13")
    assert code == 1 and night["alarms"]


def test_an_acknowledgement_recorded_before_the_tamper_silences_nothing(home):
    """An admin (or a stolen admin key) acknowledges in advance, then the row is altered:
    the acknowledgement was not about that finding, which did not exist yet."""
    with at("2026-01-12", 10):
        lg = make_ledger(home)
        refer(lg, "AL-3")
    assert nightly(lg, "2026-01-12")[0] == 0
    with at("2026-01-13", 10):
        p = lg.record("bu1", "reported-to-partners", "AL-3", {"on": "2026-01-06"},
                      "2026-01-06").position
    early = [acknowledge(lg, p, kind, "2026-01-13") for kind in ("signature", "chain")]
    forge(home, p, b"2026-01-06", b"2026-01-05")
    for day in ("2026-01-14", "2026-01-15"):
        code, night = nightly(lg, day)
        assert code == 1 and not night["verify_ok"]
        assert {(a["position"], a["kind"]) for a in night["alarms"]} == \
            {(p, "signature"), (p, "chain")}
        assert all(a["raised_size"] >= max(early) for a in night["alarms"])
        assert checkpoints_after(home, p - 1) == 0
    assert len(alarm_letters(home)) == 1
    for kind in ("signature", "chain"):  # acknowledged once raised: now it counts
        acknowledge(lg, p, kind)
    code, night = nightly(lg, "2026-01-17")
    assert code == 0 and night["verify_ok"] and night["checkpoint_size"] > p


def test_a_row_altered_again_after_its_acknowledgement_is_a_new_alarm(tampered):
    lg, p = tampered
    home = lg.home
    assert nightly(lg, "2026-01-13")[0] == 1
    first = [acknowledge(lg, p, kind) for kind in ("signature", "chain")]
    code, night = nightly(lg, "2026-01-16")
    assert code == 0 and night["verify_ok"]
    mark = night["checkpoint_size"]
    assert mark > p  # the nightly now verifies from beyond the altered row

    sealed = count(home, "event_type = 'checkpoint-signed'")
    forge(home, p, b"2026-01-05", b"2026-01-02")  # the same row, other content
    for day in ("2026-01-17", "2026-01-18"):
        code, night = nightly(lg, day)
        assert code == 1 and not night["verify_ok"]
        assert {(a["position"], a["kind"]) for a in night["alarms"]} == \
            {(p, "signature"), (p, "chain")}
        assert all(a["raised_size"] >= max(first) for a in night["alarms"])
        assert count(home, "event_type = 'checkpoint-signed'") == sealed  # none signed
    assert len(alarm_letters(home)) == 2  # a new alarm is a new letter

    for kind in ("signature", "chain"):
        acknowledge(lg, p, kind, "2026-01-19")
    # The 19th is a week after the first full verify: the whole ledger is verified again,
    # and it also finds that the checkpoint signed on the 16th no longer matches the row
    # it sealed (altered since). That is a finding of its own, acknowledged in turn.
    code, night = nightly(lg, "2026-01-19")
    assert code == 1 and [a["kind"] for a in night["alarms"]] == ["checkpoint"]
    cp = night["alarms"][0]["position"]
    assert cp > p and count(home, f"event_type = 'checkpoint-signed' AND position = {cp}")
    acknowledge(lg, cp, "checkpoint", "2026-01-20")
    code, night = nightly(lg, "2026-01-20")
    assert code == 0 and night["verify_ok"] and night["alarms"] == [], night["alarms"]
    assert nightly(lg, "2026-01-21")[0] == 0  # acknowledged rows unchanged: quiet


def test_an_alarm_kept_by_an_older_version_needs_an_acknowledgement_from_now_on(tampered):
    lg, p = tampered
    early = [acknowledge(lg, p, kind, "2026-01-13") for kind in ("signature", "chain")]
    where = lg.home.root / "nightly" / "alarms.json"  # as the older version kept it
    where.write_text(json.dumps([{"position": p, "kind": k, "raised_at": "2026-01-13"}
                                 for k in ("chain", "signature")]))
    code, night = nightly(lg, "2026-01-14")
    assert code == 1 and all(a["raised_size"] >= max(early) for a in night["alarms"])
    for kind in ("signature", "chain"):
        acknowledge(lg, p, kind)
    assert nightly(lg, "2026-01-17")[0] == 0


@pytest.mark.parametrize("position", ["beyond", 2 ** 53, 2 ** 62])
def test_an_acknowledgement_of_a_position_the_ledger_does_not_hold_is_refused(home,
                                                                              position):
    with at("2026-01-12", 10):
        lg = make_ledger(home)
        refer(lg, "AL-4")
    size = count(home)
    position = size + 1 if position == "beyond" else position
    data = json.dumps({"position": position, "kind": "chain", "action_taken": "none"})
    with at("2026-01-13", 9):
        one = lg.cli("--as", "admin", "record", "integrity-alarm-acknowledged",
                     "--data", data)
        line = json.dumps({"type": "integrity-alarm-acknowledged", "data": json.loads(data)})
        many = lg.cli("--as", "admin", "import", "-", input=line + "\n")
    for result in (one, many):
        assert result.exit_code == 2, result.output
        assert "'position'" in result.output and "Traceback" not in result.output
        assert str(position) not in result.output.replace(str(size), "")
    assert "line 1" in many.output
    assert count(home) == size
    with at("2026-01-13", 9):  # the last position the ledger holds is fine
        assert lg.cli("--as", "admin", "record", "integrity-alarm-acknowledged", "--data",
                      json.dumps({"position": size, "kind": "chain",
                                  "action_taken": "none"})).exit_code == 0


def test_an_old_row_altered_in_place_is_found_by_the_weekly_full_verify(home):
    """The incremental check links new events to the stored hash at the clean mark, so a
    payload changed *behind* the mark is invisible to it; the whole ledger is verified
    again a week after the last full verify, and the alarm is raised then."""
    with at("2026-01-12", 10):
        lg = make_ledger(home)
        refer(lg, "AL-9")
    with raw(home) as db:
        referral = db.execute("SELECT position FROM cspr_events "
                              "WHERE event_type = 'incident-referred'")[0][0]
    assert nightly(lg, "2026-01-12")[0] == 0  # the first run verifies everything
    forge(home, referral, b"Agency A", b"Agency Z")
    for day in ("2026-01-13", "2026-01-18"):  # within the week: incremental only
        code, night = nightly(lg, day)
        assert code == 0 and night["verify_ok"]
    code, night = nightly(lg, "2026-01-19")  # seven days after the last full verify
    assert code == 1 and referral in {a["position"] for a in night["alarms"]}
    assert checkpoints_after(home, 0) == count(home, "event_type = 'checkpoint-signed'")
    assert nightly(lg, "2026-01-20")[0] == 1  # and it stays up
