"""The named failures of the procedure.

Two families, because the command line owes its callers two different exit codes:
bad input (exit 2: the caller can fix the request) and a refused rule of the procedure
(exit 1: the request is well formed but the procedure forbids it). Every failure has its
own class so callers and tests can tell them apart; only the CLI turns them into exit codes.
Messages never carry personal data: they name fields and cite paragraphs, not values.
"""

from __future__ import annotations

from domain.limits import REF_HELP


class CsprError(Exception):
    """Base of every failure this product reports to a person."""


class InvalidInputError(CsprError):
    """The request is malformed: exit 2, nothing appended."""


class InvalidFieldError(InvalidInputError):
    """A field is missing, of the wrong type, or outside its allowed values."""

    def __init__(self, field: str, expected: str, problem: str = "invalid") -> None:
        self.field = field
        self.expected = expected
        self.problem = problem
        super().__init__(f"field '{field}': {problem}; expected {expected}")


class UnknownEventTypeError(InvalidInputError):
    def __init__(self, name: object, known: tuple[str, ...] = ()) -> None:
        # The name typed is not repeated: it could be anything, a child's name included.
        self.name = name
        hint = f" (known types: {', '.join(known)})" if known else ""
        super().__init__(f"unknown event type{hint}")


class InvalidCaseReferenceError(InvalidFieldError):
    def __init__(self) -> None:
        super().__init__("case", REF_HELP, "invalid")


class UnknownCaseError(InvalidInputError):
    def __init__(self, case: str) -> None:
        self.case = case
        super().__init__(f"unknown case '{case}': no incident-referred event recorded")


class RuleViolationError(CsprError):
    """A rule of the procedure refuses the event: exit 1, nothing appended.

    ``paragraph`` cites the seed procedure (e.g. "§7.2") so the message a person sees
    says which rule of their own procedure stopped them.
    """

    paragraph: str = ""

    def __init__(self, message: str, paragraph: str | None = None) -> None:
        if paragraph is not None:
            self.paragraph = paragraph
        cite = f" ({self.paragraph})" if self.paragraph else ""
        super().__init__(f"{message}{cite}")


class CalendarRangeError(CsprError):
    """A date computed from a stored one falls outside what a date can hold (years 1-9999).

    Only arithmetic on a date near either end raises it (a deadline of 9999-12-31 plus
    three months); the clocks catch it and show the last (or first) representable date.
    """

    def __init__(self, day: object, calendar: str) -> None:
        self.day = day
        self.calendar = calendar
        super().__init__(
            f"a date computed from {day} falls outside the years 1-9999 (calendar "
            f"'{calendar}')"
        )


class UnknownRuleSetError(InvalidInputError):
    """A partnership asked for a rule set this version of the product does not define."""

    def __init__(self, name: str, known: tuple[str, ...] = ()) -> None:
        self.name = name
        hint = f" (known rule sets: {', '.join(known)})" if known else ""
        super().__init__(f"unknown rule set '{name}'{hint}")
