"""Delivery: hand the outbox's pending messages to an SMTP relay, each at most once.

This module owns the conversation with the relay (``CSPR_SMTP_URL``); ``jobs.outbox`` owns
the files and their state markers. With no relay configured nothing is sent and the
``.eml`` files remain the record.

Never twice. A message is sent only under its lock (flock on its ``.eml``: two nightly
runs cannot both send it) and only if no marker is found once the lock is held. A durable
``.sending`` marker precedes the body; ``.sent`` follows the relay's 250 to DATA. The
window between that 250 and ``.sent`` (a crash, a full disk, a reply lost to a timeout)
thus never causes a resend: the message is *held* as "outcome unknown", reported on every
run until a person checks the relay's log for its ``Message-ID`` and calls
``Outbox.confirm_sent`` or ``Outbox.release``. Should a person release one the relay did
take, the deterministic ``Message-ID`` still lets receivers discard the copy.

Failures. 4xx replies, refused or reset connections and timeouts are temporary: retried
``attempts`` times with ``backoff`` delays, then left pending for the next run. A 5xx to
RCPT or DATA is a verdict on the message: ``.rejected``, held, never retried on its own.
A failure that concerns every message (relay unreachable, login or sender refused) stops
the run with ``relay_error`` and leaves the rest pending. If some recipients are refused
and others accepted, the message counts as sent (a resend would duplicate it for the
others); the refusals are kept in the ``.sent`` marker and the report.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Sequence
from urllib.parse import parse_qs, unquote, urlsplit

from domain.errors import InvalidInputError
from jobs.outbox import (PENDING_STATE, REJECTED_STATE, SENT_STATE, UNKNOWN_STATE, Outbox,
                         StoredMessage)

DEFAULT_BACKOFF: tuple[float, ...] = (5.0, 30.0)


class SmtpUrlError(InvalidInputError):
    """CSPR_SMTP_URL is not a usable relay address (the CLI exits 2)."""


@dataclass(frozen=True)
class SmtpTarget:
    scheme: str
    host: str
    port: int
    starttls: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # never in logs or reports

    def __str__(self) -> str:
        who = f"{self.user}@" if self.user else ""
        return f"{self.scheme}://{who}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpTarget:
    """``smtp://[user[:pass]@]host[:port][?starttls=1]`` or ``smtps://...`` (implicit TLS).

    Error messages never repeat the URL: it may hold a password."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise SmtpUrlError("CSPR_SMTP_URL: malformed; expected smtp://host:port") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SmtpUrlError("CSPR_SMTP_URL: expected smtp://host:port or smtps://host:port")
    if parts.path not in ("", "/") or parts.fragment:
        raise SmtpUrlError("CSPR_SMTP_URL: unexpected path; expected smtp://host:port")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(query) - {"starttls"}
    if unknown:
        raise SmtpUrlError(f"CSPR_SMTP_URL: unknown option(s) {', '.join(sorted(unknown))}; "
                           "only starttls=0|1")
    starttls = query.get("starttls", ["0"])[-1]
    if starttls not in ("0", "1"):
        raise SmtpUrlError("CSPR_SMTP_URL: starttls must be 0 or 1")
    if starttls == "1" and parts.scheme == "smtps":
        raise SmtpUrlError("CSPR_SMTP_URL: smtps is already TLS; drop starttls")
    return SmtpTarget(
        scheme=parts.scheme, host=parts.hostname,
        port=port or (465 if parts.scheme == "smtps" else 25), starttls=starttls == "1",
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None)


@dataclass(frozen=True)
class Outcome:
    key: str
    case: str
    message_id: str
    detail: str  # the relay's reply, or why nothing was sent


@dataclass(frozen=True)
class DeliveryReport:
    """Every message that was pending or held at the start appears in exactly one list."""

    sent: tuple[Outcome, ...] = ()     # accepted by the relay in this run
    failed: tuple[Outcome, ...] = ()   # tried in this run, not accepted (see detail)
    skipped: tuple[Outcome, ...] = ()  # not tried: no relay, another run has it, run stopped
    held: tuple[Outcome, ...] = ()     # waiting for a person (rejected or outcome unknown)
    relay_error: str | None = None     # why the run stopped early, if it did

    def as_json(self) -> dict[str, Any]:
        lists = ("sent", "failed", "skipped", "held")
        return {**{k: [asdict(o) for o in getattr(self, k)] for k in lists},
                "relay_error": self.relay_error}


