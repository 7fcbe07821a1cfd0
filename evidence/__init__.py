"""Evidence packs: one case or one period of the ledger, with everything a recipient
needs to check it offline (docs/evidence-format.md §20). ``verify_pack`` is the
standalone verifier copied into every pack; ``tree`` computes the proofs in one pass;
``html`` renders the pack's page from its verified events."""
