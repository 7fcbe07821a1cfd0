"""What a listing of the outbox knows without opening every letter: each letter's state
from one directory listing, its delivery headers from an index kept beside the letters.

Why: the ``.eml`` files stay forever as the record, and while no relay is configured every
one of them stays pending, so a listing that read each pending letter's headers cost more
every night (7.5 of 15.2 s of a nightly at a million events). The directory stays the
truth: which letters exist and their state (the markers' names) come from ``os.listdir``;
the index (``.index.json``) only remembers what each letter's headers said, beside the
file's size and modification time. So a letter written but not indexed yet (a crash
between the two, another run's letter) is read and added, a deleted one drops out, and a
file changed since it was indexed (a hand edit) is read again, as every listing did
before. The index is a cache: lost, damaged, or replaced by a run that knew less, it costs
reading letters again, never a wrong answer; a run that may not write it (a read-only
web process) just reads the letters.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

from ledger.files import write_atomically

INDEX = ".index.json"
_FORMAT = 1
# (key, case, message_id, sender, recipients): what jobs.outbox.StoredMessage holds
# besides the file's name and path.
Headers = tuple[str, str, str, str, tuple[str, ...]]


def listing(root: Path, markers: dict[str, str], none: str) -> list[tuple[Path, str]]:
    """Every letter (sorted by file name) with its state: the first of ``markers`` (state
    -> marker suffix, in precedence order) whose file exists beside it, else ``none``."""
    if not root.is_dir():
        return []
    names = set(os.listdir(root))
    out = []
    for name in sorted(n for n in names if n.endswith(".eml") and not n.startswith(".")):
        stem = name[:-4]
        state = next((st for st, suffix in markers.items() if stem + suffix in names), none)
        out.append((root / name, state))
    return out


class HeaderIndex:
    """The headers of the letters a listing read before, valid while the file's size and
    modification time are those it had then."""

    def __init__(self, root: Path) -> None:
        self.path = root / INDEX
        self._letters = self._load()
        self._stamps: dict[str, list[int]] = {}
        self._changed = False

    def get(self, path: Path) -> Headers | None:
        stamp = _stamp(path)  # FileNotFoundError for a letter deleted meanwhile, as a read
        # Taken before the file is read, so a change while it is read is seen next time.
        self._stamps[path.name] = stamp
        entry = self._letters.get(path.name)
        try:
            if entry[:2] == stamp:  # type: ignore[index]
                key, case, message_id, sender, recipients = entry[2:]  # type: ignore[index]
                if all(isinstance(v, str) for v in (key, case, message_id, sender, *recipients)):
                    return key, case, message_id, sender, tuple(recipients)
        except (TypeError, ValueError):
            pass  # not an entry this code wrote: the letter is read again
        return None

    def put(self, path: Path, headers: Headers) -> None:
        """Record ``headers`` as read from ``path`` after ``get`` found no valid entry."""
        key, case, message_id, sender, recipients = headers
        self._letters[path.name] = [*self._stamps[path.name], key, case, message_id, sender,
                                    list(recipients)]
        self._changed = True

    def save(self, present: Iterable[str]) -> None:
        """Keep the entries of the letters named in ``present`` (those a listing may need
        again), and write the index if anything changed."""
        keep = set(present)
        letters = {name: v for name, v in self._letters.items() if name in keep}
        if not self._changed and len(letters) == len(self._letters):
            return
        data = json.dumps({"format": _FORMAT, "letters": letters}, sort_keys=True,
                          separators=(",", ":"))
        try:
            write_atomically(self.path, data.encode("utf-8"))
        except OSError:
            return  # a cache: the next listing reads the letters this one could not record
        self._letters, self._changed = letters, False

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError):  # missing, unreadable or damaged: start afresh
            return {}
        if not isinstance(data, dict) or data.get("format") != _FORMAT \
                or not isinstance(data.get("letters"), dict):
            return {}
        return data["letters"]


def _stamp(path: Path) -> list[int]:
    # Not the inode: a copy that keeps times (a restored backup, ``cp -p``) keeps its index.
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]
