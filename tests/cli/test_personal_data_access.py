"""Who read personal data is on record (issue 10): every opening of a case's personal data
(``case chronology --include-personal``, ``case disclose``) appends a signed event by the
reader first, ``case history`` shows it, and a refused reader sees and appends nothing.

On SQLite and PostgreSQL, through the real command line, keys, passphrases and database.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ledger.signing import verify_signature
from ledger.chain import signed_bytes
from ledger.rowtypes import stream_id
from service.actors import load_actor_signer
from service.home import Home
from service.passphrases import variable
from tests.ledger.tamper import raw, row_at
from tests.helpers import CHILD_NAME, Ledger, make_ledger, make_ledger_of_people
from tests.scenario import LEARNING_PATH, THRESHOLD_MET_PATH, data, play

CASE = "C-PD-1"
# Made-up personal data, each a string that appears nowhere else.
SECRET_EVENT = "Made-up visit to Quillfeather Cottage"
SECRET_VIEWS = "Xanthippe-Made-Up-Views"
SECRETS = (CHILD_NAME, "1 Nowhere Lane", SECRET_EVENT, SECRET_VIEWS)
CHILD = {"name": CHILD_NAME, "dob": "2015-03-04", "address": "1 Nowhere Lane"}


def _steps(path: list) -> list:
    """``path`` up to its chronology entry, with this module's made-up personal data."""
    out = []
    for actor, type_name, overrides, occurred in path:
        if type_name == "incident-referred":
            overrides = {**overrides, "child": CHILD}
        if type_name == "chronology-entry-added":
            overrides = {**overrides, "significant_event": SECRET_EVENT,
                         "child_views": SECRET_VIEWS}
        out.append((actor, type_name, overrides, occurred))
        if type_name == "chronology-entry-added":
            break
    return out


@pytest.fixture
def lg(home: Home) -> Ledger:
    ledger = make_ledger(home)
    play(ledger, CASE, _steps(THRESHOLD_MET_PATH))
    return ledger


def _count(lg: Ledger) -> int:
    t = lg.app.events_table
    with lg.app.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(t)).scalar_one()


def _last(lg: Ledger) -> dict:
    """The last event: its signed payload, signature and what it was signed under."""
    t = lg.app.events_table
    with lg.app.engine.connect() as conn:
        row = conn.execute(select(t).order_by(t.c.position.desc()).limit(1)).mappings().one()
    return dict(row)


def _assert_signed_by(lg: Ledger, row: dict, actor: str) -> dict:
    payload = json.loads(bytes(row["state"]))
    assert payload["actor"] == actor
    own = load_actor_signer(lg.home, actor)  # the reader's own key file
    assert payload["key_id"] == own.key_id
    signed = signed_bytes(stream_id(row["originator_id"]), row["originator_version"],
                          row["topic"], bytes(row["state"]))
    assert verify_signature(own.public_key_raw, bytes(row["signature"]), signed)
    return payload


def _no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_reading_the_chronology_appends_a_signed_access_by_the_reader(lg: Ledger) -> None:
    before = _count(lg)
    result = lg.cli("--as", "rev", "case", "chronology", CASE, "--include-personal",
                    "--purpose", "Made-up: preparing the panel meeting", "--json")
    assert result.exit_code == 0, result.output
    assert SECRET_EVENT in result.output and SECRET_VIEWS in result.output
    assert _count(lg) == before + 1
    row = _last(lg)
    assert row["event_type"] == "personal-data-accessed" and row["case_ref"] == CASE
    assert row["sealed"] is None  # nothing personal to seal: the event names fields only
    payload = _assert_signed_by(lg, row, "rev")
    assert payload["data"]["purpose"] == "Made-up: preparing the panel meeting"
    assert payload["data"]["events"] == 1
    assert {"significant_event", "child_views"} <= set(payload["data"]["fields"])
    _no_secret(bytes(row["state"]).decode())
    assert lg.cli("verify").exit_code == 0

    history = json.loads(lg.cli("case", "history", CASE, "--json").output)
    access = [r for r in history if r["kind"] == "access"]
    assert len(access) == 1 and access[0]["position"] == row["position"]
    assert access[0]["recorded_by"] == "rev"
    assert access[0]["purpose"] == "Made-up: preparing the panel meeting"
    assert access[0]["fields"] == payload["data"]["fields"]
    assert any(r["kind"] == "decision" for r in history)  # the decisions are still there
    text = lg.cli("case", "history", CASE).output
    assert "personal-data-accessed" in text and "purpose: Made-up: preparing" in text
    _no_secret(text)


