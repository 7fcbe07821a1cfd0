"""The outbox: every message the product sends, kept as an RFC 5322 file (CLI.md "Outbox").

This module owns the files under ``<home>/outbox/`` and the delivery state beside them;
``jobs.delivery`` owns talking to the relay. The ``.eml`` file is the record of what was
said to whom and when: it is written once, never changed, and stays after delivery.

Why files first: the nightly job must record its ledger events and its messages even when
no relay is configured or the relay is down, and a person must be able to see exactly what
went out. Messages never carry personal data (PROCEDURE.md "Personal data"); that is the
caller's duty, because only the caller knows what it put in the body. This module adds
headers only, never words of its own.

Identity: every message has a deterministic ``key`` (see ``breach_key`` and
``escalation_key``). The file name, the ``Message-ID`` and the ``X-CSPR-Key`` header all
derive from it, so writing the same key twice (the nightly job may run twice for a date) is
a no-op, and a receiver can recognise a duplicate by its ``Message-ID``.

Delivery state, one marker file beside ``<name>.eml``:
- ``<name>.sent``     the relay accepted it (JSON: time, the relay's reply, recipients);
- ``<name>.rejected`` the relay refused it permanently (5xx); never retried on its own;
- ``<name>.sending``  written just before the message body goes to the relay and removed
  once the reply is known; found on its own (after a crash, or a connection lost while
  awaiting the reply) it means "outcome unknown", and the message is held, not resent.
A held message (rejected or unknown) waits for a person: ``release`` makes it pending
again, ``confirm_sent`` records that the relay's log shows it was delivered. Listings
read a letter's headers once; ``.index.json`` remembers them (jobs.outbox_index).
"""

from __future__ import annotations

import email.policy
import fcntl
import hashlib
import json
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime, getaddresses, parseaddr
from pathlib import Path
from typing import Any, Iterator

from domain.errors import CsprError, InvalidInputError
from jobs.outbox_index import HeaderIndex, listing
from ledger.files import fsync_dir

# CRLF line ends (RFC 5322) and 7-bit bodies, so no relay needs 8BITMIME. Lines may run to
# RFC 5322's hard limit of 998 so a long key stays readable in its header instead of being
# folded into encoded-words.
POLICY = email.policy.SMTP.clone(max_line_length=998, cte_type="7bit")

KEY_HEADER = "X-CSPR-Key"
CASE_HEADER = "X-CSPR-Case"
# Extra headers a caller may add. Anything else (Cc, Bcc, From...) would change who gets
# the message or who it claims to be from, which only the fields of Message may decide.
_EXTRA_ALLOWED = re.compile(r"^(X-[A-Za-z0-9-]+|Reply-To|In-Reply-To|References)$", re.I)
_RESERVED_EXTRA = {KEY_HEADER.lower(), CASE_HEADER.lower()}
_TOKEN = re.compile(r"^[!-~]{1,200}$")  # printable ASCII, no spaces: safe in a header
_ADDRESS = re.compile(r"^[^\s@,<>]+@[^\s@,<>]+$")

PENDING_STATE, SENT_STATE, REJECTED_STATE, UNKNOWN_STATE = (
    "pending", "sent", "rejected", "unknown")
# The marker file of each state, in precedence order: a crash between writing .sent and
# removing .sending leaves both, and sent wins.
_MARKERS = {SENT_STATE: ".sent", REJECTED_STATE: ".rejected", UNKNOWN_STATE: ".sending"}


class OutboxError(CsprError):
    """The outbox directory holds something it cannot use."""


class InvalidMessageError(InvalidInputError):
    """A message cannot be written as given (a programming error in the caller)."""


def breach_key(case: str, clock: str, due_on: date) -> str:
    """The identity of a breach alert: one per case, clock and due date."""
    return make_key("breach", case, clock, due_on.isoformat())


def escalation_key(case: str, action: str, level: str, deadline: date) -> str:
    """The identity of an escalation letter: one per case, action, level and deadline in
    force, so an agreed extension (a new deadline) gives a new letter."""
    return make_key("escalation", case, action, level, deadline.isoformat())


_PART = re.compile(r"^[!-~]{1,64}$")


def make_key(*parts: str) -> str:
    """A valid key from ANY stored values. A ledger may hold values that later versions
    refuse (an action reference with a space, a 300-character one, a control character):
    events cannot be changed, so their letters must still be written, forever. Keys that
    were valid stay exactly as they were (a changed key would send a letter again); in
    any other key each unusable part becomes a readable stem and a hash of the value."""
    key = ":".join(parts)
    if _TOKEN.fullmatch(key):
        return key
    key = ":".join(p if _PART.fullmatch(p) else _hashed(p) for p in parts)
    return key if _TOKEN.fullmatch(key) else f"{parts[0][:32]}:{_hashed(key)}"


def token(value: str) -> str:
    """``value`` if it is usable as it is in a header (a case reference), else a readable
    stem and its hash."""
    return value if _TOKEN.fullmatch(value) else _hashed(value)


