"""``cspr record`` and ``cspr import``: parse what a person or a system hands us, then write."""

from __future__ import annotations

import gc
import json
import re
import tempfile
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from typing import IO, Any, Callable, Iterable, Iterator

from domain import limits
from domain.catalogue import BY_THEIR_COMMANDS
from domain.errors import CsprError, InvalidFieldError
from domain.procedure import Intent
from ledger.app import LedgerApplication
from ledger.signing import Signer
from service.acknowledgement import check_position, checked_positions
from service.actors import load_actor_signer
from service.home import Home
from service.writer import Receipt, Writer, make_intent

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


# A JSON string (its escapes included) or one bracket: what the depth scan looks at.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]')


def _deeper_than(text: str, limit: int) -> bool:
    """True when brackets outside strings nest deeper than ``limit``; no recursion."""
    # Nesting can be no deeper than the number of opening brackets (those inside strings
    # included): counted in C, this spares the scan for nearly every real line.
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        # Last-one-wins would silently drop a value; the name is not repeated back.
        raise ValueError("a field name given twice in one object")
    return out


# One decoder for every line: json.loads with options builds a new one on each call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, object_pairs_hook=_no_repeats)


def parse_data(text: str, field: str = "data") -> dict[str, Any]:
    """One JSON object from a person or a system, refused (exit 2, naming ``field``) when
    it is too large, nested too deep, malformed or not an object.

    Size and depth are checked before parsing, so no input can exhaust memory or the
    parser's recursion (limits.DATA_MAX_BYTES, limits.JSON_MAX_DEPTH).
    """
    if not isinstance(text, str):
        raise InvalidFieldError(field, "a JSON object", "not text")
    expected = (f"a JSON object of at most {limits.DATA_MAX_BYTES} bytes, nested at most "
                f"{limits.JSON_MAX_DEPTH} deep")
    # Characters first (cheap): a UTF-8 character is one to four bytes, so only a text
    # of over a quarter of the limit is encoded to count them.
    if len(text) > limits.DATA_MAX_BYTES or (
            len(text) * 4 > limits.DATA_MAX_BYTES
            and len(text.encode("utf-8", "surrogatepass")) > limits.DATA_MAX_BYTES):
        raise InvalidFieldError(field, expected, "too large")
    if _deeper_than(text, limits.JSON_MAX_DEPTH):
        raise InvalidFieldError(field, expected, "nested too deep")
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as e:
        raise InvalidFieldError(field, expected, f"malformed JSON ({e.msg} at "
                                                 f"line {e.lineno} column {e.colno})") from None
    except (ValueError, RecursionError) as e:
        # A number of more than 4,300 digits, NaN, a repeated name: the message is ours
        # or Python's, never the value.
        problem = str(e) if "twice" in str(e) or "not JSON" in str(e) else "a number too long"
        raise InvalidFieldError(field, expected, f"malformed JSON ({problem})") from None
    if not isinstance(value, dict):
        raise InvalidFieldError(field, expected, "not an object")
    return value


def record_event(app: LedgerApplication, home: Home, actor: str, type_name: str,
                 case: str | None, data: dict[str, Any], occurred_at: str | None = None,
                 clock: Clock = _utcnow) -> Receipt:
    _by_hand(type_name)
    intent = make_intent(type_name, case, data, occurred_at, actor, clock())
    check_position(app, intent)
    signer = load_actor_signer(home, actor)
    receipts = Writer(app, clock).append([intent], {actor: signer})
    return replace(receipts[0], head=receipts[-1].head)  # the transaction's signed head


IMPORT_FIELDS = ("type", "case", "data", "occurred_at", "as")
BATCH = 1000  # intents checked and saved at a time: what an import holds in memory
_IMPORT_FIELDS = frozenset(IMPORT_FIELDS)


def _intent_of(raw: str, default_actor: str | None, now: datetime) -> Intent:
    obj = parse_data(raw, "line")
    if not obj.keys() <= _IMPORT_FIELDS:
        # The name is not repeated: it could be anything, a child's name included.
        raise InvalidFieldError("line", "only the fields " + ", ".join(IMPORT_FIELDS),
                                "an unknown field")
    if not isinstance(obj.get("type"), str):
        raise InvalidFieldError("type", "an event type name", "missing")
    actor = obj.get("as", default_actor)
    if actor is None:
        actor = default_actor
    if not isinstance(actor, str) or not actor:
        raise InvalidFieldError("as", "an actor name (or --as)",
                                "missing" if not actor else "not a text")
    _by_hand(obj["type"])
    return make_intent(obj["type"], obj.get("case"), obj.get("data", {}),
                       obj.get("occurred_at"), actor, now)


