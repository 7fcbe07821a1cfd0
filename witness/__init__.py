"""An independent witness of cspr-ledger checkpoints (c2sp.org/tlog-witness).

It runs on its own machine with its own key and state folder, outside any ledger home, and
imports nothing that opens a database: ``state`` (its folder), ``cosign`` (the decision),
``errors`` (the named refusals). The ledger sends it a checkpoint signed by the system key
and an RFC 9162 consistency proof from the last checkpoint it cosigned; it cosigns only
checkpoints consistent with everything it cosigned before, and keeps the evidence of any
other.
"""
