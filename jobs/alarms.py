"""The nightly job's integrity alarm: raised by a failed verify, kept until acknowledged.

A tamper found once must not be forgotten the next night. Two things make the alarm
sticky, both kept under ``<home>/nightly/`` (the ledger's own database is what an attacker
would have changed):

- ``verified.json``: the position (and its stored chain hash) up to which a run last
  verified the ledger *clean*. The next run verifies from there, not from the last
  checkpoint, which a person may sign by hand after a tamper; the mark moves only when
  every finding is acknowledged, so the tampered event is verified again every night.
- ``alarms.json``: every finding raised, open or acknowledged, so the alarm stays up even
  if the finding stops reproducing (someone put the row back). A finding is its position,
  its kind and a fingerprint of the row found there, with the ledger's size when it was
  raised.

An admin acknowledges a finding by recording ``integrity-alarm-acknowledged`` (its
position, kind and what was done). It counts only if recorded after the finding was
raised: an acknowledgement recorded in advance (or by a stolen admin key before the
tamper) silences nothing. A row changed again after its acknowledgement is a new finding.
Verify still reports every finding, beside the acknowledgement.

Read models that disagree with the events (kind ``projection``, projections.check) raise
the same alarm. Their rows are not events, so such a finding brings its own fingerprint
(the rows' location and content) and a case's rows are one finding at the case's last
event (``grouped``): one line in the letter, one acknowledgement. Rows that differ only
in cases whose events were themselves found altered are that finding's consequence (they
were built from the events as they were), not a second alarm.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlalchemy import select

from jobs.files import replace_file
from jobs.messages import text
from jobs.outbox import Message, make_key, token
from ledger.app import LedgerApplication

_LOCK, _MARK, _ALARMS = ".lock", "verified.json", "alarms.json"


@dataclass(frozen=True)
class Mark:
    position: int = 0
    chain_hash: bytes | None = None
    full_on: str | None = None  # London date of the last verify of the whole ledger


def folder(home_root: Path) -> Path:
    path = home_root / "nightly"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


@contextmanager
def _locked(home_root: Path) -> Iterator[Path]:
    # Read-modify-write of the state files by runs at once (two cron hosts, or a rerun)
    # happens under one flock; the kernel drops it if a run dies.
    where = folder(home_root)
    fd = os.open(where / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield where
    finally:
        os.close(fd)


def _read(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return default


def _write(path: Path, value: Any) -> None:
    replace_file(path, json.dumps(value, indent=2, sort_keys=True) + "\n")


def load_mark(home_root: Path) -> Mark:
    data = _read(folder(home_root) / _MARK, None)
    if not data:
        return Mark()
    return Mark(int(data["position"]), bytes.fromhex(data["chain_hash"]),
                data.get("full_on"))


def advance_mark(home_root: Path, position: int, chain_hash: bytes,
                 full_on: str | None = None) -> None:
    """Remember that the ledger verified clean up to ``position`` (the whole of it when
    ``full_on`` is given); the position never moves back."""
    with _locked(home_root) as where:
        mark = load_mark(home_root)
        if position > mark.position:  # another run at once may have gone further
            mark = Mark(position, chain_hash, mark.full_on)
        if full_on is not None:
            mark = Mark(mark.position, mark.chain_hash, full_on)
        assert mark.chain_hash is not None
        _write(where / _MARK, {"position": mark.position, "chain_hash": mark.chain_hash.hex(),
                               "full_on": mark.full_on})


_ROW = ("originator_id", "originator_version", "topic", "state", "chain_hash", "signature",
        "sealed", "recorded_at", "case_ref", "actor", "key_id", "event_type")
ABSENT = "absent"  # no row at the position (removed, or never there)


def fingerprints(app: LedgerApplication, positions: Iterable[int]) -> dict[int, str]:
    """SHA-256 of each stored row at ``positions`` (every column, as stored), or ABSENT:
    what was found there. Rows are never changed by the product, so a different digest at
    the same position is a change made outside it."""
    wanted = sorted(set(positions))
    out = dict.fromkeys(wanted, ABSENT)
    t = app.events_table
    with app.engine.connect() as conn:
        for i in range(0, len(wanted), 500):
            for row in conn.execute(select(t.c.position, *[t.c[c] for c in _ROW])
                                    .where(t.c.position.in_(wanted[i:i + 500]))):
                digest = hashlib.sha256()
                for value in row[1:]:
                    part = b"\0" if value is None else (
                        bytes(value) if isinstance(value, (bytes, memoryview))
                        else str(value).encode("utf-8", "surrogatepass"))
                    digest.update(len(part).to_bytes(8, "big") + part)
                out[int(row[0])] = digest.hexdigest()
    return out


def _entry(a: dict[str, Any], size: int, seen: dict[int, str]) -> dict[str, Any]:
    """One finding of alarms.json, with the fields an older version did not keep: a
    finding it raised counts as raised now (only an acknowledgement recorded from now on
    clears it) and found as the row is now."""
    out = dict(a)
    out.setdefault("raised_size", size)
    if out.get("fingerprint") is None:
        out["fingerprint"] = seen[out["position"]]
    out.setdefault("acknowledged_at", None)
    out.setdefault("acknowledged_fingerprint", None)
    return out


def update_alarms(home_root: Path, app: LedgerApplication, found: list[dict[str, Any]],
                  acknowledgements: dict[tuple[int, str], list[int]], size: int,
                  now: str) -> list[dict[str, Any]]:
    """Add this run's findings to the alarm, apply the acknowledgements that count, and
    return what is still open: [{"position", "kind", "raised_at", "raised_size"}].

    A finding is (position, kind, fingerprint of the row found there), raised when the
    ledger held ``raised_size`` events (``size``: the verified snapshot's). An
    acknowledgement naming its position and kind clears it only if recorded after that
    (its own position is greater): one recorded in advance, before the finding was raised,
    counts for nothing. A row changed again after its finding was acknowledged (another
    fingerprint) is a new finding, which needs an acknowledgement of its own; acknowledged
    rows are fingerprinted again every run, as the incremental verify no longer reads them.
    ``acknowledgements`` must come from the snapshot of size ``size``.
    """
    with _locked(home_root) as where:
        stored = _read(where / _ALARMS, [])
        seen = fingerprints(app, [f["position"] for f in found]
                            + [a["position"] for a in stored])
        entries = [_entry(a, size, seen) for a in stored]
        known = {(a["position"], a["kind"], a["fingerprint"]) for a in entries} | {
            (a["position"], a["kind"], a["acknowledged_fingerprint"]) for a in entries
            if a["acknowledged_at"] is not None}

        def raise_(position: int, kind: str, own: str | None = None) -> None:
            fingerprint = own or seen[position]
            key = (position, kind, fingerprint)
            if key not in known:
                known.add(key)
                entries.append({"position": position, "kind": kind, "raised_at": now,
                                "raised_size": size, "fingerprint": fingerprint,
                                "acknowledged_at": None, "acknowledged_fingerprint": None,
                                **({"own_fingerprint": True} if own else {})})

        for a in list(entries):
            # A row is only ever absent or present by the ledger growing over a position
            # that had none: the verify of the new rows covers that. A finding that
            # fingerprints itself (a read-model row) is raised again only by being found.
            if a["acknowledged_at"] is not None and a["acknowledged_fingerprint"] != ABSENT \
                    and not a.get("own_fingerprint") \
                    and seen[a["position"]] != a["acknowledged_fingerprint"]:
                raise_(a["position"], a["kind"])
        # A read model that differs only for cases whose events were themselves found
        # altered is that finding's consequence (the rows were built from the events as
        # they were), not a second alarm; the nightly rebuilds them.
        tampered = _cases_at(app, [a["position"] for a in entries
                                   if not a.get("own_fingerprint")]
                             + [f["position"] for f in found if not f.get("fingerprint")])
        for f in found:
            if f.get("fingerprint") and f.get("cases") and set(f["cases"]) <= tampered:
                continue
            raise_(int(f["position"]), str(f["kind"]), f.get("fingerprint"))
        for a in entries:
            if a["acknowledged_at"] is None:
                after = [p for p in acknowledgements.get((a["position"], a["kind"]), ())
                         if p > a["raised_size"]]
                if after:
                    a["acknowledged_at"] = after[0]
                    a["acknowledged_fingerprint"] = (a["fingerprint"] if a.get(
                        "own_fingerprint") else seen[a["position"]])
        entries.sort(key=lambda a: (a["position"], a["kind"], a["raised_size"]))
        if entries or (where / _ALARMS).exists():
            _write(where / _ALARMS, entries)
        return [{k: a[k] for k in ("position", "kind", "raised_at", "raised_size")}
                for a in entries if a["acknowledged_at"] is None]


def finding(problem: Any) -> dict[str, Any]:
    """A verify problem as ``update_alarms`` takes it. A read-model finding (projections.
    check) brings its own fingerprint (the row it is about is not an event, and its
    position, the case's last event, says nothing of what was changed) and its case."""
    out = problem.as_json()
    own = getattr(problem, "fingerprint", "")
    if not own:
        return out
    case = out.get("key", {}).get("case")
    return {**out, "fingerprint": own, "cases": [case] if isinstance(case, str) else []}


def grouped(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One finding per (position, kind) for those that fingerprint themselves: a case's
    read-model rows edited together are one alarm line and one acknowledgement."""
    own: dict[tuple[int, str], list[dict[str, Any]]] = {}
    out = []
    for f in found:
        if f.get("fingerprint"):
            own.setdefault((int(f["position"]), str(f["kind"])), []).append(f)
        else:
            out.append(f)
    for (position, kind), group in sorted(own.items()):
        prints = "\n".join(sorted(f["fingerprint"] for f in group))
        out.append({"position": position, "kind": kind,
                    "fingerprint": hashlib.sha256(prints.encode()).hexdigest(),
                    "cases": sorted({c for f in group for c in f.get("cases", ())})})
    return out


def _cases_at(app: LedgerApplication, positions: Iterable[int]) -> set[str]:
    """The cases of the events at ``positions`` (as indexed)."""
    wanted = sorted(set(positions))
    t = app.events_table
    out: set[str] = set()
    with app.engine.connect() as conn:
        for i in range(0, len(wanted), 500):
            out.update(r for (r,) in conn.execute(select(t.c.case_ref).where(
                t.c.position.in_(wanted[i:i + 500]))) if isinstance(r, str))
    return out


def admin_recipients() -> tuple[str, ...]:
    value = os.environ.get("CSPR_NOTIFY_ADMIN") or os.environ.get("CSPR_NOTIFY_TO") \
        or "admin@localhost"
    return tuple(a.strip() for a in value.split(",") if a.strip())


def alarm_message(alarms: list[dict[str, Any]]) -> Message:
    """One letter per distinct set of open findings: the same alarm on the next night is
    the same letter (written once); a new finding makes a new one. It names positions and
    kinds only: never event contents, which may be personal data or an attacker's text."""
    lines = "".join(f"  position {a['position']}: {a['kind']} (found when the ledger held "
                    f"{a['raised_size']} events)\n" for a in alarms)
    digest = hashlib.sha256(lines.encode()).hexdigest()[:24]
    views = ("\nA finding of kind 'projection' is a read model (case view, clock, action, "
             "decision trail, chronology, tracking position) that no longer says what the "
             "events say: 'cspr verify --projections' locates each row, and 'cspr "
             "projections rebuild' rebuilds them from the events (once the finding is "
             "acknowledged, the nightly job rebuilds them itself before using them).\n"
             if any(a["kind"] == "projection" for a in alarms) else "")
    return Message(
        key=f"integrity-alarm:{digest}", to=admin_recipients(),
        subject=f"[CSPR] INTEGRITY ALARM: {len(alarms)} unacknowledged verify finding(s)",
        body=("cspr verify found the ledger altered outside the product. The nightly job "
              "records nothing, signs no checkpoint and fails every night until an admin "
              "acknowledges each finding:\n\n" + lines +
              "\nInvestigate with 'cspr verify', then for each finding record\n"
              "  cspr --as admin record integrity-alarm-acknowledged --data "
              "'{\"position\": N, \"kind\": \"KIND\", \"action_taken\": \"...\"}'\n"
              "(see docs/cron.md).\n" + views),
        case="ledger")


def unprocessable_message(case: str) -> Message:
    """A case whose events cannot be processed: everything else went on without it."""
    return Message(
        key=make_key("unprocessable", case), to=admin_recipients(),
        subject=f"[CSPR] Case {text(case)} cannot be processed",
        body=(f"Case: {text(case)}\n\nThe nightly job could not compute this case's "
              "timescales from its events, so no breach or escalation is recorded for it "
              "and its letters wait. Every other case was processed. The events are in the "
              "ledger as they were recorded; please report this case reference to the "
              "ledger's maintainers. The nightly job exits 1 until it is resolved.\n"),
        case=token(case))
