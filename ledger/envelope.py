"""Personal data at rest: sealed under a per-case key, committed to by hash only.

Each case gets a random 256-bit data key, stored in the database only wrapped (AES-GCM)
by the master key, which lives in ``<home>/keys/master.key`` and never in the database.
An event's personal fields are sealed together with AES-GCM under the case key, bound to
the case reference as associated data. The signed payload carries only SHA-256 of the
sealed bytes, so:

- destroying one case's data key erases that child's personal data (crypto-shredding)
  while every signature and the chain still verify;
- an export can drop the sealed bytes and still verify.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ledger.canonical import canonical_json, loads
from ledger.errors import PersonalDataUnavailableError
from ledger.schema import data_keys_table

NONCE = 12
MASTER_KEY_FILE = "master.key"


def create_master_key(keys_dir: Path) -> Path:
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = keys_dir / MASTER_KEY_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(AESGCM.generate_key(bit_length=256))
    return path


def _aad(purpose: str, case_ref: str) -> bytes:
    return f"cspr-ledger/{purpose}/v1\n{case_ref}".encode()


class Sealer:
    """Seals and opens the personal fields of one event, keyed per case."""

    def __init__(self, engine: Engine, keys_dir: Path | None) -> None:
        self.engine = engine
        self.keys_dir = keys_dir
        self._master: AESGCM | None = None
        self._case_keys: dict[str, AESGCM] = {}

    @property
    def master(self) -> AESGCM:
        if self._master is None:
            if self.keys_dir is None:
                raise PersonalDataUnavailableError("no keys directory configured")
            try:
                self._master = AESGCM((self.keys_dir / MASTER_KEY_FILE).read_bytes())
            except FileNotFoundError:
                raise PersonalDataUnavailableError(
                    f"no master key in {self.keys_dir}: personal data cannot be sealed"
                )
        return self._master

    def _case_key(self, case_ref: str, create: bool) -> AESGCM:
        if case_ref in self._case_keys:
            return self._case_keys[case_ref]
        with self.engine.connect() as conn:
            row = conn.execute(
                select(data_keys_table.c.wrapped).where(
                    data_keys_table.c.case_ref == case_ref
                )
            ).first()
            if row is None and create:
                key = AESGCM.generate_key(bit_length=256)
                nonce = os.urandom(NONCE)
                wrapped = nonce + self.master.encrypt(nonce, key, _aad("dek", case_ref))
                now = datetime.now(timezone.utc).isoformat()
                try:
                    conn.execute(
                        insert(data_keys_table).values(
                            case_ref=case_ref, wrapped=wrapped, created_at=now
                        )
                    )
                    conn.commit()
                except IntegrityError:
                    conn.rollback()  # another writer created this case's key first
                row = conn.execute(
                    select(data_keys_table.c.wrapped).where(
                        data_keys_table.c.case_ref == case_ref
                    )
                ).first()
        if row is None:
            raise PersonalDataUnavailableError(
                "this case's data key does not exist or was destroyed"
            )
        wrapped = bytes(row[0])
        try:
            key = self.master.decrypt(wrapped[:NONCE], wrapped[NONCE:], _aad("dek", case_ref))
        except InvalidTag:
            raise PersonalDataUnavailableError("the case's data key does not open")
        aead = AESGCM(key)
        self._case_keys[case_ref] = aead
        return aead

    def seal(self, case_ref: str, personal: dict[str, Any]) -> bytes:
        aead = self._case_key(case_ref, create=True)
        nonce = os.urandom(NONCE)
        # The catalogue validated these fields (no floats): no need to check them again.
        return nonce + aead.encrypt(nonce, canonical_json(personal, checked=False),
                                    _aad("pd", case_ref))

    def open(self, case_ref: str, sealed: bytes) -> dict[str, Any]:
        aead = self._case_key(case_ref, create=False)
        try:
            return loads(aead.decrypt(sealed[:NONCE], sealed[NONCE:], _aad("pd", case_ref)))
        except InvalidTag:
            raise PersonalDataUnavailableError("sealed personal data does not open")

    def destroy_case_key(self, case_ref: str) -> bool:
        self._case_keys.pop(case_ref, None)
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(data_keys_table).where(data_keys_table.c.case_ref == case_ref)
            )
        return result.rowcount > 0
