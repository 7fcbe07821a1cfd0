"""Replacing a small state or report file so that no reader, and no crash, sees half of it.

The nightly job's files (its clean mark, open alarms, letters position, checkpoints and
reports) may be written by two runs at once: each writes a file of its own in the target's
folder (mkstemp: 0600, a unique name), syncs it, then renames it over the target, which is
atomic within a folder.
"""

from __future__ import annotations

from pathlib import Path

from ledger.files import write_atomically


def replace_file(path: Path, content: str) -> None:
    write_atomically(path, content.encode("utf-8"))