def _hashed(value: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", value).strip("_")[:32]
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{stem}~{digest}"


def message_id_for(key: str, sender: str) -> str:
    # The sender's domain scopes the id: two partnerships may both have a case "C1".
    domain = parseaddr(sender)[1].rpartition("@")[2] or "cspr-ledger"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def file_name_for(key: str) -> str:
    # Readable prefix for people listing the directory; the hash keeps distinct keys
    # distinct after unsafe characters ("/" in case references) are flattened.
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("._")[:80]
    return f"{readable}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class Message:
    key: str
    to: tuple[str, ...]
    subject: str
    body: str
    case: str
    headers: tuple[tuple[str, str], ...] = ()
    # Copies (issue 11 item 11: the L&D chair's copy of an escalation letter). A header
    # only when not empty, so every letter written before Cc existed renders as it did.
    cc: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _TOKEN.fullmatch(self.key):
            raise InvalidMessageError("key: 1-200 printable ASCII characters, no spaces")
        if not _TOKEN.fullmatch(self.case):
            raise InvalidMessageError("case: 1-200 printable ASCII characters, no spaces")
        if isinstance(self.to, str) or not self.to:
            raise InvalidMessageError("to: a non-empty tuple of addresses")
        if isinstance(self.cc, str):
            raise InvalidMessageError("cc: a tuple of addresses")
        for field_name, addresses in (("to", self.to), ("cc", self.cc)):
            for address in addresses:
                # The address is not repeated back: an error may reach a log.
                if not _ADDRESS.fullmatch(address):
                    raise InvalidMessageError(f"{field_name}: not a plain address")
        if not self.subject.strip() or "\r" in self.subject or "\n" in self.subject:
            raise InvalidMessageError("subject: one non-empty line")
        if not self.body.strip():
            raise InvalidMessageError("body: must not be empty")
        for name, value in self.headers:
            if not _EXTRA_ALLOWED.match(name) or name.lower() in _RESERVED_EXTRA:
                raise InvalidMessageError(
                    f"headers: '{name}' not allowed (X-*, Reply-To, In-Reply-To, References)")
            if "\r" in value or "\n" in value:
                raise InvalidMessageError(f"headers: '{name}' value must be one line")


@dataclass(frozen=True)
class StoredMessage:
    """A message as the outbox holds it: what delivery needs, read from the file's headers."""

    name: str
    path: Path
    key: str
    case: str
    message_id: str
    sender: str
    recipients: tuple[str, ...]


class Outbox:
    def __init__(self, root: Path, sender: str) -> None:
        if not _ADDRESS.fullmatch(parseaddr(sender)[1]):
            raise InvalidMessageError("sender: an address such as cspr@partnership.example")
        self.root = Path(root)
        self.sender = sender

    # -- writing ------------------------------------------------------------------------

    def path_for(self, key: str) -> Path:
        return self.root / f"{file_name_for(key)}.eml"

    def render(self, message: Message, now: datetime) -> bytes:
        if now.tzinfo is None or now.utcoffset() is None:
            raise InvalidMessageError("now: a timezone-aware datetime")
        msg = EmailMessage(policy=POLICY)
        msg["From"] = self.sender
        msg["To"] = ", ".join(message.to)
        if message.cc:
            msg["Cc"] = ", ".join(message.cc)
        msg["Subject"] = message.subject
        msg["Date"] = format_datetime(now)
        msg["Message-ID"] = message_id_for(message.key, self.sender)
        msg[KEY_HEADER] = message.key
        msg[CASE_HEADER] = message.case
        for name, value in message.headers:
            msg[name] = value
        msg.set_content(message.body)
        return msg.as_bytes()

    def write(self, message: Message, now: datetime) -> Path:
        """Write the message once; a second write of the same key returns the first file."""
        self.create(message, now)
        return self.path_for(message.key)

    def create(self, message: Message, now: datetime) -> bool:
        """Write the message unless its file exists; True only for the writer that
        created the file (of several runs at once, exactly one is told it wrote it)."""
        path = self.path_for(message.key)
        if path.exists():
            return False
        data = self.render(message, now)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self._write_temp(data)
        try:
            # link, not replace: it fails if the name exists, so of two concurrent
            # writers the first wins and the record is never overwritten.
            os.link(tmp, path)
        except FileExistsError:
            return False
        finally:
            os.unlink(tmp)
        fsync_dir(self.root)
        return True

    # -- reading --------------------------------------------------------------------------

    def entries(self) -> list[StoredMessage]:
        if not self.root.is_dir():
            return []
        return [self._read(p) for p in sorted(self.root.glob("[!.]*.eml"))]

    def state(self, entry: StoredMessage) -> str:
        return next((state for state in _MARKERS if self._marker(entry, state).exists()),
                    PENDING_STATE)

    def pending(self) -> list[StoredMessage]:
        """Messages delivery will try: not sent, not held for a person."""
        return self._in_states(PENDING_STATE)

    def held(self) -> list[StoredMessage]:
        """Messages waiting for a person: rejected by the relay, or outcome unknown."""
        return self._in_states(REJECTED_STATE, UNKNOWN_STATE)

    def _in_states(self, *states: str) -> list[StoredMessage]:
        # One directory listing gives every letter's state from its markers' names, and
        # the index the headers of each letter read before (jobs.outbox_index): a night's
        # delivery reads only the letters new since, however many are kept as the record.
        letters = listing(self.root, _MARKERS, PENDING_STATE)
        index = HeaderIndex(self.root)
        out = []
        for path, state in letters:
            if state in states:
                headers = index.get(path)
                if headers is None:
                    entry = self._read(path)
                    index.put(path, (entry.key, entry.case, entry.message_id, entry.sender,
                                     entry.recipients))
                else:
                    entry = StoredMessage(path.stem, path, *headers)
                out.append(entry)
        index.save(path.name for path, state in letters if state != SENT_STATE)
        return out

    def marker(self, entry: StoredMessage, state: str) -> dict[str, Any] | None:
        """The JSON a marker holds (``state`` is sent, rejected or unknown), if present."""
        try:
            return json.loads(self._marker(entry, state).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    def get(self, key: str) -> StoredMessage:
        path = self.path_for(key)
        if not path.exists():
            raise OutboxError(f"no message with key '{key}' in {self.root}")
        return self._read(path)

    # -- delivery state (used by jobs.delivery) -----------------------------------------

    @contextmanager
    def claim(self, entry: StoredMessage) -> Iterator[bool]:
        """Hold the message's lock while delivering it; yields False if another deliverer
        holds it. flock, not a lock file: the kernel drops it when a crashed run exits,
        so no stale lock blocks the next night (it does need a local filesystem)."""
        fd = os.open(entry.path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    def mark_sending(self, entry: StoredMessage, at: datetime) -> None:
        self._write_marker(entry, UNKNOWN_STATE, {"key": entry.key, "since": at.isoformat()})

    def clear_sending(self, entry: StoredMessage) -> None:
        self._remove(entry, UNKNOWN_STATE)

    def mark_sent(self, entry: StoredMessage, at: datetime, reply: str,
                  refused: dict[str, str] | None = None, note: str | None = None) -> None:
        record: dict[str, Any] = {"key": entry.key, "message_id": entry.message_id,
                                  "sent_at": at.isoformat(), "reply": reply,
                                  "recipients": list(entry.recipients)}
        if refused:
            record["refused"] = refused
        if note:
            record["note"] = note
        self._write_marker(entry, SENT_STATE, record)
        self._remove(entry, UNKNOWN_STATE)

    def mark_rejected(self, entry: StoredMessage, at: datetime, reply: str) -> None:
        self._write_marker(entry, REJECTED_STATE,
                           {"key": entry.key, "rejected_at": at.isoformat(), "reply": reply})

    def release(self, key: str) -> None:
        """A person decided a held message should be tried again."""
        entry = self.get(key)
        if self.state(entry) == SENT_STATE:
            raise OutboxError(f"'{key}' was sent; it is never sent again")
        self._remove(entry, REJECTED_STATE)
        self._remove(entry, UNKNOWN_STATE)

    def confirm_sent(self, key: str, at: datetime, note: str) -> None:
        """A person found the message in the relay's log: record it as sent."""
        entry = self.get(key)
        self.mark_sent(entry, at, reply="confirmed by a person", note=note)
        self._remove(entry, REJECTED_STATE)

    # -- internals ------------------------------------------------------------------------

    def _read(self, path: Path) -> StoredMessage:
        with path.open("rb") as f:
            # compat32 header parsing: five times faster, and these headers are ours.
            headers = BytesHeaderParser(policy=email.policy.compat32).parse(f)
        key = headers.get(KEY_HEADER)
        if not key:
            raise OutboxError(f"{path.name} has no {KEY_HEADER} header; not written here")
        return StoredMessage(
            name=path.stem, path=path, key=str(key),
            case=str(headers.get(CASE_HEADER, "")),
            message_id=str(headers.get("Message-ID", "")),
            sender=parseaddr(str(headers.get("From", "")))[1],
            # Every envelope recipient: To, then Cc (none before issue 11 item 11).
            recipients=tuple(a for _, a in getaddresses(
                [*headers.get_all("To", []), *headers.get_all("Cc", [])]) if a))

    def _marker(self, entry: StoredMessage, state: str) -> Path:
        return entry.path.with_suffix(_MARKERS[state])

    def _write_marker(self, entry: StoredMessage, state: str, record: dict[str, Any]) -> None:
        tmp = self._write_temp(json.dumps(record, indent=2, sort_keys=True).encode() + b"\n")
        os.replace(tmp, self._marker(entry, state))
        fsync_dir(self.root)

    def _remove(self, entry: StoredMessage, state: str) -> None:
        try:
            os.unlink(self._marker(entry, state))
        except FileNotFoundError:
            return
        fsync_dir(self.root)

    def _write_temp(self, data: bytes) -> str:
        # Same directory as the target, so the final link/replace is atomic; a leading dot
        # keeps a half-written file out of entries() if we crash before it is renamed.
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            os.unlink(tmp)
            raise
        return tmp
