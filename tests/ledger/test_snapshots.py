"""Stream snapshots (issue 13): a cache that changes no outcome.

An append to a long case started from its snapshot writes exactly the rows an append
started from version 1 writes; a snapshot row changed in the real database is ignored, so
a rule still refuses what it refuses; a snapshot holds no personal data, before or after
the case is erased.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime, timezone
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from domain.streams import Case, stream_id
from ledger.signing import Signer
from ledger.snapshots import INTERVAL, message
from ledger.verify import verify_ledger
from service.actors import load_actor_signer
from service.erasure import erase_case
from service.home import Home
from service.writer import Writer, make_intent
from tests.conftest import PG_ENV
from tests.helpers import CHILD_NAME, REFERRAL, Ledger, make_ledger
from tests.ledger.tamper import raw

CASE = "SN-1"
INFOS = INTERVAL + 10  # agency returns after the first three events: past one snapshot
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
THRESHOLD = {"meets_threshold": True, "rationale": "made-up rationale", "decided_by": ["A"]}
# Personal fields of the agency returns (sealed): must never reach a snapshot.
INVOLVEMENT = "Made-up involvement of Quentin Marlowgrave with the family."
INFO = {"agency": "Agency B", "completed_by": "Officer B", "involvement_from": "2024-01-10",
        "involvement_to": "2025-12-17", "nature_of_involvement": INVOLVEMENT,
        "facts_known": "Made-up facts known."}


def _intent(type_name: str, data: dict, on: str, actor: str):
    return make_intent(type_name, CASE, data, on, actor, NOW)


def _signers(home: Home) -> dict[str, Signer]:
    return {a: load_actor_signer(home, a) for a in ("bu1", "p1", "ag1")}


@pytest.fixture
def long_case(home) -> Ledger:
    """A case of 3 + INFOS events written in one append, so its snapshot is due."""
    lg = make_ledger(home)
    intents = [_intent("incident-referred", REFERRAL, "2025-12-18", "bu1"),
               _intent("reported-to-partners", {"on": "2025-12-19"}, "2025-12-19", "bu1"),
               _intent("threshold-decided", THRESHOLD, "2025-12-22", "p1")]
    intents += [_intent("agency-information-received", INFO, "2025-12-23", "ag1")] * INFOS
    Writer(lg.app, lambda: NOW).append(intents, _signers(home))
    return lg


def _snapshot(home: Home) -> tuple:
    with raw(home) as db:
        rows = db.execute("SELECT stream_id, version, chain_hash, state, actor, key_id, "
                          "signature FROM cspr_stream_snapshots")
    return tuple(rows)


def _events(home: Home, after: int) -> list[tuple]:
    with raw(home) as db:
        rows = db.execute("SELECT originator_version, topic, state, position, chain_hash, "
                          "signature, recorded_at, case_ref, actor, key_id, event_type, "
                          "head_signature, head_previous FROM cspr_events "
                          "WHERE position > :p ORDER BY position", {"p": after})
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows]


@pytest.fixture
def clone(long_case: Ledger) -> Iterator[Home]:
    """A copy of the whole home (keys and database) at this instant."""
    home = long_case.home
    long_case.app.close()
    copy_root = home.root.parent / "clone"
    shutil.copytree(home.root, copy_root)
    if home.db_url is None:
        yield Home(copy_root, None)
        return
    admin = create_engine(os.environ[PG_ENV], isolation_level="AUTOCOMMIT")
    name = f"cspr_clone_{uuid.uuid4().hex[:12]}"
    source = make_url(home.db_url).database
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    try:
        yield Home(copy_root, make_url(home.db_url).set(database=name).render_as_string(
            hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_long_case_has_one_signed_snapshot_at_its_length(long_case):
    ((sid, version, chain_hash, state, actor, key_id, signature),) = _snapshot(long_case.home)
    assert sid == str(stream_id("case", CASE))
    assert version == 3 + INFOS
    ag1 = load_actor_signer(long_case.home, "ag1")
    assert (actor, key_id) == ("ag1", ag1.key_id)
    assert ag1.private_key.public_key().verify(  # raises if it does not verify
        bytes(signature), message(stream_id("case", CASE), version, bytes(chain_hash),
                                  key_id, bytes(state))) is None


def test_an_append_from_the_snapshot_writes_what_an_append_from_version_one_writes(
        long_case, clone):
    with raw(clone) as db:  # the copy has no snapshot: its append replays all 113 events
        db.execute("DELETE FROM cspr_stream_snapshots")
    size = long_case.reopen().app.size()
    results = []
    for home in (long_case.home, clone):
        app = home.open()  # a new process's view: nothing held in memory
        stream = app.load(Case, CASE)
        held = app.stream_cache._get(stream_id("case", CASE))
        results.append(held.snapshot_version)
        assert vars(stream) == vars(app.replay(Case, CASE))  # every fact, in order
        assert len(stream.facts) == 3 + INFOS and stream.count("threshold-decided") == 1
        later = datetime(2026, 1, 6, 9, 30, tzinfo=timezone.utc)
        writer = Writer(app, lambda: later)
        writer.append([make_intent("national-panel-notified", CASE, {"on": "2025-12-23"},
                                   "2025-12-23", "bu1", later)], _signers(home))
        with pytest.raises(Exception) as refused:
            writer.append([make_intent("threshold-decided", CASE, THRESHOLD, "2025-12-24",
                                       "p1", later)], _signers(home))
        results.append(type(refused.value).__name__)
        assert verify_ledger(app).ok
        app.close()
    assert results[0] == 3 + INFOS and results[2] == 0  # from the snapshot / from version 1
    assert results[1] == results[3] == "ThresholdAlreadyDecidedError"
    appended = _events(long_case.home, size)
    assert len(appended) == 1 and appended == _events(clone, size)


def _tamper(home: Home, state: bytes, signature: bytes | None = None) -> None:
    with raw(home) as db:
        if signature is None:
            db.execute("UPDATE cspr_stream_snapshots SET state = :s", {"s": state})
        else:
            db.execute("UPDATE cspr_stream_snapshots SET state = :s, signature = :g",
                       {"s": state, "g": signature})


def _without_threshold(state: bytes) -> bytes:
    """The snapshot's state with the threshold decision taken out, facts renumbered."""
    import json

    body = json.loads(state)
    facts = [f for f in body["facts"] if f[0] != "threshold-decided"]
    body["facts"] = [[*f[:5], i] for i, f in enumerate(facts, 1)] + [facts[-1][:5] + [
        len(facts) + 1]]  # same length as before, so only the content differs
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.parametrize("how", ["state", "forged signature"])
def test_a_tampered_snapshot_is_ignored_and_the_rule_still_refuses(long_case, how):
    home = long_case.home
    ((_, version, chain_hash, state, _, key_id, _),) = _snapshot(home)
    forged_state = _without_threshold(bytes(state))
    if how == "state":
        _tamper(home, state=forged_state)
    else:  # signed by a key of no actor, passed off as ag1's
        mallory = Signer.generate("ag1")
        _tamper(home, state=forged_state, signature=mallory.sign(message(
            stream_id("case", CASE), version, bytes(chain_hash), key_id, forged_state)))
    size = long_case.app.size()
    result = long_case.cli("--as", "p1", "record", "threshold-decided", "--case", CASE,
                           "--occurred-at", "2025-12-24", "--data",
                           '{"meets_threshold": true, "rationale": "made-up again", '
                           '"decided_by": ["A"]}')
    assert result.exit_code == 1, result.output
    assert "threshold has already been decided" in result.output
    app = home.open()
    assert app.size() == size
    stream = app.load(Case, CASE)  # replayed: the row is not trusted
    assert app.stream_cache.snapshots.rejected == 1
    assert stream.count("threshold-decided") == 1
    assert vars(stream) == vars(app.replay(Case, CASE))
    app.close()