def _by_hand(type_name: str) -> None:
    if type_name in BY_THEIR_COMMANDS:
        raise InvalidFieldError("type", "an event type recorded by hand (access, "
                                "disclosure and erasure are recorded by their commands)",
                                "not recorded by hand")


def _numbered(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    try:
        for n, raw in enumerate(lines, start=1):
            if raw.strip():
                yield n, raw
    except UnicodeDecodeError:
        raise InvalidFieldError("file", "UTF-8 text, one JSON object a line",
                                "not UTF-8 text")


def _tee(lines: Iterable[str], spool: IO[str]) -> Iterator[str]:
    for raw in lines:
        spool.write(raw if raw.endswith("\n") else raw + "\n")
        yield raw


def _checked(lines: Iterable[str], default_actor: str | None,
             now: datetime) -> Iterator[tuple[int, Intent]]:
    for n, raw in _numbered(lines):
        try:
            yield n, _intent_of(raw, default_actor, now)
        except CsprError as e:
            e.args = (f"line {n}: {e}",)
            raise


def _batched(items: Iterable[tuple[int, Intent]]) -> Iterator[list[tuple[int, Intent]]]:
    batch: list[tuple[int, Intent]] = []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH:
            yield batch
            batch = []
            _settle()
    if batch:
        yield batch


_freezing = False  # inside _collector_spared()


def _settle() -> None:
    # The streams an import has read so far stay until it ends: put them out of the
    # cyclic collector's way, which would otherwise rescan all of them again and again
    # as they grow (a tenth of a long import's time). They hold next to no cycles.
    if _freezing:
        gc.freeze()


@contextmanager
def _collector_spared() -> Iterator[None]:
    global _freezing
    if gc.get_freeze_count() or _freezing:  # someone else froze objects: leave it be
        yield
        return
    _freezing = True
    try:
        yield
    finally:
        _freezing = False
        gc.unfreeze()  # collectable again, like any object, once the import lets go


class _Signers(dict[str, Signer]):
    """Each actor's key, loaded when a line first names the actor."""

    def __init__(self, home: Home) -> None:
        super().__init__()
        self.home = home

    def __missing__(self, actor: str) -> Signer:
        self[actor] = load_actor_signer(self.home, actor)
        return self[actor]


def _with_signers(items: Iterable[tuple[int, Intent]],
                  signers: _Signers) -> Iterator[tuple[int, Intent]]:
    for n, intent in items:
        try:
            signers[intent.actor]
        except CsprError as e:
            e.args = (f"line {n}: {e}",)
            raise
        yield n, intent


def import_lines(app: LedgerApplication, home: Home, lines: Iterable[str],
                 default_actor: str | None, clock: Clock = _utcnow) -> list[Receipt]:
    """All lines or none, with memory bounded by a batch whatever the file's length.

    A first pass parses and validates every line and checks the procedure's rules
    against the ledger without writing, so a bad line anywhere is refused before any
    write lock is taken; it keeps the streams touched, never the lines. The second pass
    reads the lines again and appends them batch by batch inside one transaction
    (``Writer.append_batches``), checking the rules again under the write lock.
    """
    with _collector_spared():
        return _import(app, home, lines, default_actor, clock)


def _import(app: LedgerApplication, home: Home, lines: Iterable[str],
            default_actor: str | None, clock: Clock) -> list[Receipt]:
    now = clock()
    writer = Writer(app, clock)
    signers = _Signers(home)
    # A file that cannot be read twice (stdin, a list) is kept in a private spool file.
    source: Any = lines
    spool = None
    if not (hasattr(lines, "seekable") and lines.seekable()):  # type: ignore[attr-defined]
        spool = source = tempfile.TemporaryFile("w+", encoding="utf-8")
    try:
        start = source.tell() if spool is None else 0
        first = lines if spool is None else _tee(lines, spool)
        absent = writer.check_batches(
            _batched(_with_signers(checked_positions(app, _checked(first, default_actor, now)),
                                   signers)), signers)
        if not signers:
            return []  # no line held an event

        def batches() -> Iterator[list[tuple[int, Intent]]]:
            source.seek(start)
            return _batched(_checked(source, default_actor, now))

        return writer.append_batches(batches, dict(signers), absent)
    finally:
        if spool is not None:
            spool.close()
