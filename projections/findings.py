"""What a read-model finding says (projections.check): the table, the row's key and the
columns that differ, never a value: a cell may hold personal data, and an extra row's key
is whatever someone typed (shown escaped and cut short)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table

from ledger.report import Problem
from projections import tables as T

PROJECTION = "projection"
LISTED = 1000  # findings kept in full; a wiped table is one cause, not a million lines
BY_POSITION = {T.decisions.name, T.chronology.name}


@dataclass
class ProjectionProblem(Problem):
    table: str = ""
    finding: str = ""  # changed, missing, extra, table, column, tracking, more
    key: dict[str, Any] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    # What the nightly's alarm remembers (jobs.alarms): the location and the live row's
    # content, hashed; never shown.
    fingerprint: str = field(default="", repr=False)

    def as_json(self) -> dict[str, Any]:
        return {**super().as_json(), "table": self.table, "finding": self.finding,
                "key": self.key, "columns": self.columns}


@dataclass
class ProjectionCheck:
    present: bool = True  # False: the database holds no read model at all
    position: int = 0  # the tracking position the rows were compared at
    rows_compared: int = 0
    problems: list[ProjectionProblem] = field(default_factory=list)
    unlisted: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def differences(self) -> int:
        return len([p for p in self.problems if p.finding != "more"]) + self.unlisted

    def summary(self) -> str:
        if not self.present:
            return ("projections: this database holds no projected row (never built, "
                    "emptied or dropped): nothing to compare; the next read command "
                    "builds them from the events")
        return (f"projections: {self.rows_compared} rows compared with a rebuild from the "
                f"events up to position {self.position}: "
                + ("all agree" if self.ok else f"{self.differences} finding(s)"))

    def as_json(self) -> dict[str, Any]:
        return {"checked": self.present, "ok": self.ok, "position": self.position,
                "rows_compared": self.rows_compared, "differences": self.differences}


def structure(table: str, finding: str, columns: list[str], what: str) -> ProjectionProblem:
    return ProjectionProblem(0, PROJECTION, f"{table}: {what}", table=table,
                             finding=finding, columns=columns,
                             fingerprint=_digest(table, finding, columns))


def tracking_problem(name: Any, finding: str, what: str) -> ProjectionProblem:
    key = {"name": _shown(name)}
    return ProjectionProblem(0, PROJECTION, f"{T.tracking.name} {key['name']}: {what}",
                             table=T.tracking.name, finding=finding, key=key,
                             columns=[] if finding != "changed" else ["position"],
                             fingerprint=_digest(T.tracking.name, finding, key))


def row_problem(table: Table, cols: list[str], row: tuple[Any, ...],
                live: tuple[Any, ...] | None, finding: str,
                columns: list[str]) -> ProjectionProblem:
    """A row ``missing`` from the live table, ``extra`` there, or ``changed`` in
    ``columns``; ``live`` is the live row (its content goes into the fingerprint)."""
    values = dict(zip(cols, row))
    if table.name in BY_POSITION:
        position = values.get("position")
        key = {"position": position if type(position) is int else _shown(position),
               "case": _shown(values.get("case_ref"))}
    else:
        position = 0  # located later (_locate): the case's last event
        key = {"case": _shown(values.get("case_ref"))}
        key.update({k.name: _shown(values.get(k.name))
                    for k in table.primary_key.columns if k.name != "case_ref"})
    where = ", ".join(f"{k} {v}" for k, v in key.items() if v != "")  # '': a case clock
    what = {"missing": "row missing (the events give it)",
            "extra": "row not given by the events",
            "changed": f"column(s) {', '.join(columns)} differ from the events"}[finding]
    return ProjectionProblem(position if type(position) is int else 0, PROJECTION,
                             f"{table.name}: {where}: {what}", table=table.name,
                             finding=finding, key=key, columns=columns,
                             fingerprint=_digest(table.name, finding, key, columns, live))


def add(result: ProjectionCheck, problem: ProjectionProblem) -> None:
    if len(result.problems) < LISTED:
        result.problems.append(problem)
    else:
        result.unlisted += 1


def count_unlisted(result: ProjectionCheck) -> None:
    """One last finding saying how many more were found than listed."""
    if result.unlisted:
        result.problems.append(ProjectionProblem(
            0, PROJECTION, f"{result.unlisted} more differing rows, not listed",
            finding="more", fingerprint=str(result.unlisted)))


def _shown(value: Any) -> Any:
    """A key as it may be printed: a number, or a text with anything unprintable
    escaped and cut at 80 characters (an extra row's key is whatever someone typed)."""
    if value is None or type(value) is int:
        return value
    if not isinstance(value, str):
        return f"<{type(value).__name__}>"
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in value)
    return text if len(text) <= 80 else text[:79] + "…"


def _digest(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8", "backslashreplace")).hexdigest()
