"""How an event type of EVENTS.md is declared: the ``EventType`` value, the roles, streams
and sections it may name, and the short field constructors the declaration tables use.

The tables themselves are in ``domain/catalogue_*.py``, a module per group of sections;
``domain/catalogue.py`` gathers them and is the catalogue's public API. The constructors
keep their leading underscore: they exist only to make the tables read as tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain import limits
from domain.fields import Field, RequiredWhen

# EVENTS.md, "Column by": an actor may hold several roles.
ROLES: tuple[str, ...] = (
    "admin",
    "business_unit",
    "partner",
    "scrutineer",
    "ld_chair",
    "reviewer",
    "agency",
    "system",
)

# Which aggregate an event belongs to: a case, its LCSPR, one improvement action of a
# case, an actor, or the ledger itself.
STREAMS: tuple[str, ...] = ("case", "review", "action", "actor", "ledger")

# PROCEDURE.md, "Rule sets are data, dated and versioned"; wt2018-local is the default.
RULE_SETS: tuple[str, ...] = ("wt2018-local", "wt2023")


@dataclass(frozen=True)
class EventType:
    name: str  # kebab-case, as in EVENTS.md, the CLI and JSON
    class_name: str  # PascalCase, for code
    roles: frozenset[str]  # EVENTS.md "by": any one of them may record it
    fields: tuple[Field, ...]
    stream: str
    section: str  # the EVENTS.md table heading
    rules: str  # EVENTS.md "rules", enforced elsewhere; kept for help and reports
    help: str  # one line
    # Conditional requirements of the "(required when ...)" kind, as data.
    required_when: RequiredWhen = ()
    version: int = 1  # schema version; bump with an upcaster, never change in place

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        problems = []
        if self.class_name != _pascal(self.name):
            problems.append("class_name must be the PascalCase of name")
        if not self.roles or not self.roles <= set(ROLES):
            problems.append(f"roles must be a non-empty subset of {ROLES}")
        if self.stream not in STREAMS:
            problems.append(f"stream must be one of {STREAMS}")
        if len(set(names)) != len(names):
            problems.append("field names must be unique")
        for target, (condition, _) in self.required_when:
            if target not in names or condition not in names:
                problems.append(f"required_when names undeclared fields ({target}, {condition})")
            elif self.field(target).required:
                problems.append(f"required_when target {target} is already required")
        if not self.help or "\n" in self.help:
            problems.append("help must be one line")
        if problems:
            raise ValueError(f"bad declaration of {self.name}: {'; '.join(problems)}")

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _pascal(kebab: str) -> str:
    return "".join(part.capitalize() for part in kebab.split("-"))


# --- declaration helpers: they only shorten the table below; they decide nothing ---------


def _event(
    name: str,
    by: str,
    stream: str,
    section: str,
    help: str,
    rules: str,
    *fields: Field,
    required_when: RequiredWhen = (),
) -> EventType:
    return EventType(
        name=name,
        class_name=_pascal(name),
        roles=frozenset(r.strip() for r in by.split(",")),
        fields=tuple(fields),
        stream=stream,
        section=section,
        rules=rules,
        help=help,
        required_when=required_when,
    )


def _text(name: str, help: str, **kw: Any) -> Field:
    """Free text: a rationale, a note, a chronology entry (limits.FREE_TEXT_MAX)."""
    return Field(name, "text", help=help, **kw)


def _reason(name: str, help: str, **kw: Any) -> Field:
    """Free text that justifies a decision: real words, not a placeholder (issue 11)."""
    return _text(name, help, min_length=limits.REASON_MIN_LENGTH,
                 min_letters=limits.REASON_MIN_LETTERS, **kw)


def _name(name: str, help: str, **kw: Any) -> Field:
    """One line naming a person, an agency, a reference elsewhere (limits.NAME_MAX)."""
    return Field(name, "text", help=help, one_line=True, **kw)


def _ref(name: str, help: str) -> Field:
    """An identifier that becomes a key (a stream, a column, a letter): limits.REF_PATTERN."""
    return Field(name, "text", help=help, one_line=True, pattern=limits.REF_PATTERN,
                 pattern_help=limits.REF_HELP)


def _date(name: str, help: str, **kw: Any) -> Field:
    return Field(name, "date", help=help, **kw)


def _bool(name: str, help: str, **kw: Any) -> Field:
    return Field(name, "bool", help=help, **kw)


def _enum(name: str, choices: str, help: str, **kw: Any) -> Field:
    return Field(name, "enum", help=help, choices=tuple(choices.split()), **kw)


def _names(name: str, help: str, **kw: Any) -> Field:
    """A list of people or agencies; non-empty unless the caller says otherwise."""
    kw.setdefault("min_items", 1)
    item = _name("item", "one name: a person with their role, or an agency")
    return Field(name, "list", help=help, item=item, **kw)


def _recipients(name: str, choices: str, help: str, **kw: Any) -> Field:
    item = _enum("item", choices, "one recipient")
    return Field(name, "list", help=help, item=item, min_items=1, unique_items=True, **kw)


OPTIONAL: dict[str, Any] = {"required": False}
PERSONAL: dict[str, Any] = {"personal": True}
OPTIONAL_PERSONAL: dict[str, Any] = {"required": False, "personal": True}


def _hex(name: str, help: str) -> Field:
    """A SHA-256 hash or an Ed25519 raw public key: 32 bytes, as the code writes them."""
    return _name(name, help, pattern="[0-9a-f]{64}",
                 pattern_help="64 lowercase hexadecimal characters")


def _key_id(help: str) -> Field:
    # The product writes the first 32 hex digits of a SHA-256; the bound leaves room.
    return _name("key_id", help, max_length=64)


def _actor() -> Field:
    # EVENTS.md gives actor names no form; this one (a product decision) is safe as a file
    # name under keys/ and on a command line, with nothing to quote or escape.
    return _name("actor", "the actor's name", pattern=limits.ACTOR_PATTERN,
                 pattern_help=limits.ACTOR_HELP)


def _field_names(help: str) -> Field:
    # A personal field's name as the catalogue declares it (e.g. child, summary): the
    # record of an access names what was opened, never a value.
    item = _name("item", "one field name", pattern="[a-z][a-z0-9_]{0,63}",
                 pattern_help="a field name: a lowercase letter, then up to 63 of a-z 0-9 _")
    return Field("fields", "list", help=help, item=item, unique_items=True, max_items=64)


def _action(help: str = "the action's reference within its case, e.g. R1.2") -> Field:
    # A key of the action's stream, of the projections (64 characters) and of the
    # escalation letters' identity: the same character set as a case reference.
    return _ref("action", help)


REFERRAL = "Referral and notification"
DECISIONS = "Rapid Review and decisions"
LCSPR = "Local Child Safeguarding Practice Review (LCSPR)"
ACTIONS = "Improvement actions"
LEDGER = "Raised by the ledger itself"
# Issue 10: the roles entitled to read a case's personal data (service/personal_access.py).
_PERSONAL_DATA_READERS = "partner, scrutineer, reviewer, business_unit, ld_chair"