def test_without_include_personal_nothing_is_opened_or_recorded(lg: Ledger) -> None:
    before = _count(lg)
    result = lg.cli("--as", "rev", "case", "chronology", CASE, "--json")
    assert result.exit_code == 0
    _no_secret(result.output)
    assert _count(lg) == before


def test_disclosure_is_recorded_then_written(lg: Ledger, tmp_path: Path) -> None:
    before = _count(lg)
    out = tmp_path / "for-coroner.json"
    result = lg.cli("--as", "p1", "case", "disclose", CASE, "--to", "Made-up Coroner's Office",
                    "--purpose", "Made-up inquest", "--output", str(out))
    assert result.exit_code == 0, result.output
    _no_secret(result.output)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["to"] == "Made-up Coroner's Office" and written["disclosed_by"] == "p1"
    opened = {e["type"]: e["personal"] for e in written["events"]}
    assert opened["incident-referred"]["child"]["name"] == CHILD_NAME
    assert opened["chronology-entry-added"]["significant_event"] == SECRET_EVENT

    assert _count(lg) == before + 1
    row = _last(lg)
    assert row["event_type"] == "personal-data-disclosed"
    assert written["record"]["position"] == row["position"]
    payload = _assert_signed_by(lg, row, "p1")
    assert payload["data"]["to"] == "Made-up Coroner's Office"
    assert {"child", "summary", "significant_event"} <= set(payload["data"]["fields"])
    _no_secret(bytes(row["state"]).decode())

    history = json.loads(lg.cli("case", "history", CASE, "--json").output)
    (shown,) = [r for r in history if r["kind"] == "disclosure"]
    assert (shown["to"], shown["purpose"], shown["recorded_by"]) == (
        "Made-up Coroner's Office", "Made-up inquest", "p1")


@pytest.mark.parametrize("actor", ["ag1", "admin"])
def test_an_actor_without_a_reading_role_is_refused_and_nothing_appended(
        lg: Ledger, tmp_path: Path, actor: str) -> None:
    before = _count(lg)
    result = lg.cli("--as", actor, "case", "chronology", CASE, "--include-personal",
                    "--purpose", "Made-up curiosity")
    assert result.exit_code == 1
    assert "entitled to read personal data" in result.output
    _no_secret(result.output)
    out = tmp_path / "x.json"
    result = lg.cli("--as", actor, "case", "disclose", CASE, "--to", "Made-up Newspaper",
                    "--purpose", "Made-up", "--output", str(out))
    assert result.exit_code == 1
    _no_secret(result.output)
    assert not out.exists()
    assert _count(lg) == before


def test_the_readers_own_passphrase_is_needed(home: Home, monkeypatch) -> None:
    lg, own = make_ledger_of_people(home, monkeypatch)
    monkeypatch.setenv(variable("bu1"), own["bu1"])
    lg.record("bu1", "incident-referred", CASE, data("incident-referred", child=CHILD),
              "2025-12-18")
    before = _count(lg)
    monkeypatch.setenv(variable("p1"), own["rev"])  # someone else's passphrase
    result = lg.cli("--as", "p1", "case", "chronology", CASE, "--include-personal",
                    "--purpose", "Made-up")
    assert result.exit_code != 0
    result = lg.cli("--as", "p1", "case", "disclose", CASE, "--to", "Made-up Office",
                    "--purpose", "Made-up")
    assert result.exit_code != 0
    _no_secret(result.output)
    assert _count(lg) == before
    monkeypatch.setenv(variable("p1"), own["p1"])
    result = lg.cli("--as", "p1", "case", "disclose", CASE, "--to", "Made-up Office",
                    "--purpose", "Made-up")
    assert result.exit_code == 0 and CHILD_NAME in result.output
    assert _count(lg) == before + 1


