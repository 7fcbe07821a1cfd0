"""The outbox's index of letter headers (jobs.outbox_index): a cache the directory
overrules. A letter written but never indexed (a crash between the two), deleted, or
edited by hand is listed as the files say, as when every letter was read each time."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from jobs.outbox import Message, Outbox, OutboxError, breach_key
from jobs.outbox_index import INDEX

NOW = datetime(2025, 12, 30, 2, 15, tzinfo=timezone.utc)
SENDER = "cspr@partnership.example"


def letter(clock: str, to: str = "ssp@partnership.example") -> Message:
    return Message(key=breach_key("CSPR-2025-001", clock, date(2025, 12, 29)), to=(to,),
                   subject=f"Statutory clock breached: {clock}",
                   body=f"The clock {clock} was due on 2025-12-29 and is not met.\n",
                   case="CSPR-2025-001")


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "outbox", SENDER)


def indexed(outbox: Outbox) -> set[str]:
    return set(json.loads((outbox.root / INDEX).read_text())["letters"])


def test_a_listing_indexes_the_letters_it_read(outbox: Outbox) -> None:
    a, b = outbox.write(letter("a"), NOW), outbox.write(letter("b"), NOW)
    assert not (outbox.root / INDEX).exists()  # writing a letter does not touch it
    assert [e.key for e in outbox.pending()] == sorted([letter("a").key, letter("b").key])
    assert indexed(outbox) == {a.name, b.name}


def test_a_letter_written_after_the_last_listing_is_listed(outbox: Outbox) -> None:
    # A run that wrote a letter and died before any listing: the index never heard of it.
    outbox.write(letter("a"), NOW)
    outbox.pending()
    late = outbox.write(letter("late"), NOW)
    entries = {e.key: e for e in outbox.pending()}
    assert set(entries) == {letter("a").key, letter("late").key}
    assert entries[letter("late").key].recipients == ("ssp@partnership.example",)
    assert late.name in indexed(outbox)


def test_an_index_written_by_a_run_that_knew_less_only_costs_a_read(outbox: Outbox) -> None:
    outbox.write(letter("a"), NOW)
    outbox.pending()
    older = (outbox.root / INDEX).read_bytes()
    outbox.write(letter("b"), NOW)
    outbox.pending()
    (outbox.root / INDEX).write_bytes(older)  # a slower concurrent run wrote last
    assert [e.key for e in outbox.pending()] == sorted([letter("a").key, letter("b").key])


def test_a_deleted_letter_drops_out_of_the_listing_and_the_index(outbox: Outbox) -> None:
    a, b = outbox.write(letter("a"), NOW), outbox.write(letter("b"), NOW)
    outbox.pending()
    b.unlink()
    assert [e.key for e in outbox.pending()] == [letter("a").key]
    assert indexed(outbox) == {a.name}


def written_earlier(path: Path) -> Path:
    # Letters are written by the night's run and edited, if ever, later: not within the
    # same tick of the filesystem's clock.
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 60 * 10**9))
    return path


def test_a_hand_edited_letter_is_read_again(outbox: Outbox) -> None:
    path = written_earlier(outbox.write(letter("a"), NOW))
    outbox.pending()
    edited = path.read_bytes().replace(b"ssp@partnership.example",
                                       b"someone.else@partnership.example")
    tmp = path.with_name(".edit.tmp")
    tmp.write_bytes(edited)
    os.replace(tmp, path)  # as an editor saves: a new file under the old name
    [entry] = outbox.pending()
    assert entry.recipients == ("someone.else@partnership.example",)


def test_an_edit_that_removes_the_key_header_is_still_refused(outbox: Outbox) -> None:
    path = outbox.write(letter("a"), NOW)
    outbox.pending()
    path.write_bytes(path.read_bytes().replace(b"X-CSPR-Key:", b"X-Other:"))
    with pytest.raises(OutboxError):
        outbox.pending()


def test_an_unchanged_file_is_not_read_again(outbox: Outbox) -> None:
    # What makes a night's listing cheap: while a letter's size and time are those
    # the index saw, its headers come from the index, not the file. Shown by changing the
    # file to the same length and putting its time back (a copy that keeps times, as a
    # restored backup does, keeps its index the same way).
    path = outbox.write(letter("a"), NOW)
    outbox.pending()
    st = path.stat()
    raw = path.read_bytes()
    path.unlink()
    path.write_bytes(raw.replace(b"ssp@partnership", b"xyz@partnership"))  # a new inode
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert outbox.pending()[0].recipients == ("ssp@partnership.example",)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1))  # any change of time: read
    assert outbox.pending()[0].recipients == ("xyz@partnership.example",)


def test_a_damaged_index_is_ignored_and_replaced(outbox: Outbox) -> None:
    a = outbox.write(letter("a"), NOW)
    outbox.root.joinpath(INDEX).write_text("{not json")
    assert [e.key for e in outbox.pending()] == [letter("a").key]
    assert indexed(outbox) == {a.name}
    outbox.root.joinpath(INDEX).write_text(json.dumps(
        {"format": 1, "letters": {a.name: ["junk"]}}))
    assert [e.key for e in outbox.pending()] == [letter("a").key]


def test_sent_letters_leave_the_index_held_ones_stay(outbox: Outbox) -> None:
    a, b, c = (outbox.write(letter(x), NOW) for x in ("a", "b", "c"))
    entries = {e.key: e for e in outbox.pending()}
    outbox.mark_sent(entries[letter("a").key], NOW, "250 ok")
    outbox.mark_rejected(entries[letter("b").key], NOW, "550 no")
    assert [e.key for e in outbox.pending()] == [letter("c").key]
    assert [e.key for e in outbox.held()] == [letter("b").key]
    assert indexed(outbox) == {b.name, c.name}
    outbox.release(letter("b").key)
    assert [e.key for e in outbox.pending()] == sorted([letter("b").key, letter("c").key])


def test_a_listing_that_cannot_write_the_index_still_lists(outbox: Outbox) -> None:
    outbox.write(letter("a"), NOW)
    (outbox.root / INDEX).mkdir()  # in the way: the index cannot be replaced
    assert [e.key for e in outbox.pending()] == [letter("a").key]
    assert [e.key for e in outbox.pending()] == [letter("a").key]
