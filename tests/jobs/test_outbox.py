"""The outbox and its delivery, against a real SMTP server (aiosmtpd) on 127.0.0.1.

Nothing about SMTP is mocked: every test that delivers talks to a server started here on a
free port. Time is passed in (``now``) and sleeping is injected, so the tests never wait
for a backoff.
"""

from __future__ import annotations

import asyncio
import email.policy
import socket
import threading
from datetime import date, datetime, timedelta, timezone
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from domain.errors import InvalidInputError
from jobs.delivery import SmtpUrlError, deliver, parse_smtp_url
from jobs.outbox import (InvalidMessageError, Message, Outbox, breach_key,
                         escalation_key, message_id_for)

NOW = datetime(2025, 12, 30, 2, 15, tzinfo=timezone.utc)
SENDER = "cspr@partnership.example"


def parse(data: bytes) -> Any:
    return BytesParser(policy=email.policy.default).parsebytes(data)


def text_of(parsed: Any) -> str:
    # The file keeps RFC 5322's CRLF line ends; the parser hands them back as they are.
    return str(parsed.get_content()).replace("\r\n", "\n")


def breach(case: str = "CSPR-2025-001", clock: str = "threshold_decision",
           due: date = date(2025, 12, 29)) -> Message:
    return Message(
        key=breach_key(case, clock, due),
        to=("ssp@partnership.example", "business-unit@partnership.example"),
        subject=f"Statutory clock breached: {clock} on {case}",
        body=(f"Case {case}: the clock {clock} was due on {due.isoformat()} and is not met.\n"
              "Please record the decision or the reason for the delay.\n"),
        case=case)


class Recorder:
    """An SMTP handler that keeps what it accepted; ``replies`` scripts the DATA answers."""

    def __init__(self, replies: list[str] | None = None, delay: float = 0.0) -> None:
        self.replies = list(replies or [])
        self.delay = delay
        self.received: list[bytes] = []
        self.data_commands = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.data_commands += 1
            reply = self.replies.pop(0) if self.replies else "250 2.0.0 OK queued"
            if reply.startswith("250"):
                self.received.append(envelope.content)
        if self.delay:
            await asyncio.sleep(self.delay)
        return reply

    def message_ids(self) -> list[str]:
        return [str(parse(m)["Message-ID"]) for m in self.received]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[Recorder, str]]]:
    controllers: list[Controller] = []

    def start(handler: Recorder | None = None, **kwargs: Any) -> tuple[Recorder, str]:
        handler = handler or Recorder()
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        return handler, f"smtp://127.0.0.1:{port}"

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "outbox", SENDER)


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"unexpected sleep({seconds})")


# -- writing ---------------------------------------------------------------------------


def test_message_is_written_as_valid_rfc5322(outbox: Outbox) -> None:
    message = breach()
    path = outbox.write(message, NOW)
    assert path.parent == outbox.root and path.suffix == ".eml"
    raw = path.read_bytes()
    assert b"\r\n\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    parsed = parse(raw)
    assert parsed.defects == []
    assert parsed["From"] == SENDER
    assert parsed["To"].addresses[0].addr_spec == "ssp@partnership.example"
    assert len(parsed["To"].addresses) == 2
    assert parsed["Subject"] == message.subject
    assert parsed["Date"].datetime == NOW
    assert parsed["Message-ID"] == message_id_for(message.key, SENDER)
    assert parsed["X-CSPR-Key"] == "breach:CSPR-2025-001:threshold_decision:2025-12-29"
    assert parsed["X-CSPR-Case"] == "CSPR-2025-001"


def test_message_id_is_deterministic_and_scoped_by_sender() -> None:
    key = escalation_key("C/1", "A-7", "head_of_service", date(2026, 3, 31))
    assert key == "escalation:C/1:A-7:head_of_service:2026-03-31"
    first = message_id_for(key, SENDER)
    assert first == message_id_for(key, SENDER)
    assert first.startswith("<") and first.endswith("@partnership.example>")
    assert len(first.split("@")[0]) == 33  # "<" and 32 hex digits
    assert first != message_id_for(key, "cspr@other.example")


def test_module_adds_headers_only_never_words(outbox: Outbox) -> None:
    message = Message(key="breach:C9:publication:2026-06-30",
                      to=("ld-chair@partnership.example",),
                      subject="Publication clock breached on C9",
                      body="Case C9: publication was due on 2026-06-30.\nWhat is asked: "
                           "publish the report or record the justification.\n",
                      case="C9", headers=(("X-CSPR-Kind", "breach"),))
    parsed = parse(outbox.write(message, NOW).read_bytes())
    assert text_of(parsed) == message.body  # the words are the caller's, exactly
    assert not parsed.is_multipart()
    # Every header is the caller's, or derived from the key, the sender, or now.
    expected = {
        "From": SENDER, "To": ", ".join(message.to), "Subject": message.subject,
        "Date": "Tue, 30 Dec 2025 02:15:00 +0000",
        "Message-ID": message_id_for(message.key, SENDER), "X-CSPR-Key": message.key,
        "X-CSPR-Case": message.case, "X-CSPR-Kind": "breach",
        "Content-Type": 'text/plain; charset="utf-8"', "Content-Transfer-Encoding": "7bit",
        "MIME-Version": "1.0"}
    assert {name: str(parsed[name]) for name in parsed.keys()} == expected