@pytest.mark.parametrize("args", [
    ("--include-personal",),
    ("--include-personal", "--purpose", "   "),
    ("--include-personal", "--purpose", "Made-up \x01 " + SECRET_VIEWS),
])
def test_a_missing_or_bad_purpose_is_refused_naming_it(lg: Ledger, args: tuple) -> None:
    before = _count(lg)
    result = lg.cli("--as", "rev", "case", "chronology", CASE, *args)
    assert result.exit_code == 2
    assert "--purpose" in result.output
    _no_secret(result.output)
    assert _count(lg) == before


@pytest.mark.parametrize("args,option", [
    (("--purpose", "Made-up"), "--to"),
    (("--to", "Made-up Office"), "--purpose"),
    (("--to", "Made-up\nOffice " + CHILD_NAME, "--purpose", "Made-up"), "--to"),
])
def test_disclose_refuses_missing_options_naming_them(lg: Ledger, args: tuple,
                                                      option: str) -> None:
    before = _count(lg)
    result = lg.cli("--as", "p1", "case", "disclose", CASE, *args)
    assert result.exit_code == 2
    assert option in result.output
    _no_secret(result.output)
    assert _count(lg) == before


def test_an_unknown_case_is_refused_and_nothing_appended(lg: Ledger) -> None:
    before = _count(lg)
    result = lg.cli("--as", "rev", "case", "chronology", "C-NOPE", "--include-personal",
                    "--purpose", "Made-up")
    assert result.exit_code == 2
    assert _count(lg) == before


def test_a_closed_case_can_still_be_read_and_the_read_is_recorded(home: Home) -> None:
    lg = make_ledger(home)
    play(lg, CASE, [(a, t, {**o, "child": CHILD} if t == "incident-referred" else o, d)
                    for a, t, o, d in LEARNING_PATH])
    result = lg.cli("--as", "bu1", "case", "disclose", CASE, "--to", "Made-up Office",
                    "--purpose", "Made-up subject access request")
    assert result.exit_code == 0, result.output
    assert CHILD_NAME in result.output
    assert _last(lg)["event_type"] == "personal-data-disclosed"


def test_a_revoked_reader_is_refused(lg: Ledger) -> None:
    assert lg.cli("--as", "admin", "actor", "revoke", "rev", "--reason",
                  "Made-up: left").exit_code == 0
    before = _count(lg)
    result = lg.cli("--as", "rev", "case", "chronology", CASE, "--include-personal",
                    "--purpose", "Made-up")
    assert result.exit_code != 0
    _no_secret(result.output)
    assert _count(lg) == before


def test_when_the_access_cannot_be_appended_nothing_is_shown(lg: Ledger, tmp_path: Path
                                                            ) -> None:
    # A tampered head: the writer refuses every append (ledger/head_guard.py), while the
    # case's events still verify and could be read. The reader is entitled and gives a
    # purpose, so only the refused append stands between them and the personal data.
    with raw(lg.home) as db:
        last = row_at(db, lg.app.size())
        db.execute("UPDATE cspr_events SET head_signature = :s WHERE id = :i",
                   {"s": bytes(64), "i": last["id"]})
    before = _count(lg)
    result = lg.cli("--as", "rev", "case", "chronology", CASE, "--include-personal",
                    "--purpose", "Made-up", "--json")
    assert result.exit_code == 1, result.output
    _no_secret(result.output)
    out = tmp_path / "x.json"
    result = lg.cli("--as", "p1", "case", "disclose", CASE, "--to", "Made-up Office",
                    "--purpose", "Made-up", "--output", str(out))
    assert result.exit_code == 1
    _no_secret(result.output)
    assert not out.exists()
    assert _count(lg) == before
    # The same read without personal data still works: only the opening is withheld.
    assert lg.cli("case", "chronology", CASE).exit_code == 0


def test_access_disclosure_and_erasure_are_never_imported_by_hand(home, tmp_path):
    """Only their commands append them: an import line naming one is bad input, and
    nothing of the file is appended."""
    lg = make_ledger(home)
    size = lg.app.size()
    for name in ("personal-data-accessed", "personal-data-disclosed", "personal-data-erased"):
        lines = tmp_path / f"{name}.jsonl"
        lines.write_text(json.dumps({"type": name, "case": "X-1", "data": {}}) + "\n")
        result = lg.cli("--as", "bu1", "import", str(lines))
        assert result.exit_code == 2 and "not recorded by hand" in result.stderr
    assert lg.app.size() == size
