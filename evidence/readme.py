"""The README.txt of every evidence pack: what the recipient holds and how to check it."""

TEXT = """\
cspr-ledger evidence pack (format cspr-evidence-pack/v1)
=========================================================

This folder (or the .zip of it) is an extract of a Child Safeguarding Practice Review
ledger: one case, or the events recorded in one period, with everything needed to check
them on your own machine, without the partnership's database or software.

Check it (Python 3.11+ with the `cryptography` package, nothing else):

    python verify.py PACK --vkey VKEY

VKEY is the partnership's system key as a C2SP vkey, which the partnership publishes
out of band (annual report, letter, website). Do not take it from this pack: pack.json
names the key it was signed with only for convenience. Exit 0: every check passed;
exit 1: each problem is listed with its position in the ledger (0: the pack as a whole).
Add --witness WVKEY to also require a witness's cosignature of the checkpoint.

Files:
  pack.json        the manifest: scope, checkpoint, role table, SHA-256 of every file,
                   signed by the system key
  events.jsonl     the events of the case or period, as stored, one JSON per line
  keys.jsonl       every key event (registration, rotation, revocation) and rule-set
                   event up to the checkpoint, to replay who held which key
  checkpoint.note  the C2SP signed checkpoint (size and Merkle root), with any witness
                   cosignatures
  since.note       (optional) the older checkpoint you already held
  proofs.json      an RFC 9162 inclusion proof per event; a consistency proof from
                   since.note, if present
  index.html       the decision trail, clocks and escalations, rendered from the
                   verified events; open it in a browser or print it
  verify.py        the verifier (read it: standard library and cryptography only)

Personal data (names, dates of birth, addresses, free-text summaries) is not in this
pack: each event keeps only a SHA-256 commitment to it, which its signature covers.
The format is documented in docs/evidence-format.md, section 20, of cspr-ledger: you
can write your own verifier from it.
"""
