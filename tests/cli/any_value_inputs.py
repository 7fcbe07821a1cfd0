"""What an attacker or a careless user hands ``cspr record``: generated event inputs for the
property in test_any_value.py.

Values are carried as raw JSON text, not Python objects, so that inputs Python's own
``json.dumps`` cannot write (nesting 3,000 deep, a literal lone surrogate) reach the parser
exactly as a user would type them. Big values are built once and drawn with
``sampled_from``, so hypothesis neither spends its byte budget on them nor shrinks them.
The pools hold the values issue 8 found breaking commands and their neighbours on either
side of every limit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from cli.record import RECORDABLE
from domain.catalogue import EVENT_TYPES
from tests.scenario import data as example_data

TODAY = date(2026, 7, 6)  # a Monday; the frozen "today" of every example
NOW = "2026-07-06 12:00:00"
TOMORROW = TODAY + timedelta(days=1)

# Made-up personal data: an error message that echoes a typed value or field name shows it.
SECRET = "Quillfeather"
SECRET_TEXT = f"Zephyrine {SECRET}"


def js(value: Any) -> str:
    return json.dumps(value)


def _deep(n: int) -> str:
    return "[" * n + "]" * n


def _deep_object(n: int) -> str:
    return '{"a": ' * n + "1" + "}" * n


DATES = [
    "1899-12-31", "1900-01-01", "1900-01-02", "1989-12-31", "1990-01-01", "1990-01-02",
    "2100-12-30", "2100-12-31", "2101-01-01", "9999-12-31", "0001-01-01", "0000-01-01",
    TODAY.isoformat(), TOMORROW.isoformat(), (TODAY - timedelta(days=1)).isoformat(),
    "2024-02-29", "2026-02-29", "2026-13-01", "2026-7-6", "20260706", "2026-07-06T00:00",
    "1995-05-05", "2000-01-03", "2014-12-31", "2015-01-01", "2040-12-31", "2041-01-01",
    "2050-06-15", "２０２６-07-06", "2026-07-06 ", " 2026-07-06", "",
]
DATETIMES = [
    "0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00-01:00", "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59+00:00", "1900-01-01T00:00:00Z", "1989-12-31T23:59:59Z",
    "1990-01-01T00:00:00+00:00", "2100-12-31T23:59:59Z", "2026-07-06T11:00:00Z",
    "2026-07-06T23:59:59+14:00", "2026-07-07T00:00:00-12:00", "2026-07-06T12:00:00",
    "2026-07-06T25:00:00+00:00", "2026-07-06T12:00:00+24:00", "2026-07-06T12:00:00.1234567Z",
]
TEXTS = [
    "Improve info sharing", "", " ", "\t\n", "x" * 64, "x" * 65, "x" * 200, "x" * 201,
    "x" * 1000, "x" * 10_000, "a\x00b", "\x00", "\ud800", "a\udfffb", "\x01\x07\x1b[31m",
    "line\nbreak", "\u202eevil", "Zéphyrine ☃ 😀", "\ufeffBOM", "é" * 65, SECRET_TEXT,
    SECRET_TEXT + "\x00",
]
IDENTIFIERS = [
    "R1", "R 1", "R1 ", " R1", "R-1.2/3", "R1\n", "Ŕ1", "R１", "a" * 63, "a" * 64, "a" * 65,
    "a" * 200, "a" * 201, "-R1", ".", "..", "../x", "R1\x00", "R\ud800", "<script>",
    "R1,R2", "r1", "Agency A", "Agency\u00a0A",
]
HUGE = [
    js("x" * 3_000_000), js("é" * 1_000_000), js(["x"] * 200_000), js(list(range(200_000))),
    _deep(3000), _deep_object(3000), _deep(999), js({"name": "x" * 3_000_000}),
]
WRONG_TYPES = [
    "0", "-1", "1.5", "1e400", "-1e400", "NaN", "Infinity", str(2**70), "true", "false",
    "null", "[]", "{}", '["x"]', '[""]', js([None]), js([1, 2]), js({"name": ["x"]}),
    js(["a"] * 201), js(["a", "a"]), js({"x": 1}), "18.0", "17", "25", "-0",
    "9223372036854775807", "9223372036854775808", str(-2**63 - 1),
]

_RAW_TEXTS = [js(t) for t in TEXTS] + ['"\ud800"', '"a\x00b"']  # literal, unescaped
_RAW_DATES = [js(d) for d in DATES]


def any_raw(kind: str) -> st.SearchStrategy[str]:
    """A raw JSON value for a field of ``kind``: mostly near its own kind's limits, often
    another kind, sometimes huge."""
    own = {
        "date": st.one_of(st.sampled_from(_RAW_DATES),
                          st.dates(date(1, 1, 1), date(9999, 12, 31)).map(
                              lambda d: js(d.isoformat()))),
        "datetime": st.sampled_from([js(d) for d in DATETIMES + DATES]),
        "text": st.one_of(st.sampled_from(_RAW_TEXTS + [js(i) for i in IDENTIFIERS]),
                          st.text(max_size=80).map(js)),
        "list": st.one_of(st.sampled_from([js([t]) for t in TEXTS[:12]] + WRONG_TYPES),
                          st.lists(st.text(max_size=20), max_size=5).map(js)),
    }.get(kind, st.sampled_from(WRONG_TYPES))
    return st.one_of(own, own, st.sampled_from(WRONG_TYPES + _RAW_DATES + _RAW_TEXTS),
                     st.sampled_from(HUGE))


@dataclass(frozen=True)
class Attempt:
    """One ``cspr record`` (or one-line ``cspr import``) a user might try."""

    type_name: str
    case: str | None  # None: no --case (an event about the whole ledger)
    # (field, raw JSON value, or None to leave the field out), applied in order
    changes: tuple[tuple[str, str | None], ...] = ()
    occurred_at: str | None = None
    via: str = "data"  # data | data-file | stdin | import | missing-file | dir | binary
    actor: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # import line keys, raw JSON

    def data_text(self) -> str:
        """The event's data as the user would type it: the valid example, then changes."""
        base = {k: js(v) for k, v in TARGETS[self.type_name][2].items()}
        for name, raw in self.changes:
            if raw is None:
                base.pop(name, None)
            else:
                base[name] = raw
        return "{" + ", ".join(f"{js(k)}: {v}" for k, v in base.items()) + "}"

    def import_line(self) -> str:
        parts = {"type": js(self.type_name), "data": self.data_text(),
                 "as": js(self.actor or TARGETS[self.type_name][0])}
        if self.case is not None:
            parts["case"] = js(self.case)
        if self.occurred_at is not None:
            parts["occurred_at"] = js(self.occurred_at)
        parts.update(self.extra)
        return "{" + ", ".join(f"{js(k)}: {v}" for k, v in parts.items()) + "}"

    def __repr__(self) -> str:  # a falsifying example must stay readable
        changes = [(n, r if r is None or len(r) < 120 else f"<{len(r)} chars: {r[:40]}…>")
                   for n, r in self.changes]
        return (f"Attempt({self.type_name!r}, case={(self.case or '')[:80]!r}, "
                f"changes={changes}, "
                f"occurred_at={self.occurred_at!r}, via={self.via!r}, actor={self.actor!r}, "
                f"extra={self.extra})")