class _Temporary(Exception):
    def __init__(self, detail: str, relay: bool = False) -> None:
        super().__init__(detail)
        self.relay = relay  # about the connection, not this message: reconnect, maybe stop


class _Rejected(Exception):
    """A 5xx verdict on this message."""


class _Unknown(Exception):
    """The body went out but no reply came back: the relay may have taken it."""


class _RelayRefused(Exception):
    """A permanent failure that concerns every message (login, sender, TLS)."""


def _reply(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(text.split())}"


def _classify(code: int, text: bytes | str) -> Exception:
    # Only a real 5xx is a verdict on the message; anything odd is worth another try.
    return _Rejected(_reply(code, text)) if 500 <= code < 600 else _Temporary(_reply(code, text))


def _data_payload(raw: bytes) -> bytes:
    # What smtplib.data() does, kept here so the moment the body leaves is ours to mark.
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", raw)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class _Relay:
    """One SMTP session, reused across messages and reopened after a failure."""

    def __init__(self, target: SmtpTarget, timeout: float) -> None:
        self.target, self.timeout = target, timeout
        self.conn: smtplib.SMTP | None = None

    def session(self) -> smtplib.SMTP:
        if self.conn is not None:
            return self.conn
        t = self.target
        try:
            if t.scheme == "smtps":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    t.host, t.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                conn = smtplib.SMTP(t.host, t.port, timeout=self.timeout)
            conn.ehlo_or_helo_if_needed()
            if t.starttls:
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if t.user is not None:
                conn.login(t.user, t.password or "")
        except smtplib.SMTPResponseException as e:  # greeting, STARTTLS or login refused
            what = "login refused" if isinstance(e, smtplib.SMTPAuthenticationError) else t
            detail = f"{what}: {_reply(e.smtp_code, e.smtp_error)}"
            if 400 <= e.smtp_code < 500:
                raise _Temporary(detail, relay=True)
            raise _RelayRefused(detail)
        except (smtplib.SMTPNotSupportedError, ssl.SSLError) as e:
            # Before OSError (SSLError is one): a missing extension or a bad certificate
            # will not fix itself by retrying.
            raise _RelayRefused(f"{t}: {type(e).__name__}: {e}")
        except (OSError, smtplib.SMTPException) as e:
            raise _Temporary(f"{t}: {type(e).__name__}: {e}", relay=True)
        self.conn = conn
        return conn

    def drop(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()

    def quit(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (OSError, smtplib.SMTPException):
                pass  # the messages are already settled; a rude goodbye changes nothing
            self.drop()


def _transmit(relay: _Relay, outbox: Outbox, entry: StoredMessage,
              now: Callable[[], datetime]) -> None:
    """One attempt at one message; raises one of the private exceptions above on failure."""
    payload = _data_payload(entry.path.read_bytes())
    conn = relay.session()
    try:
        code, text = conn.mail(entry.sender or outbox.sender)
        if code != 250:
            conn.rset()
            if 400 <= code < 500:
                raise _Temporary(f"MAIL FROM: {_reply(code, text)}")
            raise _RelayRefused(f"sender refused: {_reply(code, text)}")
        refused: dict[str, str] = {}
        for address in entry.recipients:
            code, text = conn.rcpt(address)
            if code not in (250, 251):
                refused[address] = _reply(code, text)
        if len(refused) == len(entry.recipients):
            conn.rset()
            replies = "; ".join(f"{a}: {r}" for a, r in refused.items())
            if any(r.startswith("4") for r in refused.values()):
                raise _Temporary(f"RCPT: {replies}")
            raise _Rejected(f"RCPT: {replies}")
        code, text = conn.docmd("DATA")
        if code != 354:
            conn.rset()
            raise _classify(code, text)
    except (OSError, smtplib.SMTPException) as e:  # the connection, not the message
        raise _Temporary(f"{type(e).__name__}: {e}", relay=True)

    outbox.mark_sending(entry, now())
    try:
        conn.send(payload)
    except smtplib.SMTPServerDisconnected as e:
        # sendall failed, so the final "." never left: the relay cannot have accepted it.
        outbox.clear_sending(entry)
        raise _Temporary(f"connection lost while sending: {e}", relay=True)
    try:
        code, text = conn.getreply()
    except smtplib.SMTPServerDisconnected as e:
        raise _Unknown(f"no reply after the message was sent ({e}); check the relay's "
                       f"log for Message-ID {entry.message_id}")
    if 200 <= code < 300:
        outbox.mark_sent(entry, now(), _reply(code, text), refused or None)
        return
    if not 400 <= code < 600:
        raise _Unknown(f"unreadable reply after the message was sent ({_reply(code, text)}); "
                       f"check the relay's log for Message-ID {entry.message_id}")
    outbox.clear_sending(entry)
    raise _classify(code, text)


def _held_detail(outbox: Outbox, entry: StoredMessage) -> str:
    if outbox.state(entry) == REJECTED_STATE:
        record = outbox.marker(entry, REJECTED_STATE) or {}
        return f"rejected: {record.get('reply', '?')}; release it to try again"
    record = outbox.marker(entry, UNKNOWN_STATE) or {}
    return (f"outcome unknown since {record.get('since', '?')}: check the relay's log for "
            f"Message-ID {entry.message_id}, then confirm_sent or release it")


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _try(relay: _Relay, outbox: Outbox, entry: StoredMessage, attempts: int,
         backoff: Sequence[float], sleep: Callable[[float], None],
         now: Callable[[], datetime]) -> tuple[str, str, str | None]:
    """All attempts at one message, its lock held: (list, detail, why the run must stop)."""
    for attempt in range(1, attempts + 1):
        try:
            _transmit(relay, outbox, entry, now)
        except _Temporary as e:
            if e.relay:
                relay.drop()
            if attempt < attempts:
                sleep(backoff[min(attempt - 1, len(backoff) - 1)] if backoff else 0.0)
                continue
            stop = f"relay unavailable: {e}" if e.relay else None
            return "failed", f"temporary, {attempts} attempt(s): {e}", stop
        except _Rejected as e:
            outbox.mark_rejected(entry, now(), str(e))
            return "failed", f"rejected, held: {e}", None
        except _Unknown as e:
            relay.drop()
            return "failed", f"outcome unknown, held: {e}", None
        except _RelayRefused as e:
            relay.drop()
            return "failed", f"not sent: {e}", str(e)
        record = outbox.marker(entry, SENT_STATE) or {}
        refused = f"; refused: {record['refused']}" if record.get("refused") else ""
        return "sent", f"{record.get('reply', '250')}{refused}", None
    raise AssertionError("attempts >= 1")


def deliver(outbox: Outbox, smtp_url: str | None, attempts: int = 3,
            backoff: Sequence[float] = DEFAULT_BACKOFF,
            sleep: Callable[[float], None] = time.sleep,
            now: Callable[[], datetime] = _utc_now,
            timeout: float = 30.0) -> DeliveryReport:
    """Send every pending message once; ``backoff[i]`` seconds pass before attempt i+2
    (the last value repeats). Raises SmtpUrlError for a bad URL before touching anything."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    target = parse_smtp_url(smtp_url) if smtp_url else None
    lists: dict[str, list[Outcome]] = {"sent": [], "failed": [], "skipped": [], "held": [
        Outcome(e.key, e.case, e.message_id, _held_detail(outbox, e)) for e in outbox.held()]}
    relay_error: str | None = None
    relay = _Relay(target, timeout) if target else None
    try:
        for entry in outbox.pending():
            if relay is None:
                where, detail = "skipped", "no relay configured (CSPR_SMTP_URL unset)"
            elif relay_error is not None:
                where, detail = "skipped", f"not tried: {relay_error}"
            else:
                with outbox.claim(entry) as mine:
                    # Re-read under the lock: another run may have finished it meanwhile.
                    state = outbox.state(entry) if mine else None
                    if state is None:
                        where, detail = "skipped", "another delivery run holds it"
                    elif state == SENT_STATE:
                        where, detail = "skipped", "already sent by another delivery run"
                    elif state != PENDING_STATE:
                        where, detail = "held", _held_detail(outbox, entry)
                    else:
                        where, detail, relay_error = _try(
                            relay, outbox, entry, attempts, backoff, sleep, now)
            lists[where].append(Outcome(entry.key, entry.case, entry.message_id, detail))
    except BaseException:
        if relay is not None:
            relay.drop()  # mid-DATA a polite QUIT would only be read as message text
        raise
    if relay is not None:
        relay.quit()
    return DeliveryReport(*(tuple(lists[k]) for k in ("sent", "failed", "skipped", "held")),
                          relay_error=relay_error)
