"""Receipt files: written for whoever recorded (``record``/``import --receipt FILE``) and
read back by ``verify --receipt FILE``. Checking one is ledger.receipts' business."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from domain.errors import InvalidFieldError
from jobs.files import replace_file
from ledger.heads import Head
from ledger.receipts import FIELDS
from service.targets import check_writable

_WHAT = "a receipt JSON file written by record or import --receipt"
MAX_BYTES = 64 * 1024  # a receipt is a few hundred bytes


def check_receipt_target(path: Path) -> None:
    """Refuse, before anything is appended, a receipt that could not be written after."""
    check_writable(path, "--receipt")


def write_receipt(path: Path, head: Head | None) -> None:
    if head is None:
        return  # nothing was appended (an empty import): there is no head to keep
    replace_file(path, json.dumps(head.as_json(), indent=2, sort_keys=True) + "\n")


def load_receipt(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise ValueError("too large")
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        raise InvalidFieldError("--receipt", _WHAT, "unreadable") from None
    if not isinstance(data, dict) or any(name not in data for name in FIELDS):
        raise InvalidFieldError("--receipt", _WHAT, "not a receipt")
    return data