def test_non_ascii_body_round_trips_in_seven_bits(outbox: Outbox) -> None:
    message = Message(key="breach:C2:referrer_feedback:2026-01-09",
                      to=("ssp@partnership.example",), subject="Clock breached — C2",
                      body="Case C2: due 9 January 2026 – please respond.\n", case="C2")
    raw = outbox.write(message, NOW).read_bytes()
    assert max(raw) < 128
    parsed = parse(raw)
    assert parsed["Subject"] == message.subject and text_of(parsed) == message.body


def test_same_key_written_twice_gives_one_file(outbox: Outbox) -> None:
    first = outbox.write(breach(), NOW)
    original = first.read_bytes()
    second = outbox.write(breach(), NOW + timedelta(days=1))
    assert second == first
    assert first.read_bytes() == original  # the first write stays the record
    assert [p.name for p in outbox.root.iterdir()] == [first.name]
    assert [e.key for e in outbox.pending()] == [breach().key]


def test_concurrent_writes_of_one_key_leave_one_intact_file(outbox: Outbox) -> None:
    barrier = threading.Barrier(8)

    def write(i: int) -> None:
        barrier.wait()
        outbox.write(breach(), NOW + timedelta(seconds=i))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    files = list(outbox.root.iterdir())
    assert len(files) == 1 and parse(files[0].read_bytes())["X-CSPR-Key"] == breach().key


def test_of_concurrent_creates_exactly_one_is_told_it_wrote(outbox: Outbox) -> None:
    # The nightly counts a letter only when create() says this call made the file, so
    # runs at once add up to the files written (issue 8, finding 5).
    barrier = threading.Barrier(8)
    told: list[bool] = []

    def create(i: int) -> None:
        barrier.wait()
        told.append(outbox.create(breach(), NOW + timedelta(seconds=i)))

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(told) == [False] * 7 + [True]
    assert len(list(outbox.root.glob("*.eml"))) == 1
    assert outbox.create(breach(), NOW) is False


def test_case_references_with_slashes_get_distinct_safe_names(outbox: Outbox) -> None:
    a = outbox.write(breach(case="LA/2025/1"), NOW)
    b = outbox.write(breach(case="LA_2025_1"), NOW)
    assert a != b and a.parent == b.parent == outbox.root
    assert "/" not in a.name


@pytest.mark.parametrize("change, field", [
    ({"key": "has space"}, "key"),
    ({"to": ()}, "to"),
    ({"to": "ssp@partnership.example"}, "to"),
    ({"to": ("Someone <a@b.example>",)}, "to"),
    ({"subject": "two\nlines"}, "subject"),
    ({"body": "  "}, "body"),
    ({"headers": (("Bcc", "x@y.example"),)}, "headers"),
    ({"headers": (("X-CSPR-Key", "other"),)}, "headers"),
])
def test_invalid_messages_are_refused_by_name(change: dict[str, Any], field: str) -> None:
    fields = dict(key="breach:C1:x:2026-01-01", to=("a@b.example",), subject="s",
                  body="b\n", case="C1")
    fields.update(change)
    with pytest.raises(InvalidMessageError, match=field):
        Message(**fields)


def test_naive_time_is_refused(outbox: Outbox) -> None:
    with pytest.raises(InvalidMessageError, match="now"):
        outbox.write(breach(), datetime(2025, 12, 30, 2, 15))


# -- the relay address -----------------------------------------------------------------


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://relay.example:2525")
    assert (plain.scheme, plain.host, plain.port, plain.starttls, plain.user) == (
        "smtp", "relay.example", 2525, False, None)
    assert parse_smtp_url("smtp://relay.example").port == 25
    secure = parse_smtp_url("smtps://u%40x:p%3Ass@relay.example")
    assert (secure.port, secure.user, secure.password) == (465, "u@x", "p:ss")
    assert "p:ss" not in repr(secure) and "p:ss" not in str(secure)
    assert parse_smtp_url("smtp://relay.example:587?starttls=1").starttls


