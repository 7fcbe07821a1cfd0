"""Personal data at rest: sealed under a per-case key, committed to by hash only.

Each case gets a random 256-bit data key, stored in the database only wrapped (AES-GCM)
by the master key, which lives in ``<home>/keys/master.key`` and never in the database.
An event's personal fields are sealed together with AES-GCM under the case key, bound to
the case reference as associated data. The signed payload carries only SHA-256 of the
sealed bytes, so:

- destroying one case's data key erases that child's personal data (crypto-shredding)
  while every signature and the chain still verify; ``ledger.erasure`` makes that real by
  rotating the master key, so that old copies of the wrapped key open under nothing;
- an export can drop the sealed bytes and still verify.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from ledger.canonical import canonical_json, loads
from ledger.errors import PersonalDataUnavailableError
from ledger.schema import data_keys_table, master_key_table
from ledger.signing import check_private

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


def master_id(key: bytes) -> str:
    """A name for a master key that reveals nothing of it: what ``cspr_master_key``
    holds."""
    return hashlib.sha256(b"cspr-ledger/master-id/v1\n" + key).hexdigest()[:32]


# Built once: constructing the statement cost more than running it (one per save).
_STORED_MASTER = select(master_key_table.c.key_id).where(master_key_table.c.id == 1)


def stored_master_id(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(_STORED_MASTER).scalar()


def wrap(master: AESGCM, case_ref: str, key: bytes) -> bytes:
    """A case's data key as stored: sealed under the master key, bound to the case."""
    nonce = os.urandom(NONCE)
    return nonce + master.encrypt(nonce, key, _aad("dek", case_ref))


def unwrap(master: AESGCM, case_ref: str, wrapped: bytes) -> bytes | None:
    """The data key, or None when ``wrapped`` does not open under this master key."""
    try:
        return master.decrypt(wrapped[:NONCE], wrapped[NONCE:], _aad("dek", case_ref))
    except (InvalidTag, ValueError):
        return None


class Sealer:
    """Seals and opens the personal fields of one event, keyed per case."""

    def __init__(self, engine: Engine, keys_dir: Path | None) -> None:
        self.engine = engine
        self.keys_dir = keys_dir
        self._master: AESGCM | None = None
        self._master_id: str | None = None
        self._case_keys: dict[str, AESGCM] = {}
        # Keys proposed during a save and not yet committed: (key, wrapped, carried).
        self._pending: dict[str, tuple[AESGCM, bytes, bool]] = {}
        # The master key was found in force during the current save (see _in_force).
        self._checked_this_save = False

    @property
    def master(self) -> AESGCM:
        if self._master is None:
            if self.keys_dir is None:
                raise PersonalDataUnavailableError("no keys directory configured")
            path = self.keys_dir / MASTER_KEY_FILE
            from ledger.erasure import settle  # it needs this module's wrap and unwrap

            settle(self.engine, self.keys_dir)  # finish an interrupted erasure first
            try:
                raw = path.read_bytes()
                check_private(path)
                self._master = AESGCM(raw)
                self._master_id = master_id(raw)
            except FileNotFoundError:
                raise PersonalDataUnavailableError(
                    f"no master key in {self.keys_dir}: personal data cannot be sealed"
                )
        return self._master

    @property
    def master_id(self) -> str:
        """The id of the master key in use (loading it if needed)."""
        if self._master is None:
            self.master  # noqa: B018 (loads it and its id)
        return self._master_id or ""

    def _stored_key(self, case_ref: str) -> bytes | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(data_keys_table.c.wrapped).where(
                    data_keys_table.c.case_ref == case_ref
                )
            ).first()
        return None if row is None else bytes(row[0])

    def _case_key(self, case_ref: str, create: bool) -> AESGCM:
        if case_ref in self._case_keys and self._in_force(sealing=create):
            return self._case_keys[case_ref]
        if create and case_ref in self._pending:
            return self._pending[case_ref][0]
        wrapped = self._stored_key(case_ref)
        if wrapped is None and create:
            # A new case's key is only *proposed* here: the recorder stores it in the
            # same transaction as the first event sealed under it, so a failed or killed
            # append leaves no key row behind (issue 8, findings 4 and 7).
            key = AESGCM.generate_key(bit_length=256)
            wrapped = wrap(self.master, case_ref, key)
            self._pending[case_ref] = (AESGCM(key), wrapped, False)
            return self._pending[case_ref][0]
        if wrapped is None:
            raise PersonalDataUnavailableError(
                "this case's data key does not exist or was destroyed"
            )
        key = unwrap(self.master, case_ref, wrapped)
        if key is None:
            raise PersonalDataUnavailableError("the case's data key does not open")
        aead = AESGCM(key)
        self._case_keys[case_ref] = aead
        return aead

    def seal(self, case_ref: str, personal: dict[str, Any]) -> tuple[bytes, bytes | None]:
        """The sealed bytes, and the wrapped key to store with them if it is new."""
        # Encode first: a value that cannot be encoded must not even propose a key.
        plain = canonical_json(personal, checked=False)  # the catalogue validated it
        aead = self._case_key(case_ref, create=True)
        nonce = os.urandom(NONCE)
        sealed = nonce + aead.encrypt(nonce, plain, _aad("pd", case_ref))
        new_key = None
        pending = self._pending.get(case_ref)
        if pending is not None and not pending[2]:
            new_key = pending[1]  # the first event sealed under it carries it
            self._pending[case_ref] = (pending[0], pending[1], True)
        return sealed, new_key

    def saved(self, ok: bool) -> None:
        """After a save: keep the proposed keys that were committed, forget the rest."""
        self._checked_this_save = False
        if ok:
            for case_ref, (aead, _, announced) in self._pending.items():
                if announced:
                    self._case_keys[case_ref] = aead
        self._pending.clear()

    def open(self, case_ref: str, sealed: bytes) -> dict[str, Any]:
        aead = self._case_key(case_ref, create=False)
        try:
            return loads(aead.decrypt(sealed[:NONCE], sealed[NONCE:], _aad("pd", case_ref)))
        except InvalidTag:
            raise PersonalDataUnavailableError("sealed personal data does not open")

    def _in_force(self, sealing: bool) -> bool:
        # Sealing, once per save is enough: the check runs before the write lock whichever
        # event it is for (a query per event was most of a 100-event save), and the
        # recorder refuses a new key under a retired master under the lock.
        if sealing and self._checked_this_save:
            return True
        ok = self._still_in_force()
        self._checked_this_save = ok and sealing
        return ok

    def _still_in_force(self) -> bool:
        """Whether the master key held is still the ledger's; if not (another process
        erased a case and rotated it), drop every key held, the erased case's with them."""
        stored = stored_master_id(self.engine)
        if stored is None or stored == self._master_id:
            return True
        self.forget()
        return False

    def forget(self) -> None:
        """Drop every key held in memory (after the master key was rotated)."""
        self._master = None
        self._master_id = None
        self._checked_this_save = False
        self._case_keys.clear()

    def destroy_case_key(self, case_ref: str) -> bool:
        """Delete the row only. Not erasure on its own: the deleted row survives in free
        pages, the WAL, dead tuples and backups; ``ledger.erasure.shred`` is."""
        self._case_keys.pop(case_ref, None)
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(data_keys_table).where(data_keys_table.c.case_ref == case_ref)
            )
        return result.rowcount > 0

    def holds_key(self, case_ref: str) -> bool:
        """Whether the case has a data key at all (none: never any personal data, or
        erased)."""
        return self._stored_key(case_ref) is not None
