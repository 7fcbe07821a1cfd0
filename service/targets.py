"""Files a command writes once its work is done (a receipt, a checkpoint, a backup):
refused before anything is appended or copied if they could not be written then."""

from __future__ import annotations

import os
from pathlib import Path

from domain.errors import InvalidFieldError


def check_writable(path: Path, option: str) -> None:
    folder = path.parent  # "." for a bare file name
    if path.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        raise InvalidFieldError(option, "a file path in a writable folder",
                                "cannot be written")
