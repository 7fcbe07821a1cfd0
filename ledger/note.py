"""C2SP signed notes (c2sp.org/signed-note) and Ed25519 cosignatures (tlog-cosignature).

This module owns the text format that carries the ledger's checkpoints to the outside
world: a note is a text ending in a newline, a blank line, then one or more signature lines
``— <key name> base64(key hash || signature)``. A verifier key ("vkey") is
``<name>+<hex key hash>+base64(alg || public key)``. Two signature types are supported,
the only two this project needs (the spec asks implementations to pick few):

* ``0x01`` Ed25519 over the note text: how the ledger's system key signs a checkpoint;
* ``0x04`` timestamped Ed25519 cosignature (``cosignature/v1``): how a witness says it saw
  the checkpoint as the latest consistent one at a given time.

Parsing is strict (valid UTF-8, no control characters but newline, canonical base64,
bounded sizes) so that two different byte strings never parse to the same note: any change
to a signed note's bytes either fails to parse or fails to verify. Only ``hashlib`` and
``cryptography`` are used, so a witness or an inspector can lift this file alone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "ALG_ED25519", "ALG_COSIGNATURE_V1", "MAX_NOTE_BYTES", "MAX_SIGNATURES",
    "NoteError", "VKey", "NoteSignature", "Note",
    "key_hash", "encode_vkey", "decode_vkey", "parse_note", "format_note",
    "format_signature", "check_text", "utf8_text", "encode_base64", "decode_base64",
    "sign_note", "verify_note", "cosign", "cosignature_message", "cosignature_timestamp",
    "verify_cosignature",
]

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
_ALGS = (ALG_ED25519, ALG_COSIGNATURE_V1)

# The spec asks verifiers to bound a note and to accept at least 16 signatures. A
# checkpoint is a few hundred bytes; these bounds leave room for extensions and many
# witnesses while keeping a hostile request from costing the witness anything.
MAX_NOTE_BYTES = 64 * 1024
MAX_SIGNATURES = 64

_DASH = "\u2014 "  # em dash + space opens every signature line
_ED25519_SIG = 64
_TIMESTAMP_BYTES = 8
_HEX8 = re.compile(r"[0-9a-f]{8}")
# ASCII control characters other than newline (tab and carriage return included).
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


class NoteError(ValueError):
    """A malformed note, signature line or vkey. The message names what is wrong, never
    the offending text (it may be anything)."""


@dataclass(frozen=True)
class VKey:
    name: str
    alg: int
    key_hash: bytes
    public_key: bytes


@dataclass
class NoteSignature:
    name: str
    key_hash: bytes
    signature: bytes  # the bytes after the 4-byte key hash


@dataclass
class Note:
    text: str  # includes the final newline, not the separating blank line
    signatures: list[NoteSignature] = field(default_factory=list)


def key_hash(name: str, alg: int, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || alg || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


def _check_name(name: object, what: str) -> str:
    if not isinstance(name, str) or not name:
        raise NoteError(f"{what}: the key name is empty")
    if "+" in name or any(ch.isspace() for ch in name):
        raise NoteError(f"{what}: the key name contains a space or '+'")
    if _CONTROL.search(name):
        raise NoteError(f"{what}: the key name contains a control character")
    return name


def decode_base64(text: str, what: str) -> bytes:
    """Standard base64, canonical only: a re-encoding must give back the same text, so the
    unused low bits of the last character cannot carry a second spelling of one value."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise NoteError(f"{what}: not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"{what}: not canonical base64")
    return raw


def encode_base64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def encode_vkey(name: str, public_key: bytes, alg: int = ALG_ED25519) -> str:
    _check_name(name, "vkey")
    if alg not in _ALGS or len(public_key) != 32:
        raise NoteError("vkey: only 32-byte Ed25519 keys of type 0x01 or 0x04 are supported")
    hash_hex = key_hash(name, alg, public_key).hex()
    return f"{name}+{hash_hex}+{encode_base64(bytes([alg]) + public_key)}"


def decode_vkey(text: str) -> VKey:
    """Parse ``name+hex8+base64(alg || key)``; raises NoteError naming the part at fault."""
    if not isinstance(text, str):
        raise NoteError("vkey: not text")
    text = text.strip()
    parts = text.split("+", 2)  # base64 may itself contain '+'; the name may not
    if len(parts) != 3:
        raise NoteError("vkey: expected name+keyhash+base64key")
    name, hash_hex, key64 = parts
    _check_name(name, "vkey")
    if not _HEX8.fullmatch(hash_hex):
        raise NoteError("vkey: the key hash is not 8 lowercase hex digits")
    raw = decode_base64(key64, "vkey key")
    if not raw or raw[0] not in _ALGS:
        raise NoteError("vkey: unsupported signature type (0x01 Ed25519 or 0x04 "
                        "cosignature/v1 expected)")
    alg, public_key = raw[0], raw[1:]
    if len(public_key) != 32:
        raise NoteError("vkey: the Ed25519 public key is not 32 bytes")
    expected = key_hash(name, alg, public_key)
    if expected.hex() != hash_hex:
        raise NoteError("vkey: the key hash does not match the name and key")
    return VKey(name, alg, expected, public_key)


def utf8_text(data: str | bytes, what: str, limit: int) -> str:
    """``data`` as text: valid UTF-8 of at most ``limit`` bytes, else NoteError."""
    if isinstance(data, (bytes, bytearray)):
        raw = bytes(data)
    elif isinstance(data, str):
        try:
            raw = data.encode("utf-8")  # lone surrogates in a str are not UTF-8
        except UnicodeEncodeError:
            raise NoteError(f"{what}: not valid UTF-8") from None
    else:
        raise NoteError(f"{what}: not text")
    if len(raw) > limit:
        raise NoteError(f"{what}: larger than the limit")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError(f"{what}: not valid UTF-8") from None


