"""The App. 6 chronology of a case, merged across agencies in the order events happened.

Personal fields (what happened, who was involved, the child's views...) are sealed in the
ledger; they are opened only when asked for explicitly, for a stated purpose, by an actor
who proves possession of a registered key and holds a role entitled to read the review's
working papers (service.personal_access). Each such read appends a signed
``personal-data-accessed`` event first; if that is refused, nothing personal is shown.
"""

from __future__ import annotations

from typing import Any

from ledger.app import LedgerApplication
from service.home import Home
from service.personal_access import ACCESSED, Clock, PersonalRead, utcnow
# Where they were first defined; kept importable from here.
from service.personal_access import READERS, PersonalDataNotAuthorisedError  # noqa: F401
from service.queries import Queries


def chronology(app: LedgerApplication, home: Home, case: str, include_personal: bool,
               actor: str | None, purpose: str | None = None,
               clock: Clock = utcnow) -> list[dict[str, Any]]:
    if not include_personal:
        return Queries(app).chronology(case)
    read = PersonalRead(app, actor, ACCESSED, case, {"purpose": purpose}, clock)
    rows = Queries(app, now=clock()).chronology(case)  # proved before anything is opened
    read.authorise(home)
    opened = read.open_sealed([r["position"] for r in rows])
    read.record(opened)  # refused: nothing opened is returned
    for r in rows:
        r.update(opened.get(r["position"], {}))
    return rows