# type -> (actor, the base ledger's case it targets, valid data to start from). The listed
# ones start from data the base ledger accepts; every other recordable type starts from its
# catalogue example on P-1 (a procedure rule may refuse it: exit 1 is an outcome too).
TARGETS: dict[str, tuple[str, str | None, dict[str, Any]]] = {
    "incident-referred": ("bu1", "N-1", example_data("incident-referred")),
    "threshold-decided": ("p1", "P-2", example_data("threshold-decided")),
    "rapid-review-held": ("p1", "P-1", example_data("rapid-review-held", on="2026-07-03")),
    "agency-information-received": ("ag1", "P-1", example_data(
        "agency-information-received")),
    # a deadline already past: the nightly writes this action's escalation letters
    "action-agreed": ("ldc", "P-1", example_data("action-agreed", action="R9",
                                                 deadline="2026-02-27")),
    "action-extended": ("ldc", "P-1", example_data("action-extended", action="R1",
                                                   new_deadline="2026-12-31")),
    "action-completed": ("ag1", "P-1", example_data("action-completed", action="R2",
                                                    on="2026-07-03")),
    "action-updated": ("ag1", "P-1", example_data("action-updated", action="R3")),
    "action-escalated": ("ldc", "P-1", example_data("action-escalated", action="R3",
                                                    level="partners", on="2026-07-03")),
    "escalation-responded": ("ag1", "P-1", example_data("escalation-responded",
                                                        action="R3")),
    "action-not-implemented": ("p1", "P-1", example_data("action-not-implemented",
                                                         action="R1")),
    "publication-planned": ("p1", "P-1", example_data("publication-planned",
                                                      planned_on="2026-09-01")),
    "report-published": ("bu1", "P-1", example_data("report-published", on="2026-07-03")),
    "report-withdrawn": ("bu1", "P-1", example_data("report-withdrawn", on="2026-07-03")),
    "chronology-entry-added": ("ag1", "P-1", example_data("chronology-entry-added")),
    "learning-route-decided": ("ldc", "P-3", example_data("learning-route-decided",
                                                          meeting_on="2026-07-03")),
    "deadline-breached": ("system", "P-1", example_data("deadline-breached")),
    # Issue 11 item 8: each on a case whose procedure state accepts it (test_any_value.py).
    "national-panel-decided": ("bu1", "P-1", example_data("national-panel-decided",
                                                          national_review=True)),
    "learning-outcome-shared": ("ldc", "P-4", example_data("learning-outcome-shared")),
    "reviewer-progress-requested": ("p1", "P-5", example_data("reviewer-progress-requested")),
    "reviewer-supervision-recorded": ("p1", "P-5", example_data(
        "reviewer-supervision-recorded")),
    "coroner-request-answered": ("p1", "P-5", example_data("coroner-request-answered")),
    "integrity-alarm-acknowledged": ("admin", None, example_data(
        "integrity-alarm-acknowledged")),
}
_ACTOR_OF_ROLE = {"business_unit": "bu1", "partner": "p1", "scrutineer": "scrut",
                  "ld_chair": "ldc", "reviewer": "rev", "agency": "ag1", "system": "system",
                  "admin": "admin"}
