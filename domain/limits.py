"""The bounds every new value must keep, so that every command can process it forever.

Issue 8: a value the ledger accepts can never be taken back (events are immutable), so one
placeholder date, one over-long reference or one NUL accepted today breaks reads, letters
or the nightly job for good. The bounds are therefore checked where input is refused, once,
by the field declarations (``domain/fields.py``), and the same numbers are shown by
``cspr record TYPE --help`` and ``cspr schema``. docs/limits.md explains each choice.

Code that *reads* stored events must not rely on these bounds: a ledger written before
they existed may hold any date or text (the calendar and the clocks are total instead).
"""

from __future__ import annotations

import re
from datetime import date

# Dates: wide enough for any child's life, any agency's involvement and any plan, narrow
# enough to catch placeholders (0001-01-01, 1900-01-01, 9999-12-31) and mistyped years.
# Whole years, so that a JSON Schema pattern on the year can state the window exactly;
# 2100 is also the last year the bank-holiday source (the `holidays` library) covers.
DATE_EARLIEST = date(1990, 1, 1)
DATE_LATEST = date(2100, 12, 31)

# Text: a name (a person, an agency, a reference in another system) is one line; free
# text (a rationale, a chronology entry) may run to a long report section, not a book.
NAME_MAX = 200
FREE_TEXT_MAX = 20_000
ADDRESS_MAX = 1_000  # a postal address, on several lines
URL_MAX = 2_000  # the longest URL browsers and servers reliably handle
LIST_MAX = 200  # items in any list: names present at a meeting, signatories, ...

# Issue 11: a reason that justifies a decision (rationale, reason, justification) must say
# something. "...", "n/a", "tbc", "see notes" are placeholders an auditor cannot check, and
# a decision's rationale must be recorded and shared (§7.9, §10.5). Ten characters is the
# shortest real reason in practice ("no concerns", "not in area"); two letters refuse
# punctuation, digits and dates standing alone ("..........", "2025-01-01"). Any script's
# letters count, so a reason in Welsh or Polish is as good as one in English.
REASON_MIN_LENGTH = 10
REASON_MIN_LETTERS = 2

# Identifiers that become keys (streams, database columns of 64, letter and file names,
# mail headers): case references and action references share one character set.
REF_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}"
REF_HELP = ("a reference: a letter or digit, then up to 63 of A-Z a-z 0-9 . _ / - "
            "(no spaces)")
ACTOR_PATTERN = r"[a-z][a-z0-9_.-]{0,31}"
ACTOR_HELP = "an actor name: a lowercase letter, then up to 31 of a-z 0-9 _ . -"

# Raw JSON handed to `record --data`, `--data-file` or one `import` line.
DATA_MAX_BYTES = 1024 * 1024
JSON_MAX_DEPTH = 32

# Refused in every text: C0 controls other than tab and line breaks (NUL among them, which
# PostgreSQL cannot store), DEL and C1 controls, and UTF-16 surrogates (a lone one cannot
# be encoded as UTF-8, so it could be neither hashed nor stored).
_FORBIDDEN = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ud800-\udfff"
# A one-line text (a name, an identifier) also refuses tabs and line breaks.
_FORBIDDEN_ONE_LINE = _FORBIDDEN + r"\u0009\u000a\u000d\u2028\u2029"

_FORBIDDEN_RE = re.compile(f"[{_FORBIDDEN}]")
_FORBIDDEN_ONE_LINE_RE = re.compile(f"[{_FORBIDDEN_ONE_LINE}]")


def has_forbidden_character(text: str, one_line: bool) -> bool:
    pattern = _FORBIDDEN_ONE_LINE_RE if one_line else _FORBIDDEN_RE
    return pattern.search(text) is not None


def allowed_characters_pattern(one_line: bool) -> str:
    """The same rule as a JSON Schema (ECMA-262) pattern over the whole string."""
    return f"^[^{_FORBIDDEN_ONE_LINE if one_line else _FORBIDDEN}]*$"


def years_pattern(first: int, last: int) -> str:
    """A regex alternation matching exactly the four-digit years first..last."""
    parts = []
    year = first
    while year <= last:
        if year % 100 == 0 and year + 99 <= last:
            parts.append(f"{year // 100:02d}[0-9]{{2}}")
            year += 100
        elif year % 10 == 0 and year + 9 <= last:
            parts.append(f"{year // 10:03d}[0-9]")
            year += 10
        else:
            parts.append(f"{year:04d}")
            year += 1
    return "|".join(parts)
