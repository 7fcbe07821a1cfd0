"""Evidence packs: export one case or one period of the ledger for an outside recipient
(Ofsted, the DfE, a challenge review), who checks it offline with the pack's verify.py
and the partnership's published system vkey (docs/evidence-format.md §20).

The pack holds the events in scope as stored (payload bytes, signatures, chain hashes,
signed heads; never the sealed personal data, whose SHA-256 commitment is in the signed
payload), every key event and rule-set event up to its checkpoint, a C2SP checkpoint note
(the latest the ledger signed if it covers everything, with its witnesses'
cosignatures; else a new one), an inclusion proof per event (service.pack_proofs), and a
consistency proof from the checkpoint the recipient already holds. Before anything is
written where the recipient will look, the pack is verified with the very verify.py it
ships, and its page is rendered from what verified.
"""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from domain.catalogue import EVENT_TYPES
from domain.errors import CsprError, InvalidFieldError, UnknownCaseError
from evidence import verify_pack
from evidence.html import render
from evidence.readme import TEXT as README
from ledger.app import LedgerApplication
from ledger.checkpoint_note import note_view, system_vkey
from ledger.mapper import format_instant
from ledger.note import NoteError
from ledger.read_only import refuses_writes
from ledger.rowtypes import raw, stream_id
from service.actors import load_actor_signer
from service.evidence import create_checkpoint, load_checkpoint
from service.home import Home
from service.pack_checkpoint import rebuilt_note, reusable_checkpoint
from service.pack_proofs import pack_proofs

LONDON = ZoneInfo("Europe/London")
KEY_EVENTS = ("actor-registered", "actor-key-rotated", "actor-revoked",
              "ledger-initialised", "rule-set-adopted")
_COLUMNS = ("position", "originator_id", "originator_version", "topic", "state",
            "signature", "chain_hash", "head_signature", "head_previous")


class CheckpointNeededError(CsprError):
    def __init__(self, last: int) -> None:
        super().__init__(f"the pack needs a new checkpoint (none signed covers position "
                         f"{last}), and this database refuses writes (a read-only copy, "
                         "such as a replica): export on the primary, or here once the "
                         "nightly has signed one")


class LedgerDoesNotExtendError(CsprError):
    def __init__(self) -> None:
        super().__init__("the ledger's first events no longer give the root of the "
                         "checkpoint given (--since-checkpoint) or of its own: run "
                         "'cspr verify'")


class PackDoesNotVerifyError(CsprError):
    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        shown = "; ".join(f"position {p}: {k}" for p, k, _ in problems[:10])
        super().__init__(f"the pack does not verify ({shown}); nothing was written: run "
                         "'cspr verify'")


@dataclass(frozen=True)
class Scope:
    kind: str  # "case" or "period"
    case: str | None = None
    start: date | None = None
    end: date | None = None

    def as_json(self) -> dict[str, Any]:
        if self.kind == "case":
            return {"kind": "case", "case": self.case}
        return {"kind": "period", "from": self.start.isoformat(), "to": self.end.isoformat(),
                "recorded_from": self.bounds()[0], "recorded_to": self.bounds()[1]}

    def bounds(self) -> tuple[str, str]:
        """The recorded instants of the period: London days, inclusive."""
        first = datetime.combine(self.start, time.min, LONDON)
        last = datetime.combine(self.end, time.max, LONDON)
        return format_instant(first), format_instant(last)


@dataclass(frozen=True)
class Exported:
    folder: Path
    zip: Path
    events: int
    key_events: int
    size: int
    new_checkpoint: bool


def export_pack(app: LedgerApplication, home: Home, scope: Scope, output: Path,
                since_file: Path | None = None, by: str = "system",
                clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
                ) -> Exported:
    """Write the pack to ``output`` and ``output``.zip. Only a new checkpoint (if one is
    needed) is appended to the ledger, and only once the pack's content is known."""
    output = Path(output)
    zip_path = output.with_name(output.name + ".zip")
    if output.exists() or zip_path.exists() or not output.parent.is_dir():
        raise InvalidFieldError("--output", "a folder that does not exist yet, in an "
                                "existing folder (the .zip beside it must not exist)",
                                "cannot be written")
    signer = load_actor_signer(home, by)
    origin = app.origin()
    since = _since(since_file, origin) if since_file else None
    positions = _scope_positions(app, scope)
    reuse = reusable_checkpoint(app, max(positions), since[0] if since else 0)
    if reuse is None and refuses_writes(app.engine):
        raise CheckpointNeededError(max(positions))
    size = reuse["size"] if reuse else app.size()
    keys = _key_positions(app, size)
    proofs = pack_proofs(app, size, set(positions) | set(keys),
                         since[:2] if since else None,
                         bytes.fromhex(reuse["root_hash"]) if reuse else None)
    if since and proofs.roots.get(since[0]) != since[1]:
        raise LedgerDoesNotExtendError()
    if reuse:
        if proofs.root().hex() != reuse["root_hash"]:
            raise LedgerDoesNotExtendError()
        note = rebuilt_note(app, origin, reuse)
    else:
        note = create_checkpoint(app, home, clock, by=by, tree=proofs.tree())["note"]
    records = _records(app, set(positions) | set(keys))
    manifest = {
        "format": verify_pack.FORMAT, "origin": origin, "ledger": app.ledger_id(),
        "partnership": app.partnership(), "scope": scope.as_json(),
        "created_at": format_instant(clock()),
        "checkpoint": {"size": size, "root_hash": proofs.root().hex()},
        "since": None if since is None else {"size": since[0], "root_hash": since[1].hex()},
        "events": len(positions), "key_events": len(keys),
        "streams": _complete_streams(records.values()),
        "roles": {t.name: sorted(t.roles) for t in EVENT_TYPES.values()},
        "key_id": signer.key_id, "vkey": system_vkey(origin, signer.public_key_raw),
    }
    if scope.kind == "period":
        manifest["scope"].update(first=positions[0], last=positions[-1])
    files = {
        "events.jsonl": _jsonl(records[p] for p in positions),
        "keys.jsonl": _jsonl(records[p] for p in keys),
        "checkpoint.note": note.encode("utf-8"),
        "proofs.json": _pretty({"inclusion": {str(p): [h.hex() for h in proofs.inclusion(p)]
                                              for p in sorted(set(positions) | set(keys))},
                                "consistency": None if since is None else
                                [h.hex() for h in proofs.consistency()]}),
        "verify.py": Path(verify_pack.__file__).read_bytes(),
        "README.txt": README.encode("utf-8"),
    }
    if since is not None:
        files["since.note"] = since[2]
    _write(output, files, manifest, signer, clock)
    _zip(output, zip_path)
    return Exported(output, zip_path, len(positions), len(keys), size, reuse is None)


def _write(output: Path, files: dict[str, bytes], manifest: dict[str, Any], signer: Any,
           clock: Callable[[], datetime]) -> None:
    """Write, verify with the pack's own verify.py, render the page from what verified,
    sign the manifest of it all, and only then move the folder to where the recipient
    looks (tests/cli/test_evidence_pack.py checks the finished pack)."""
    vkey = manifest["vkey"]
    work = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        for name, data in files.items():
            (work / name).write_bytes(data)
        _sign_manifest(work, manifest, files, signer)
        checked = verify_pack.check(work, [vkey])
        if checked.problems:
            raise PackDoesNotVerifyError(sorted(checked.problems))
        files["index.html"] = render(checked, manifest, clock()).encode("utf-8")
        (work / "index.html").write_bytes(files["index.html"])
        _sign_manifest(work, manifest, files, signer)  # the files verified, plus the page
        work.chmod(0o755)
        work.rename(output)
    finally:
        if work.exists():
            shutil.rmtree(work)


def _sign_manifest(folder: Path, manifest: dict[str, Any], files: dict[str, bytes],
                   signer: Any) -> None:
    manifest.pop("signature", None)
    manifest["files"] = {name: verify_pack.sha(data).hex() for name, data in files.items()}
    manifest["signature"] = signer.sign(verify_pack.manifest_message(manifest)).hex()
    (folder / verify_pack.MANIFEST).write_bytes(verify_pack.manifest_bytes(manifest))


def _zip(folder: Path, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.iterdir()):
            z.write(path, f"{folder.name}/{path.name}")
    partial.rename(target)


def _jsonl(records: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(verify_pack.canonical(r) + b"\n" for r in records)


def _pretty(value: Any) -> bytes:
    return (json.dumps(value, indent=1, sort_keys=True) + "\n").encode()


def _since(path: Path, origin: str) -> tuple[int, bytes, bytes]:
    """(size, root, note bytes) of the checkpoint the recipient holds."""
    cp = load_checkpoint(path)
    try:
        view = note_view(cp["note"])
    except (KeyError, TypeError, NoteError):
        raise InvalidFieldError("--since-checkpoint", "a checkpoint note (or JSON "
                                "checkpoint file) of this ledger", "invalid")
    if view["origin"] != origin or view["size"] < 1:
        raise InvalidFieldError("--since-checkpoint", "a checkpoint note of this ledger, of "
                                "at least one event", "another ledger's")
    return view["size"], bytes.fromhex(view["root_hash"]), view["note"].encode("utf-8")


def _scope_positions(app: LedgerApplication, scope: Scope) -> list[int]:
    t = app.events_table
    with app.engine.connect() as conn:
        if scope.kind == "case":
            rows = conn.execute(select(t.c.position).where(t.c.case_ref == scope.case)
                                .order_by(t.c.position)).scalars().all()
            if not rows:
                raise UnknownCaseError(scope.case)
            return list(rows)
        start, end = scope.bounds()
        first, last = conn.execute(select(func.min(t.c.position), func.max(t.c.position))
                                   .where(t.c.recorded_at >= start,
                                          t.c.recorded_at <= end)).one()
    if first is None:
        raise InvalidFieldError("--from", "a period in which the ledger recorded events",
                                "no events")
    # Every position between the first and the last: the chain links prove none is missing.
    return list(range(first, last + 1))


def _key_positions(app: LedgerApplication, size: int) -> list[int]:
    t = app.events_table
    with app.engine.connect() as conn:
        return list(conn.execute(select(t.c.position).where(
            t.c.event_type.in_(KEY_EVENTS), t.c.position <= size)
            .order_by(t.c.position)).scalars())


def _records(app: LedgerApplication, positions: set[int]) -> dict[int, dict[str, Any]]:
    """The stored evidence of each position, without ``sealed`` (never even read)."""
    t = app.events_table
    out: dict[int, dict[str, Any]] = {}
    wanted = sorted(positions)
    with app.engine.connect() as conn:
        for i in range(0, len(wanted), 1000):
            chunk = wanted[i:i + 1000]
            for row in conn.execute(select(*[raw(t.c[c]) for c in _COLUMNS]).where(
                    t.c.position.in_(chunk))):
                r = dict(zip(_COLUMNS, row))
                hs = r["head_signature"]
                out[r["position"]] = {
                    "position": r["position"], "originator_id": stream_id(r["originator_id"]),
                    "originator_version": r["originator_version"], "topic": r["topic"],
                    "state": base64.b64encode(bytes(r["state"])).decode("ascii"),
                    "signature": bytes(r["signature"]).hex(),
                    "chain_hash": bytes(r["chain_hash"]).hex(),
                    "head_signature": None if hs is None else bytes(hs).hex(),
                    "head_previous": r["head_previous"]}
    return out


def _complete_streams(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    """The streams whose every version 1..k the pack holds: a claim verify.py re-checks."""
    versions: dict[str, list[int]] = {}
    for r in records:
        versions.setdefault(r["originator_id"], []).append(r["originator_version"])
    return {s: len(v) for s, v in sorted(versions.items())
            if sorted(v) == list(range(1, len(v) + 1))}
