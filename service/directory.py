"""The agency directory as it stands on a day (issue 11 item 11): whom an escalation letter
is addressed to, and the L&D chair it is copied to.

Read straight from the ledger's ``agency-directory-entry-recorded`` and
``ld-chair-contact-recorded`` events (domain/catalogue_directory.py); no read model, as
the directory is a few dozen events at most and is read once a night.

Matching an agency. ``action-agreed`` names its agency in free text, typed by another
person on another day, so a name is matched by ``agency_key``: Unicode compatibility
form (NFKC), case folded, white space runs made one space and trimmed. "Agency  A",
"agency a" and "AGENCY A" are one agency; "Agency A (Police)" and "Agency A" are two, on
purpose: a near guess could send a letter about a child's case to the wrong agency, and
an unmatched one goes to the admin address with a warning, where a person can fix it.

Which entry is in force on a day: of the agency's entries whose ``effective_from`` is on
or before the day, the one with the latest ``effective_from``; of two with the same date,
the one recorded later (a correction). The chair works the same way, for the partnership.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:  # the letters (jobs.messages) use the values without the database stack
    from ledger.app import LedgerApplication
    from projections.source import LedgerFact

AGENCY_TYPE = "agency-directory-entry-recorded"
CHAIR_TYPE = "ld-chair-contact-recorded"

# The directory field that each rung's letter is addressed to (§13.4, §21.2).
ADDRESSEE_OF_LEVEL = {"head_of_service": "head_of_service", "chief_officer": "chief_officer"}

# Why a letter could not be addressed as the directory intends; the nightly job counts
# and reports these (codes only: never a name or an address).
NO_AGENCY_ENTRY = "no_agency_entry"
NO_LD_CHAIR = "no_ld_chair"


def agency_key(name: str) -> str:
    """The form two agency names are compared in (see the module's docstring)."""
    return " ".join(unicodedata.normalize("NFKC", str(name)).casefold().split())


@dataclass(frozen=True)
class Contact:
    name: str
    email: str

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "email": self.email}


@dataclass(frozen=True)
class AgencyEntry:
    agency: str
    head_of_service: Contact
    chief_officer: Contact
    effective_from: date
    position: int

    def as_json(self) -> dict[str, Any]:
        return {"agency": self.agency, "head_of_service": self.head_of_service.as_json(),
                "chief_officer": self.chief_officer.as_json(),
                "effective_from": self.effective_from.isoformat(),
                "position": self.position}


@dataclass(frozen=True)
class ChairEntry:
    contact: Contact
    effective_from: date
    position: int

    def as_json(self) -> dict[str, Any]:
        return {**self.contact.as_json(), "effective_from": self.effective_from.isoformat(),
                "position": self.position}


@dataclass(frozen=True)
class Addressing:
    """Where one escalation letter goes: ``to`` None means the admin address."""

    to: Contact | None
    cc: Contact | None

    @property
    def warnings(self) -> tuple[str, ...]:
        if self.to is None:
            return (NO_AGENCY_ENTRY,)
        return () if self.cc is not None else (NO_LD_CHAIR,)


def _contact(value: Any) -> Contact:
    return Contact(str(value["name"]), str(value["email"]))


def _agency_entry(fact: LedgerFact) -> AgencyEntry:
    d = fact.data
    return AgencyEntry(str(d["agency"]), _contact(d["head_of_service"]),
                       _contact(d["chief_officer"]), date.fromisoformat(d["effective_from"]),
                       fact.position)


def _chair_entry(fact: LedgerFact) -> ChairEntry:
    d = fact.data
    return ChairEntry(_contact(d), date.fromisoformat(d["effective_from"]), fact.position)


def _latest(entries: Iterable[Any], day: date) -> Any:
    in_force = [e for e in entries if e.effective_from <= day]
    return max(in_force, key=lambda e: (e.effective_from, e.position), default=None)


@dataclass(frozen=True)
class Directory:
    agencies: tuple[AgencyEntry, ...] = ()
    chairs: tuple[ChairEntry, ...] = ()

    @classmethod
    def load(cls, app: LedgerApplication, upto: int | None = None) -> "Directory":
        """Every directory event up to position ``upto`` (all of them by default)."""
        from projections.source import ledger_facts

        return cls(tuple(_agency_entry(f) for f in ledger_facts(app, AGENCY_TYPE, upto)),
                   tuple(_chair_entry(f) for f in ledger_facts(app, CHAIR_TYPE, upto)))

    def agency_on(self, agency: str, day: date) -> AgencyEntry | None:
        key = agency_key(agency)
        return _latest((e for e in self.agencies if agency_key(e.agency) == key), day)

    def ld_chair_on(self, day: date) -> ChairEntry | None:
        return _latest(self.chairs, day)

    def addressing(self, agency: str, level: str, day: date) -> Addressing:
        """The escalation letter of ``agency`` at rung ``level``, escalated on ``day``."""
        entry = self.agency_on(agency, day)
        field = ADDRESSEE_OF_LEVEL.get(level)
        chair = self.ld_chair_on(day)
        to = getattr(entry, field) if entry is not None and field is not None else None
        return Addressing(to, chair.contact if chair is not None else None)

    def in_force(self, day: date) -> list[AgencyEntry]:
        """Each agency's entry in force on ``day``, in agency-name order."""
        groups: dict[str, list[AgencyEntry]] = {}
        for e in self.agencies:
            groups.setdefault(agency_key(e.agency), []).append(e)
        found = [_latest(groups[k], day) for k in sorted(groups)]
        return [e for e in found if e is not None]

    def upcoming(self, day: date) -> list[AgencyEntry]:
        """Entries that take effect after ``day``, in date then agency order."""
        return sorted((e for e in self.agencies if e.effective_from > day),
                      key=lambda e: (e.effective_from, agency_key(e.agency), e.position))

    def unlisted(self, agencies: Iterable[str], day: date) -> list[str]:
        """Of ``agencies`` (as actions name them), those with no entry in force on ``day``:
        their letters would go to the admin address. One name per agency key."""
        out: dict[str, str] = {}
        for name in agencies:
            if self.agency_on(name, day) is None:
                out.setdefault(agency_key(name), name)
        return [out[k] for k in sorted(out)]

    def listing(self, day: date, open_agencies: Iterable[str] = ()) -> dict[str, Any]:
        """What ``cspr directory list`` shows, as JSON."""
        chair = self.ld_chair_on(day)
        later_chairs = sorted((c for c in self.chairs if c.effective_from > day),
                              key=lambda c: (c.effective_from, c.position))
        return {"as_of": day.isoformat(),
                "ld_chair": chair.as_json() if chair is not None else None,
                "agencies": [e.as_json() for e in self.in_force(day)],
                "upcoming": [e.as_json() for e in self.upcoming(day)],
                "upcoming_ld_chairs": [c.as_json() for c in later_chairs],
                "unlisted": self.unlisted(open_agencies, day)}
