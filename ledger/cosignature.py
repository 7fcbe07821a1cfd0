"""The second signature an erasure needs: what the co-signer signs, and its check.

Erasing a child's personal data cannot be undone, so one admin cannot do it alone
(issue 10): a second person, holding the ``business_unit`` or ``scrutineer`` role, signs
this exact erasure with their own key, and the ``personal-data-erased`` event carries
their name and signature. The message is domain-separated, so a signature made for
anything else (an event, a head, a checkpoint) is never an erasure co-signature:

    b"cspr-ledger/erase/v1\\n" || canonical_json({"case": REF, "ledger": LEDGER ID,
                                                 "reason": REASON})

The writer checks it for every ``personal-data-erased`` event, however it arrives
(``case erase``, ``record``, ``import``): docs/evidence-format.md §15.
"""

from __future__ import annotations

from typing import Any

from domain.errors import RuleViolationError
from ledger.canonical import canonical_json
from ledger.signing import verify_signature

ERASE_DOMAIN = b"cspr-ledger/erase/v1\n"
COSIGNER_ROLES = frozenset({"business_unit", "scrutineer"})
ERASED = "personal-data-erased"


def erase_message(case: str, reason: str, ledger_id: str) -> bytes:
    return ERASE_DOMAIN + canonical_json({"case": case, "ledger": ledger_id,
                                          "reason": reason})


class CosignatureError(RuleViolationError):
    paragraph = "issue 10: erasure is co-signed"

    def __init__(self, problem: str) -> None:
        super().__init__(f"the erasure's co-signature is refused: {problem}; nothing was "
                         "erased")


def check_cosignature(case: str, data: dict[str, Any], cosigner: Any, admin: str,
                      ledger_id: str) -> None:
    """``cosigner``: the co-signer's actor stream as registered (None if unknown)."""
    if data.get("cosigned_by") == admin:
        raise CosignatureError("the co-signer must be a second person")
    if cosigner is None:
        raise CosignatureError("the co-signer is not a registered actor")
    if cosigner.revoked:
        raise CosignatureError("the co-signer's key has been revoked")
    if not COSIGNER_ROLES.intersection(cosigner.roles):
        raise CosignatureError("the co-signer holds neither the business_unit nor the "
                               "scrutineer role")
    try:
        signature = bytes.fromhex(data.get("cosignature") or "")
    except ValueError:
        signature = b""
    message = erase_message(case, data.get("reason", ""), ledger_id)
    if not verify_signature(bytes.fromhex(cosigner.public_key), signature, message):
        raise CosignatureError("it does not verify under the co-signer's registered key")
