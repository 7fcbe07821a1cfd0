"""The nightly's letter to the witness: each new checkpoint, offered for cosigning.

When ``CSPR_WITNESS_ADDRESS`` is set, the nightly writes one letter per checkpoint it
signs, whose body is exactly the tlog-witness add-checkpoint request (``old N``, the
consistency proof from the last size a witness cosigned by the ledger's record, a blank
line, the signed note): saved as a file, it is what ``cspr witness cosign`` reads. Its key
names the checkpoint (size and root), so a rerun never writes it twice. The request holds
hashes and the ledger's origin only: no personal data.
"""

from __future__ import annotations

import os
from typing import Any

from jobs.outbox import Message, make_key
from ledger.app import LedgerApplication
from service.witnessing import add_checkpoint_request, last_cosigned_size

ADDRESS_ENV = "CSPR_WITNESS_ADDRESS"


def witness_message(app: LedgerApplication, cp: dict[str, Any]) -> Message | None:
    """The letter offering checkpoint ``cp`` to the witness; None when no witness
    address is configured."""
    address = os.environ.get(ADDRESS_ENV, "").strip()
    if not address:
        return None
    old = min(last_cosigned_size(app), cp["size"])
    return Message(
        key=make_key("witness", str(cp["size"]), cp["root_hash"]),
        to=(address,),
        subject=f"[CSPR] Checkpoint of {cp['size']} events to cosign (from {old})",
        body=add_checkpoint_request(app, cp, old),
        case="ledger",
        headers=(("X-CSPR-Witness-Request", "add-checkpoint"),))
