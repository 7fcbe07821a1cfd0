"""``cspr case disclose``: a case's personal data handed to a named recipient, on record.

Every event of the case that carries personal fields is checked against its signature and
key (projections.signed) before it is opened; then a signed ``personal-data-disclosed``
event by the discloser (who, which case, to whom, why, which fields) is appended; only then
is the personal data written. If the append is refused, nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from domain.errors import InvalidFieldError, UnknownCaseError
from jobs.files import replace_file
from ledger.app import LedgerApplication
from projections.signed import signed_case_facts
from service.home import Home
from service.personal_access import DISCLOSED, Clock, PersonalRead, utcnow


def check_output_target(path: Path) -> None:
    """Refused before anything is opened or appended: a folder that is not there."""
    if not path.parent.is_dir() or path.is_dir():
        # The path is not repeated back: it was typed, and a file name can be anything.
        raise InvalidFieldError("--output", "a file in an existing folder", "not writable")


def disclose(app: LedgerApplication, home: Home, case: str, actor: str | None,
             to: str | None, purpose: str | None, clock: Clock = utcnow) -> dict[str, Any]:
    """The case's personal data, per event, after the disclosure was recorded."""
    read = PersonalRead(app, actor, DISCLOSED, case, {"to": to, "purpose": purpose}, clock)
    facts = signed_case_facts(app, case, lambda f: bool(f.personal_fields))
    if not any(f.type == "incident-referred" for f in facts):
        raise UnknownCaseError(case)
    read.authorise(home)
    opened = read.open_sealed([f.position for f in facts if f.personal_fields])
    receipt = read.record(opened)  # refused: nothing opened is returned
    return {
        "case": case, "to": read.given["to"], "purpose": read.given["purpose"],
        "disclosed_by": read.actor,
        # The signed record of this disclosure: its ledger position and event hash.
        "record": {"position": receipt.position, "hash": receipt.hash},
        "events": [{"position": f.position, "type": f.type, "occurred_at": f.occurred_at,
                    "personal": opened[f.position]}
                   for f in facts if f.position in opened],
    }


def write_disclosure(path: Path, disclosure: dict[str, Any]) -> None:
    # replace_file writes 0600: the file holds a child's personal data.
    replace_file(path, json.dumps(disclosure, ensure_ascii=False, indent=2) + "\n")