@pytest.mark.parametrize("url", [
    "http://relay.example", "smtp://", "smtp://relay.example:99999", "smtp://h:port",
    "smtp://relay.example/path", "smtp://relay.example?tls=1",
    "smtp://relay.example?starttls=maybe", "smtps://relay.example?starttls=1", "relay:25",
])
def test_bad_smtp_urls_are_input_errors(url: str, outbox: Outbox) -> None:
    with pytest.raises(SmtpUrlError) as caught:
        deliver(outbox, url, sleep=no_sleep)
    assert isinstance(caught.value, InvalidInputError)  # the CLI maps this to exit 2


def test_bad_url_error_never_repeats_a_password() -> None:
    with pytest.raises(SmtpUrlError) as caught:
        parse_smtp_url("smtp://user:s3cret@relay.example:notaport")
    assert "s3cret" not in str(caught.value)


# -- delivery --------------------------------------------------------------------------


def test_no_relay_sends_nothing_and_keeps_the_files(outbox: Outbox) -> None:
    paths = [outbox.write(breach(clock=c), NOW) for c in ("a", "b")]
    report = deliver(outbox, None, sleep=no_sleep)
    assert report.sent == report.failed == () and len(report.skipped) == 2
    assert all("no relay" in o.detail for o in report.skipped)
    assert all(p.exists() for p in paths) and len(outbox.pending()) == 2


def test_delivered_once_each_and_marked_sent(outbox: Outbox, smtp_server: Any) -> None:
    server, url = smtp_server()
    messages = [breach(clock=c) for c in ("threshold_decision", "report_to_partners")]
    paths = [outbox.write(m, NOW) for m in messages]
    report = deliver(outbox, url, sleep=no_sleep, now=lambda: NOW)
    assert sorted(o.key for o in report.sent) == sorted(m.key for m in messages)
    assert report.failed == report.skipped == report.held == () and not report.relay_error
    assert sorted(server.message_ids()) == sorted(
        message_id_for(m.key, SENDER) for m in messages)
    for message, raw in zip(sorted(messages, key=lambda m: m.key),
                            sorted(server.received, key=lambda r: str(parse(r)["X-CSPR-Key"]))):
        assert text_of(parse(raw)) == message.body  # the relay got the words as written
    assert outbox.pending() == [] and all(p.exists() for p in paths)
    record = outbox.marker(outbox.get(messages[0].key), "sent")
    assert record and record["reply"].startswith("250") and record["sent_at"] == NOW.isoformat()

    again = deliver(outbox, url, sleep=no_sleep)
    assert again.sent == again.failed == again.skipped == ()
    assert len(server.received) == 2


def test_a_dot_at_line_start_survives_transmission(outbox: Outbox, smtp_server: Any) -> None:
    server, url = smtp_server()
    body = "Case C1: what is asked:\n.\n..and a line starting with a dot.\n"
    outbox.write(Message(key="breach:C1:x:2026-01-01", to=("a@partnership.example",),
                         subject="s", body=body, case="C1"), NOW)
    deliver(outbox, url, sleep=no_sleep)
    assert [text_of(parse(r)) for r in server.received] == [body]


def test_temporary_failure_is_retried_and_delivered_once(outbox: Outbox,
                                                         smtp_server: Any) -> None:
    server, url = smtp_server(Recorder(replies=["451 4.3.0 try again"]))
    outbox.write(breach(), NOW)
    slept: list[float] = []
    report = deliver(outbox, url, attempts=3, backoff=(7.0, 60.0), sleep=slept.append)
    assert [o.key for o in report.sent] == [breach().key] and report.failed == ()
    assert slept == [7.0]
    assert server.data_commands == 2 and len(server.received) == 1
    assert deliver(outbox, url, sleep=no_sleep).sent == ()
    assert len(server.received) == 1


def test_temporary_failures_exhausted_leave_it_pending(outbox: Outbox,
                                                       smtp_server: Any) -> None:
    server, url = smtp_server(Recorder(replies=["421 4.7.0 busy"] * 3))
    outbox.write(breach(), NOW)
    slept: list[float] = []
    report = deliver(outbox, url, attempts=3, backoff=(1.0, 2.0), sleep=slept.append)
    assert slept == [1.0, 2.0] and server.data_commands == 3
    assert [o.key for o in report.failed] == [breach().key]
    assert "temporary" in report.failed[0].detail
    assert [e.key for e in outbox.pending()] == [breach().key]  # the next run tries again


def test_permanent_failure_is_recorded_not_retried(outbox: Outbox, smtp_server: Any) -> None:
    server, url = smtp_server(Recorder(replies=["550 5.7.1 rejected by policy"]))
    outbox.write(breach(), NOW)
    report = deliver(outbox, url, attempts=5, sleep=no_sleep, now=lambda: NOW)
    assert [o.key for o in report.failed] == [breach().key]
    assert "550 5.7.1 rejected by policy" in report.failed[0].detail
    assert server.data_commands == 1 and server.received == []
    entry = outbox.get(breach().key)
    assert outbox.state(entry) == "rejected" and outbox.pending() == []

    later = deliver(outbox, url, sleep=no_sleep)
    assert later.failed == () and [o.key for o in later.held] == [breach().key]
    assert server.data_commands == 1  # held for a person, not retried each night

    outbox.release(breach().key)
    assert deliver(outbox, url, sleep=no_sleep).sent[0].key == breach().key
    assert len(server.received) == 1