def parse_note(data: str | bytes) -> Note:
    """Parse a signed note strictly (c2sp.org/signed-note); raises NoteError."""
    data = utf8_text(data, "note", MAX_NOTE_BYTES)
    if _CONTROL.search(data):
        raise NoteError("note: contains a control character other than newline")
    # The text ends at the LAST blank line: the text itself may contain blank lines.
    split = data.rfind("\n\n")
    if split < 0:
        raise NoteError("note: no blank line between the text and the signatures")
    text, block = data[: split + 1], data[split + 2:]
    if not block.endswith("\n"):
        raise NoteError("note: the last signature line does not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("note: too many signature lines")
    return Note(text, [_parse_signature_line(line) for line in lines])


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(_DASH):
        raise NoteError("note: a signature line does not start with an em dash and a space")
    name, sep, sig64 = line[len(_DASH):].partition(" ")
    if not sep:
        raise NoteError("note: a signature line has no signature after the key name")
    _check_name(name, "note signature")
    raw = decode_base64(sig64, "note signature")
    if len(raw) < 5:
        raise NoteError("note: a signature is shorter than a key hash and one byte")
    return NoteSignature(name, raw[:4], raw[4:])


def format_signature(sig: NoteSignature) -> str:
    """One signature line, newline included (a witness's add-checkpoint response)."""
    _check_name(sig.name, "note signature")
    if len(sig.key_hash) != 4 or not sig.signature:
        raise NoteError("note signature: a 4-byte key hash and a signature are needed")
    return f"{_DASH}{sig.name} {encode_base64(sig.key_hash + sig.signature)}\n"


def format_note(note: Note) -> str:
    check_text(note.text)
    if not note.signatures:
        raise NoteError("note: a signed note needs at least one signature")
    return note.text + "\n" + "".join(format_signature(s) for s in note.signatures)


def check_text(text: object) -> str:
    """A note text: ends in a newline, no control character but newline."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise NoteError("note text: must end in a newline")
    if _CONTROL.search(text):
        raise NoteError("note text: contains a control character other than newline")
    return text


def _ed25519_ok(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def sign_note(text: str, name: str, sign: Callable[[bytes], bytes],
              public_key: bytes) -> NoteSignature:
    """An Ed25519 (0x01) signature line over ``text``; ``sign`` is e.g. ``Signer.sign``."""
    check_text(text)
    _check_name(name, "signer")
    return NoteSignature(name, key_hash(name, ALG_ED25519, public_key),
                         sign(text.encode("utf-8")))


def _matching(note: Note, vkey: VKey) -> list[NoteSignature]:
    # Lines from unknown keys are ignored (they may be other witnesses, or a rotated key);
    # a key is known by its name AND its hash, never by one alone.
    return [s for s in note.signatures
            if s.name == vkey.name and s.key_hash == vkey.key_hash]


def verify_note(note: Note, vkey: VKey) -> bool:
    """True when a line names ``vkey`` and every such line verifies (a known key's failing
    signature rejects the note, as the spec recommends). A 0x04 vkey is checked as a
    cosignature."""
    if vkey.alg == ALG_COSIGNATURE_V1:
        return verify_cosignature(note, vkey) is not None
    if vkey.alg != ALG_ED25519:
        return False
    lines = _matching(note, vkey)
    message = note.text.encode("utf-8")
    return bool(lines) and all(
        len(s.signature) == _ED25519_SIG and _ed25519_ok(vkey.public_key, s.signature, message)
        for s in lines)


def cosignature_message(text: str, timestamp: int) -> bytes:
    """What a cosigner/v1 signs: two header lines, then the checkpoint text."""
    return f"cosignature/v1\ntime {timestamp}\n".encode("ascii") + text.encode("utf-8")


def _check_timestamp(timestamp: object) -> int:
    if (not isinstance(timestamp, int) or isinstance(timestamp, bool)
            or not 0 < timestamp < 2**63):
        raise NoteError("cosignature: the timestamp must be a positive POSIX time below 2^63")
    return timestamp


def cosign(text: str, name: str, private_key: Ed25519PrivateKey,
           timestamp: int) -> NoteSignature:
    """A cosignature/v1 (0x04) line: 8-byte big-endian timestamp || Ed25519 signature."""
    check_text(text)
    _check_name(name, "cosigner")
    _check_timestamp(timestamp)
    signature = private_key.sign(cosignature_message(text, timestamp))
    public_key = private_key.public_key().public_bytes_raw()
    return NoteSignature(name, key_hash(name, ALG_COSIGNATURE_V1, public_key),
                         timestamp.to_bytes(_TIMESTAMP_BYTES, "big") + signature)


def cosignature_timestamp(sig: NoteSignature) -> int | None:
    """The timestamp a cosignature line claims (unverified), or None if it is not 72 bytes."""
    if len(sig.signature) != _TIMESTAMP_BYTES + _ED25519_SIG:
        return None
    return int.from_bytes(sig.signature[:_TIMESTAMP_BYTES], "big")


def verify_cosignature(note: Note, vkey: VKey) -> int | None:
    """The timestamp of ``vkey``'s cosignature when it verifies (the latest, if the note
    carries several, which must all verify); None otherwise."""
    if vkey.alg != ALG_COSIGNATURE_V1:
        return None
    lines = _matching(note, vkey)
    stamps = []
    for s in lines:
        ts = cosignature_timestamp(s)
        if ts is None or not 0 < ts < 2**63:
            return None
        if not _ed25519_ok(vkey.public_key, s.signature[_TIMESTAMP_BYTES:],
                           cosignature_message(note.text, ts)):
            return None
        stamps.append(ts)
    return max(stamps) if stamps else None
