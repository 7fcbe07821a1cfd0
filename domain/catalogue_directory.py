"""The declaration of the partnership's agency directory (issue 11 item 11): who heads
each agency's service and who is its Chief Officer, from a date, so an escalation letter
(§13.4, §21.2) reaches the right person. Not in EVENTS.md's tables; docs/events-local.md
says why it was added.

Both types are about the whole partnership, not a case: they go on the ledger's own
stream, like ``rule-set-adopted``, and a case given with them is refused. Each entry
holds from its ``effective_from`` until a later-dated entry for the same agency (or, for
the chair, any later-dated chair entry) replaces it; ``service/directory.py`` reads them.
"""

from __future__ import annotations

from domain.declaring import LEDGER, EventType, Field, _date, _event, _name

# The roles that keep the directory: the business unit runs the escalation process for
# the L&D chair (§13.4), the chair owns it, and an admin sets the ledger up.
_KEEPERS = "admin, business_unit, ld_chair"

# An address every relay takes in an SMTP envelope and a To/Cc header as it is: ASCII,
# a dot-atom local part of at most 64 characters (no quoted strings, no comments), and a
# domain of dot-separated hostname labels ending in a letters-only top-level label (no
# address literals, no single-label "localhost"). Stricter than RFC 5321 on purpose: a
# stored address can never be taken back, and the nightly job must be able to send to it
# years later. 254 characters is the longest path RFC 5321 lets through.
_ATOM = r"[A-Za-z0-9_%+'-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"(?=[^@]{{1,64}}@){_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}"
EMAIL_HELP = ("an email address such as jo.bloggs@agency.example: ASCII letters, digits "
              "and . _ % + ' - before the @ (at most 64), a domain of dot-separated labels "
              "after it ending in letters; at most 254 characters")


def _email(help: str) -> Field:
    return _name("email", help, pattern=EMAIL_PATTERN, pattern_help=EMAIL_HELP,
                 max_length=254)


def _person(name: str, role: str) -> Field:
    # Staff contact details, not the child's or family's: not personal data of the case
    # (not sealed), but never written to logs or the nightly job's output either.
    return Field(name, "object", help=f"the agency's {role}: the letter's addressee",
                 fields=(_name("name", f"the {role}'s name, as the letter greets them"),
                         _email(f"the {role}'s email address, where the letter is sent")))


DIRECTORY_TYPES: tuple[EventType, ...] = (
    # §13.4, §21.2 (2020-03): the Chair of the L&D sub-group "will inform the relevant Head
    # of Service" three months beyond the deadline in force and "the Chief Officer of the
    # agency concerned" at six months beyond the original one: each agency's two people.
    _event(
        "agency-directory-entry-recorded", _KEEPERS, "ledger", LEDGER,
        "An agency's Head of Service and Chief Officer from a date: where its escalation "
        "letters go (cspr directory agency).",
        "no case; matched against action-agreed's agency ignoring case, accents' "
        "compatibility forms and repeated spaces; an entry with a later effective_from "
        "replaces the earlier from that date; a letter uses the entry in force on the "
        "escalation's date, else it goes to the admin address with a warning",
        _name("agency", "the agency's name, as improvement actions name it (action-agreed "
              "agency)"),
        _person("head_of_service", "Head of Service"),
        _person("chief_officer", "Chief Officer"),
        _date("effective_from", "the first day this entry applies (it may be in the "
              "future)"),
    ),
    # §13.4, §21.2 (2020-03): the escalation is the L&D chair's; every letter is copied to
    # the chair, who is one person for the whole partnership, hence a type of its own.
    _event(
        "ld-chair-contact-recorded", _KEEPERS, "ledger", LEDGER,
        "The L&D sub-group chair's name and address from a date: copied into every "
        "escalation letter (cspr directory ld-chair).",
        "no case; an entry with a later effective_from replaces the earlier from that "
        "date; a letter copies the chair in force on the escalation's date, else the "
        "admin address with a warning",
        _name("name", "the L&D sub-group chair's name"),
        _email("the L&D sub-group chair's email address, copied into every escalation "
               "letter"),
        _date("effective_from", "the first day this entry applies (it may be in the "
              "future)"),
    ),
)
