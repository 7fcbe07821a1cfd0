"""Which ledger this is: its id and its C2SP origin, both derived from its first events.

The **ledger id** is the hex chain hash at position 1 (the admin registering itself): it
covers the admin's public key and the instant of creation, so no two ledgers share it, and
anyone holding the database can derive it. Head signatures and receipts name it, so a
signed head of one ledger cannot be passed off as another's.

The **origin** (the first line of a C2SP checkpoint, and the name of the system key's
signed-note vkey) is ``cspr-ledger/<partnership slug>/<first 16 hex of the ledger id>``:
readable by a scrutineer, unique by its id part, and free of the spaces and ``+`` that
the signed-note format forbids in a key name (docs/evidence-format.md, "Origin").
"""

from __future__ import annotations

import re
import unicodedata

ORIGIN_PREFIX = "cspr-ledger/"
SLUG_MAX = 40


def slug(partnership: str) -> str:
    """Lower-case ASCII letters and digits, other runs made one ``-``; ``ledger`` if none
    is left (a partnership named only in another script)."""
    ascii_text = unicodedata.normalize("NFKD", partnership).encode("ascii", "ignore")
    text = re.sub(r"[^a-z0-9]+", "-", ascii_text.decode().lower()).strip("-")
    return text[:SLUG_MAX].strip("-") or "ledger"


def origin(partnership: str, ledger_id: str) -> str:
    return f"{ORIGIN_PREFIX}{slug(partnership)}/{ledger_id[:16]}"
