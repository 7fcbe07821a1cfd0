"""The nightly offers each checkpoint it signs to the witness by mail, through the real
outbox and a real SMTP server: the letter's body is the add-checkpoint request the
witness cosigns, from the last size the ledger recorded as cosigned."""

from __future__ import annotations

import email.policy
import socket
from datetime import datetime
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller

from jobs.nightly import run_nightly
from ledger.note import parse_note
from ledger.tlog import parse_add_checkpoint, parse_checkpoint
from service.witnessing import record_cosignature, system_vkeys, witness_vkey
from tests.helpers import make_ledger
from tests.jobs.test_nightly import CAL, at, refer
from witness.cosign import cosign_checkpoint
from witness.state import WitnessState

WITNESS_ADDRESS = "witness@witness.example"


class Sink:
    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope.content)
        return "250 OK"

    def to_witness(self) -> list[str]:
        out = []
        for raw in self.received:
            message = BytesParser(policy=email.policy.default).parsebytes(raw)
            if message["To"] == WITNESS_ADDRESS:
                # What the witness's operator saves: the body, line ends as sent (CRLF).
                out.append(message.get_content().replace("\r\n", "\n"))
        return out


@pytest.fixture
def smtp():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, f"smtp://127.0.0.1:{port}"
    controller.stop()


def nightly(lg, day: str, url: str):
    with at(day):
        return run_nightly(lg.app, lg.home, calendar=CAL, smtp_url=url)


@pytest.fixture
def ledger(home):
    with at("2026-01-12", 10):
        lg = make_ledger(home)
        refer(lg, "M-1")
    return lg


def test_each_checkpoint_goes_to_the_witness_from_the_last_cosigned_size(
        ledger, smtp, tmp_path, monkeypatch):
    sink, url = smtp
    monkeypatch.setenv("CSPR_WITNESS_ADDRESS", WITNESS_ADDRESS)
    state = WitnessState.create(tmp_path / "witness-machine", "witness.example/w1", None)
    key = state.private_key(None)
    state.trust(system_vkeys(ledger.app)[0]["vkey"])

    first = nightly(ledger, "2026-01-13", url)
    (request,) = sink.to_witness()
    offered = parse_add_checkpoint(request)
    body = parse_checkpoint(parse_note(offered.note).text)
    assert offered.old_size == 0 and offered.proof == []
    assert (body.size, body.root.hex()) == (first.checkpoint_size, first.checkpoint_root)
    assert "M-1" not in request  # hashes and the origin only
    cosigned = cosign_checkpoint(state, key, request, 1_768_300_000)
    recorded = record_cosignature(ledger.app, ledger.home, cosigned.note.encode(),
                                  witness_vkey(state.vkey))
    assert recorded.new and recorded.size == first.checkpoint_size

    # The next night's checkpoint is offered with a proof from the cosigned size, and
    # the witness, which checks that proof, cosigns it; the first letter is not resent.
    second = nightly(ledger, "2026-01-14", url)
    letters = sink.to_witness()
    assert len(letters) == 2 and letters[0] == request
    later = parse_add_checkpoint(letters[1])
    assert later.old_size == first.checkpoint_size and later.proof
    assert cosign_checkpoint(state, key, letters[1], 1_768_390_000).size \
        == second.checkpoint_size


def test_a_checkpoint_letter_is_written_once(ledger, smtp, monkeypatch):
    sink, url = smtp
    monkeypatch.setenv("CSPR_WITNESS_ADDRESS", WITNESS_ADDRESS)
    from jobs.nightly_letters import outbox_of
    from jobs.witness_letter import witness_message
    from service.evidence import create_checkpoint

    cp = create_checkpoint(ledger.app, ledger.home)
    outbox = outbox_of(ledger.home)
    now = datetime.fromisoformat("2026-01-13T02:30:00+00:00")
    assert outbox.create(witness_message(ledger.app, cp), now)
    assert not outbox.create(witness_message(ledger.app, cp), now)
    assert len(list(ledger.home.outbox.glob("witness*.eml"))) == 1


def test_no_witness_address_no_letter(ledger, smtp, monkeypatch):
    sink, url = smtp
    monkeypatch.delenv("CSPR_WITNESS_ADDRESS", raising=False)
    result = nightly(ledger, "2026-01-13", url)
    assert result.checkpoint_size > 0 and sink.to_witness() == []
    assert result.messages_sent == len(sink.received) > 0  # the breach letters went
