"""The witness's state directory: its key, the ledgers it trusts, what it last cosigned for
each, and the evidence of every checkpoint it refused.

Layout (folders 0700, files 0600; the witness runs on its own machine, outside any ledger
home, and needs no database)::

    witness.json          name and cosignature vkey (alg 0x04) of this witness
    witness.key           its Ed25519 private key (PEM; encrypted with a passphrase if set)
    trusted.vkeys         pinned ledger vkeys (alg 0x01), one a line; name = the origin
    logs/<sha256(origin)>.json   the last cosigned checkpoint: size, root, cosigned note
    evidence/<UTC time>-<kind>/  previous.note, offered.note, request
    lock                  held while a checkpoint is checked and its record replaced

Every file that replaces another is written to a temporary file, synced, then renamed over
it, so a crash leaves either the old record or the new one. The check of the stored size
and the write of the new one happen under one lock (tlog-witness: otherwise two requests
could roll the record back).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.errors import InvalidFieldError
from ledger.files import write_atomically
from ledger.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    NoteError,
    VKey,
    decode_vkey,
    encode_vkey,
)
from witness.errors import (
    MalformedVKeyError,
    WitnessKeyUnavailableError,
    WitnessStateExistsError,
    WitnessStateMissingError,
)
from witness.key import is_protected, load_key, write_key

CONFIG = "witness.json"
KEY = "witness.key"
TRUSTED = "trusted.vkeys"
FORMAT = "cspr-witness/1"


@dataclass(frozen=True)
class Latest:
    """The last checkpoint cosigned for one origin."""

    size: int
    root: bytes
    note: str
    timestamp: int


@dataclass(frozen=True)
class WitnessState:
    root: Path
    name: str
    vkey: str  # this witness's cosignature vkey, as printed by init

    @classmethod
    def create(cls, root: Path, name: str, passphrase: bytes | None) -> "WitnessState":
        # An empty folder made beforehand is fine; anything in it may be another state.
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise WitnessStateExistsError(str(root))
        key = Ed25519PrivateKey.generate()
        try:
            vkey = encode_vkey(name, key.public_key().public_bytes_raw(), ALG_COSIGNATURE_V1)
        except NoteError:
            raise InvalidFieldError("--name", "a non-empty key name without spaces or '+' "
                                    "(e.g. witness.example.org/w1)") from None
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(root, 0o700)  # whatever the umask
        for sub in ("logs", "evidence"):
            (root / sub).mkdir(mode=0o700)
        write_key(root / KEY, key, name, passphrase)
        write_atomically(root / TRUSTED, b"")
        config = {"format": FORMAT, "name": name, "vkey": vkey}
        write_atomically(root / CONFIG, (json.dumps(config, indent=2) + "\n").encode())
        return cls(root, name, vkey)

    @classmethod
    def open(cls, root: Path) -> "WitnessState":
        try:
            config = json.loads((root / CONFIG).read_text("utf-8"))
        except FileNotFoundError:
            raise WitnessStateMissingError(str(root)) from None
        return cls(root, config["name"], config["vkey"])

    def key_protected(self) -> bool:
        return is_protected(self.root / KEY)

    def private_key(self, passphrase: bytes | None) -> Ed25519PrivateKey:
        key = load_key(self.root / KEY, self.name, passphrase)
        public_key = key.public_key().public_bytes_raw()
        if encode_vkey(self.name, public_key, ALG_COSIGNATURE_V1) != self.vkey:
            raise WitnessKeyUnavailableError("it is not the key of witness.json's vkey")
        return key

    # -- trusted ledger keys -------------------------------------------------------------

    def trusted(self, origin: str | None = None) -> list[VKey]:
        lines = (self.root / TRUSTED).read_text("utf-8").splitlines()
        keys = [decode_vkey(line) for line in lines if line]
        return [k for k in keys if origin is None or k.name == origin]

    def trust(self, text: str) -> tuple[VKey, bool]:
        """Pin a ledger's vkey; False when it was pinned already. Rotations add keys."""
        try:
            vkey = decode_vkey(text)
        except NoteError as e:
            raise MalformedVKeyError(str(e)) from None
        if vkey.alg != ALG_ED25519:
            raise MalformedVKeyError("a ledger's checkpoint key must be of type 0x01 "
                                     "(Ed25519)")
        with self.lock():
            known = self.trusted()
            if vkey in known:
                return vkey, False
            lines = [encode_vkey(k.name, k.public_key, k.alg) for k in [*known, vkey]]
            write_atomically(self.root / TRUSTED, ("\n".join(lines) + "\n").encode())
        return vkey, True

    # -- what was cosigned -----------------------------------------------------------------

    def _log_path(self, origin: str) -> Path:
        # Hashed, as tlog-witness's monitoring URLs do: an origin may hold any character.
        return self.root / "logs" / f"{hashlib.sha256(origin.encode()).hexdigest()}.json"

    def latest(self, origin: str) -> Latest | None:
        try:
            record = json.loads(self._log_path(origin).read_text("utf-8"))
        except FileNotFoundError:
            return None
        return Latest(record["size"], bytes.fromhex(record["root"]), record["note"],
                      record["timestamp"])

    def record(self, origin: str, latest: Latest) -> None:
        record = {"origin": origin, "size": latest.size, "root": latest.root.hex(),
                  "timestamp": latest.timestamp, "note": latest.note}
        write_atomically(self._log_path(origin),
                         (json.dumps(record, indent=2) + "\n").encode("utf-8"))

    def keep_evidence(self, kind: str, now: int, files: dict[str, str]) -> Path:
        """A new folder ``evidence/<UTC time>-<kind>[-n]/`` holding ``files``."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        base = self.root / "evidence" / f"{stamp}-{kind}"
        folder, n = base, 1
        while True:
            try:
                folder.mkdir(mode=0o700)
                break
            except FileExistsError:
                n += 1
                folder = base.with_name(f"{base.name}-{n}")
        for name, content in files.items():
            write_atomically(folder / name, content.encode("utf-8"))
        return folder

    @contextmanager
    def lock(self) -> Iterator[None]:
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock
