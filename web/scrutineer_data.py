"""What the Scrutineer's pages read (issue 12, Scrutineer), each as the CLI reads it:
- ``verification``: `cspr verify --json` (the ledger opened as a verifier opens it:
  read-only, no key);
- ``checkpoints``: the last checkpoint the ledger signed and the last one a witness
  cosigned (the signed ``checkpoint-signed`` and ``checkpoint-cosigned`` events);
- ``evidence_pack``: `cspr evidence export --from --to` to a scratch folder, its zip's
  bytes returned and the folder removed (personal data is never in a pack).
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable

from ledger.app import LedgerApplication
from ledger.witnessing import Cosignature, cosignatures, signed_checkpoints
from service.evidence import verify
from service.home import Home
from service.packs import Scope, export_pack

def verification(home: Home) -> dict[str, Any]:
    """`cspr verify --json`: the chain recomputed, every signature, head and role checked."""
    app = home.open_for_verification()
    try:
        return verify(app).as_json()
    finally:
        app.close()


def checkpoints(app: LedgerApplication) -> dict[str, Any]:
    """The largest checkpoint the ledger signed, and the latest a witness cosigned (with
    the witness's name and when it cosigned); None where there is none yet."""
    signed = max(signed_checkpoints(app), default=None)
    witnessed = max((c for c in cosignatures(app) if isinstance(c, Cosignature)),
                    key=lambda c: (c.size, c.position), default=None)
    return {
        "last_signed": None if signed is None else {"size": signed[0], "root_hash": signed[1]},
        "last_witnessed": None if witnessed is None else {
            "size": witnessed.size, "root_hash": witnessed.root.hex(),
            "witness": witnessed.witness, "position": witnessed.position,
            "cosigned_at": datetime.fromtimestamp(witnessed.timestamp, timezone.utc)
            .isoformat().replace("+00:00", "Z")},
    }


def evidence_pack(app: LedgerApplication, home: Home, start: date, end: date,
                  clock: Callable[[], datetime]) -> tuple[str, bytes]:
    """`cspr evidence export --from START --to END`: the zip's name and bytes. Signed by
    the system key as the CLI's default is; a new checkpoint is appended only if the
    last one does not cover the period's events."""
    scratch = Path(tempfile.mkdtemp(prefix="cspr-pack-"))
    try:
        name = f"evidence-pack-{start.isoformat()}-to-{end.isoformat()}"
        done = export_pack(app, home, Scope("period", start=start, end=end),
                           scratch / name, clock=clock)
        return done.zip.name, done.zip.read_bytes()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
