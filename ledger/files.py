"""Replacing a small file so that no reader, and no crash, ever sees half of it.

A file of its own in the target's folder (mkstemp: 0600, a unique name, so two writers
never share one), synced, renamed over the target (atomic within a folder), then the
folder synced so that the rename itself survives a crash. Used for the nightly's state and
reports (jobs.files), the witness's records (witness.state) and the master key's
rotation (ledger.erasure).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