for _name in RECORDABLE:
    if _name not in TARGETS:
        _role = sorted(EVENT_TYPES[_name].roles)[0]
        TARGETS[_name] = (_ACTOR_OF_ROLE[_role], "P-1" if EVENT_TYPES[_name].stream in (
            "case", "review", "action") else None, example_data(_name))

# At the documented limits (domain/limits.py), which must be accepted and then work
# everywhere: 200-character names of 4-byte characters, 64-character references using
# every allowed punctuation, 200-item lists, 20,000-character texts, the window's ends.
NAME_200 = "Ä" + "😀" * 199
REF_64 = "A" + "b/c.d_e-" * 7 + "1234567"
FREE_20K = "😀" * 20_000
LIST_200 = [NAME_200] * 200

# --as: names a key file under keys/, so traversal and odd bytes are tried too
ACTORS_TRIED = ["nobody", "admin", "system", "../keys/admin", "bu1/../admin", "BU1", "bu1 ",
                "", "bu1\x00", "\ud800", "a" * 300]
CASE_REFS = ["N-1", "N 1", "Ñ-1", "a" * 64, "a" * 65, "", "-x", "N/../x", "N\x00",
             "N\ud800", SECRET_TEXT, "P-1", "C-2025-001/a.b_c"]
OCCURRED = [None, *DATETIMES, *DATES, "\x00", "\ud800", "yesterday", "x" * 10_000]


def _kind(type_name: str, name: str) -> str:
    for f in EVENT_TYPES[type_name].fields:
        if f.name == name:
            return f.kind
    return "unknown"


@st.composite
def attempts(draw: st.DrawFn) -> Attempt:
    type_name = draw(st.sampled_from(sorted(TARGETS)))
    actor, case, valid = TARGETS[type_name]
    names = [f.name for f in EVENT_TYPES[type_name].fields]
    changes = []
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.one_of(st.sampled_from(names), st.sampled_from(names),
                              st.sampled_from([SECRET_TEXT, "", "x" * 300]),
                              st.text(max_size=10)))
        raw = draw(st.one_of(st.none(), any_raw(_kind(type_name, name))))
        changes.append((name, raw))
    if type_name == "incident-referred":
        case = draw(st.one_of(st.sampled_from(CASE_REFS), st.from_regex(
            r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}", fullmatch=True), st.text(max_size=70)))
    elif case is None:  # about the whole ledger: a case given is refused (exit 2)
        case = draw(st.sampled_from([None] * 18 + ["P-1", "P-1 ", "N-1", ""]))
    else:  # the case it belongs to, or a near miss of it
        case = draw(st.sampled_from([case] * 18 + [f"{case} ", f" {case}", case.lower(),
                                                  f"{case}\n", f"{case}/../{case}", "N-1"]))
    actor = draw(st.sampled_from([actor] * 30 + ACTORS_TRIED))
    instants = st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30), timezones=st.sampled_from(
        [timezone.utc, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))]))
    occurred = draw(st.one_of(st.none(), st.none(), st.none(), st.sampled_from(OCCURRED),
                              instants.map(lambda d: d.isoformat())))
    via = draw(st.sampled_from(["data", "data", "data", "data-file", "stdin", "import"]))
    extra = {}
    if via == "import":
        extra = draw(st.sampled_from([{}, {}, {"as": '{"x": 1}'}, {"as": '["bu1"]'},
                                      {"as": "1"}, {"type": "[]"}, {"case": "{}"},
                                      {"data": "[]"}, {"occurred_at": "5"},
                                      {SECRET_TEXT: "1"}]))
    return Attempt(type_name, case, tuple(changes), occurred, via, actor, extra)