def test_unreachable_relay_stops_the_run_and_keeps_messages_pending(outbox: Outbox) -> None:
    for clock in ("a", "b", "c"):
        outbox.write(breach(clock=clock), NOW)
    slept: list[float] = []
    report = deliver(outbox, f"smtp://127.0.0.1:{free_port()}", attempts=3,
                     backoff=(1.0,), sleep=slept.append)
    assert slept == [1.0, 1.0]  # one message's attempts, not three messages' worth
    assert report.relay_error and len(report.failed) == 1 and len(report.skipped) == 2
    assert len(outbox.pending()) == 3


def test_login_and_refused_login(outbox: Outbox, smtp_server: Any) -> None:
    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        def text(value: bytes | str) -> str:
            return value.decode() if isinstance(value, bytes) else value
        ok = isinstance(auth_data, LoginPassword) and (
            text(auth_data.login), text(auth_data.password)) == ("nightly", "pa:ss")
        return AuthResult(success=ok, handled=False)  # handled=False: the server replies

    server, url = smtp_server(authenticator=authenticator, auth_require_tls=False)
    port = url.rsplit(":", 1)[1]
    outbox.write(breach(), NOW)
    wrong = deliver(outbox, f"smtp://nightly:nope@127.0.0.1:{port}", sleep=no_sleep)
    assert wrong.relay_error and "login refused" in wrong.relay_error
    assert "nope" not in str(wrong.as_json())
    assert len(outbox.pending()) == 1 and server.received == []
    right = deliver(outbox, f"smtp://nightly:pa%3Ass@127.0.0.1:{port}", sleep=no_sleep)
    assert len(right.sent) == 1 and len(server.received) == 1


def test_concurrent_deliverers_send_each_message_once(outbox: Outbox,
                                                      smtp_server: Any) -> None:
    server, url = smtp_server(Recorder(delay=0.005))
    messages = [breach(case=f"C{i}") for i in range(30)]
    for message in messages:
        outbox.write(message, NOW)
    keys = [m.key for m in messages]
    barrier = threading.Barrier(2)
    reports: list[Any] = []

    def run() -> None:
        barrier.wait()
        reports.append(deliver(outbox, url, sleep=no_sleep))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = server.message_ids()
    assert sorted(ids) == sorted(message_id_for(k, SENDER) for k in keys)  # once each
    assert sorted(o.key for r in reports for o in r.sent) == sorted(keys)
    assert all(r.failed == () for r in reports) and outbox.pending() == []


def test_no_reply_after_the_body_is_held_not_resent(outbox: Outbox, smtp_server: Any) -> None:
    # The relay takes the message but answers too late: we cannot know it was accepted.
    server, url = smtp_server(Recorder(delay=1.0))
    outbox.write(breach(), NOW)
    report = deliver(outbox, url, sleep=no_sleep, timeout=0.2)
    assert "outcome unknown" in report.failed[0].detail
    assert outbox.state(outbox.get(breach().key)) == "unknown"
    later = deliver(outbox, url, sleep=no_sleep)
    assert later.sent == () and "Message-ID" in later.held[0].detail
    assert server.data_commands == 1
    outbox.confirm_sent(breach().key, NOW, note="found in relay log")
    assert deliver(outbox, url, sleep=no_sleep).held == () and server.data_commands == 1


def test_crash_after_acceptance_never_resends(outbox: Outbox, smtp_server: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    server, url = smtp_server()
    outbox.write(breach(), NOW)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(outbox, "mark_sent", crash)
    with pytest.raises(OSError):
        deliver(outbox, url, sleep=no_sleep)
    monkeypatch.undo()
    assert len(server.received) == 1
    later = deliver(outbox, url, sleep=no_sleep)
    assert later.sent == () and [o.key for o in later.held] == [breach().key]
    assert len(server.received) == 1
    # If a person releases it anyway, the copy carries the same Message-ID to de-duplicate.
    outbox.release(breach().key)
    deliver(outbox, url, sleep=no_sleep)
    assert len(set(server.message_ids())) == 1 and len(server.received) == 2


def test_report_as_json_has_stable_keys(outbox: Outbox) -> None:
    outbox.write(breach(), NOW)
    shown = deliver(outbox, None, sleep=no_sleep).as_json()
    assert set(shown) == {"sent", "failed", "skipped", "held", "relay_error"}
    assert set(shown["skipped"][0]) == {"key", "case", "message_id", "detail"}
