"""Personal data never reaches the database in clear, yet remains readable by its keys,
and destroying a case's key erases it while everything still verifies."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.envelope import Sealer
from ledger.errors import PersonalDataUnavailableError
from ledger.verify import verify_ledger
from tests.helpers import CHILD_NAME, REFERRAL, make_ledger
from tests.ledger.tamper import raw


def _all_bytes(home) -> bytes:
    if home.db_url is None:
        files = sorted(home.root.glob("ledger.sqlite*"))  # the file and its WAL
        assert files
        return b"".join(f.read_bytes() for f in files)
    with raw(home) as db:
        out = b""
        for table in ("cspr_events", "cspr_data_keys", "cspr_head"):
            for row in db.execute(f"SELECT * FROM {table}"):
                out += b"".join(v if isinstance(v, bytes | memoryview) and not isinstance(
                    v, str) else str(v).encode() for v in row if v is not None)
        return bytes(out)


def test_child_name_is_not_in_the_database_in_clear(home):
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "PD-1", REFERRAL, "2025-12-18")
    blob = _all_bytes(home)
    assert b"Testshire" in blob  # the search itself works on these bytes
    for secret in (CHILD_NAME, "Nowhere Lane", "made-up summary"):
        assert secret.encode() not in blob
        assert secret.encode("utf-16-le") not in blob


def test_sealed_personal_data_opens_with_the_keys_and_is_erasable(home):
    lg = make_ledger(home)
    lg.record("bu1", "incident-referred", "PD-2", REFERRAL, "2025-12-18")
    t = lg.app.events_table
    with lg.app.engine.connect() as conn:
        sealed = conn.execute(select(t.c.sealed).where(t.c.case_ref == "PD-2")).scalar_one()
    sealer = Sealer(lg.app.engine, home.keys)
    assert sealer.open("PD-2", bytes(sealed))["child"]["name"] == CHILD_NAME
    with pytest.raises(PersonalDataUnavailableError):
        sealer.open("OTHER", bytes(sealed))  # bound to its case
    assert sealer.destroy_case_key("PD-2")
    with pytest.raises(PersonalDataUnavailableError):
        Sealer(lg.app.engine, home.keys).open("PD-2", bytes(sealed))
    assert verify_ledger(lg.app).ok  # erasure breaks no signature and no link