def _no_personal_data(home: Home) -> int:
    ((_, version, _, state, *_),) = _snapshot(home)
    for secret in (CHILD_NAME, INVOLVEMENT, "nature_of_involvement", "1 Nowhere Lane"):
        assert secret.encode() not in bytes(state)
    return version


def test_a_snapshot_holds_no_personal_data_before_or_after_erasure(long_case):
    home = long_case.home
    assert _no_personal_data(home) == 3 + INFOS
    erase_case(long_case.app, home, CASE, "made-up retention ended", "scrut")
    assert _no_personal_data(home) == 3 + INFOS  # nothing in it needed clearing
    app = home.open()
    stream = app.load(Case, CASE)  # from the snapshot, the erasure read after it
    assert app.stream_cache._get(stream.id).snapshot_version == 3 + INFOS
    assert stream.count("personal-data-erased") == 1
    assert vars(stream) == vars(app.replay(Case, CASE))
    app.close()


def test_a_stream_held_in_memory_sees_another_process_and_forgets_a_refused_append(
        long_case):
    home = long_case.home
    first, second = home.open(), home.open()
    held = first.load(Case, CASE)
    assert len(held.facts) == 3 + INFOS
    Writer(second, lambda: NOW).append([_intent("national-panel-notified",
                                                {"on": "2025-12-23"}, "2025-12-23", "bu1")],
                                       _signers(home))
    with pytest.raises(Exception) as refused:  # the first applies, the second is refused
        Writer(first, lambda: NOW).append([
            _intent("referrer-informed", {"on": "2025-12-23"}, "2025-12-23", "bu1"),
            _intent("threshold-decided", THRESHOLD, "2025-12-24", "p1")], _signers(home))
    assert type(refused.value).__name__ == "ThresholdAlreadyDecidedError"
    now_held = first.load(Case, CASE)
    assert len(now_held.facts) == 3 + INFOS + 1 and now_held.facts[-1].actor == "bu1"
    assert vars(now_held) == vars(first.replay(Case, CASE))
    assert len(held.facts) == 3 + INFOS  # the copy handed out earlier is the caller's own
    first.close()
    second.close()


def test_the_next_append_replaces_an_untrusted_snapshot(long_case):
    home = long_case.home
    with raw(home) as db:  # a forged row claiming to be far ahead of the stream
        db.execute("UPDATE cspr_stream_snapshots SET version = 999999")
    app = home.open()
    Writer(app, lambda: NOW).append([_intent("national-panel-notified", {"on": "2025-12-23"},
                                             "2025-12-23", "bu1")], _signers(home))
    assert app.stream_cache.snapshots.rejected == 1
    ((_, version, *_),) = _snapshot(home)
    assert version == 3 + INFOS + 1  # rewritten at the stream's length, signed again
    app.close()
    again = home.open()
    stream = again.load(Case, CASE)
    assert again.stream_cache.snapshots.rejected == 0
    assert again.stream_cache._get(stream.id).snapshot_version == 3 + INFOS + 1
    again.close()
