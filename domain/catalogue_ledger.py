"""The declarations of the events the ledger raises itself: breaches, actors, keys,
checkpoints, erasure and the record of personal-data reads and disclosures."""

from __future__ import annotations

from domain import limits
from domain.declaring import (
    LEDGER,
    ROLES,
    RULE_SETS,
    _PERSONAL_DATA_READERS,
    EventType,
    Field,
    _actor,
    _date,
    _enum,
    _event,
    _field_names,
    _hex,
    _key_id,
    _name,
    _reason,
    _text,
)

LEDGER_TYPES: tuple[EventType, ...] = (
    # --- Raised by the ledger itself ----------------------------------------------------------
    _event(
        "deadline-breached", "system", "case", LEDGER,
        "The nightly job found a clock past its due date with no stopping event.",
        "recorded once per clock by the nightly job; never erased: an event recorded late "
        "that meets the clock supersedes it (PROCEDURE.md, occurred and recorded)",
        _name("clock", "the clock's id, e.g. report_to_partners (PROCEDURE.md, clocks)",
              pattern="[a-z][a-z0-9_]{0,47}",
              pattern_help="a clock id: a lowercase letter, then up to 47 of a-z 0-9 _"),
        _date("due_on", "the date the clock was due"),
        _name("rule_set", "the rule set that computed the deadline, e.g. wt2018-local",
              max_length=32),
        _name("calendar", "the working-day calendar used, so that a replay gives the same "
              "answer", max_length=64),
    ),
    _event(
        "actor-registered", "admin", "actor", LEDGER,
        "An admin registered a person or job as an actor, with roles and a public key.",
        "admin only (CLI.md); the actor name is new",
        _actor(),
        Field("roles", "list", min_items=1, unique_items=True,
              help="the roles the actor may act in (EVENTS.md, roles)",
              item=Field("item", "enum", choices=ROLES, help="one role")),
        _hex("public_key", "the actor's Ed25519 raw public key, in hex"),
        _key_id("identifier of that key, quoted by every event the actor signs"),
    ),
    _event(
        "actor-key-rotated", "admin", "actor", LEDGER,
        "An admin replaced an actor's signing key.",
        "admin only (CLI.md); later events are signed with the new key, earlier signatures "
        "still verify with the old",
        _actor(),
        _hex("public_key", "the actor's new Ed25519 raw public key, in hex"),
        _key_id("identifier of the new key"),
    ),
    _event(
        "actor-revoked", "admin", "actor", LEDGER,
        "An admin revoked an actor: no further events are accepted from them.",
        "admin only (CLI.md); earlier events stay and still verify",
        _actor(),
        _reason("reason", "why the actor was revoked"),
    ),
    _event(
        "checkpoint-signed", "system", "ledger", LEDGER,
        "The ledger signed a checkpoint of its event log (CLI.md, cspr checkpoint).",
        "signed by the ledger key; later checkpoints must be consistent with it (cspr verify)",
        Field("size", "int", minimum=0, help="number of events the checkpoint covers"),
        _hex("root_hash", "Merkle root over those events"),
        _hex("head_hash", "hash of the last event of the chain"),
        # Not in EVENTS.md: the RFC 9162 compact range at this size lets the next
        # checkpoint extend the tree from the new events alone (cost grows with what is
        # new, not with the history). Its root must equal root_hash (cspr verify).
        Field("frontier", "list", required=False, max_items=64, item=_hex(
            "item", "a subtree hash"), help="the right-edge subtree hashes of the Merkle "
            "tree at this size (RFC 9162 compact range; one per bit of the size)"),
        # Not in EVENTS.md (issue 9): with the ledger's origin, size and root it rebuilds
        # the C2SP signed note of this checkpoint, the form a witness cosigns.
        Field("note_signature", "text", required=False, one_line=True,
              pattern="[A-Za-z0-9+/]{91}=", pattern_help="92 base64 characters",
              help="the C2SP signed-note signature of this checkpoint by the system key "
              "under the ledger's origin: base64 of the 4-byte key hash and the Ed25519 "
              "signature (docs/evidence-format.md)"),
    ),
    # Not listed in EVENTS.md but implied by it and by CLI.md (`cspr init --rule-set`) and
    # PROCEDURE.md ("rule sets are data, dated and versioned").
    _event(
        "ledger-initialised", "admin", "ledger", LEDGER,
        "The ledger was created for a safeguarding partnership (CLI.md, cspr init).",
        "first event of the ledger (CLI.md, cspr init)",
        _name("partnership", "name of the safeguarding partnership that keeps this ledger"),
        _enum("rule_set", " ".join(RULE_SETS),
              "rule set for the clocks: wt2018-local (the default, PROCEDURE.md) or wt2023",
              required=False, default="wt2018-local"),
    ),
    _event(
        "rule-set-adopted", "admin", "ledger", LEDGER,
        "The partnership adopted a rule set for its clocks from a given date "
        "(PROCEDURE.md, rule sets).",
        "every computed deadline records the rule set that produced it, so a replay gives the "
        "same answer (PROCEDURE.md)",
        _enum("rule_set", " ".join(RULE_SETS),
              "the rule set adopted: wt2018-local or wt2023 (PROCEDURE.md)"),
        _date("effective_from", "first day on which the rule set applies"),
    ),
    # Not in EVENTS.md (issue 8): a failed verify is a sticky alarm. The nightly job keeps
    # failing until an admin signs that they have seen each finding and says what was done;
    # verify itself still reports the finding, so the acknowledgement hides nothing.
    _event(
        "integrity-alarm-acknowledged", "admin", "ledger", LEDGER,
        "An admin acknowledged a finding of cspr verify, saying what was done about it.",
        "admin only; names one finding (position and kind) that verify reports; the nightly "
        "job fails every night until each finding is acknowledged",
        # 2^53 - 1: exact in every JSON consumer; the service also refuses a position
        # beyond the ledger's end (service.acknowledgement).
        Field("position", "int", minimum=0, maximum=2 ** 53 - 1,
              help="the ledger position of the finding, as cspr verify reports it"),
        _name("kind", "the kind of the finding, as cspr verify reports it, e.g. chain",
              pattern="[a-z][a-z_]{0,31}",
              pattern_help="a finding kind: lowercase letters and _, up to 32"),
        _text("action_taken",
              "what was done: e.g. restored from backup, reported to the DPO, accepted"),
    ),
    # Not in EVENTS.md (issue 9): an independent witness checked that a checkpoint
    # extends the last one it cosigned, and cosigned it (C2SP tlog-cosignature/v1).
    _event(
        "checkpoint-cosigned", "system, admin", "ledger", LEDGER,
        "An independent witness cosigned one of the ledger's checkpoints (cspr checkpoint "
        "cosigned).",
        "recorded only if the cosignature verifies under the witness's key and the ledger "
        "signed that checkpoint; cspr verify --witness checks every one again",
        Field("size", "int", minimum=0, maximum=2 ** 63 - 1,
              help="number of events the cosigned checkpoint covers"),
        _hex("root_hash", "Merkle root of the cosigned checkpoint"),
        _name("witness", "the witness's key name, as on its cosignature line",
              pattern="[!-*,-~]{1,200}",
              pattern_help="printable ASCII without spaces or '+'"),
        _name("witness_key_hash", "the witness key's 4-byte key hash, in hex",
              pattern="[0-9a-f]{8}", pattern_help="8 lowercase hexadecimal characters"),
        _name("cosignature", "the cosignature line's value: base64 of the key hash, the "
              "8-byte timestamp and the Ed25519 signature (C2SP tlog-cosignature)",
              pattern="[A-Za-z0-9+/]{102}==", pattern_help="104 base64 characters"),
        Field("timestamp", "int", minimum=1, maximum=2 ** 63 - 1,
              help="when the witness cosigned, in seconds since the Epoch (POSIX time)"),
    ),
    # Not in EVENTS.md (issue 10): every opening of a case's personal data leaves a signed
    # trace of who read what and why. The event names the fields opened, never their values.
    _event(
        "personal-data-accessed", _PERSONAL_DATA_READERS,
        "case", LEDGER,
        "Someone opened a case's personal data (recorded by the service on every read).",
        "recorded before anything is shown; only roles entitled to read personal data "
        "(§17-18, Data Protection Act 2018)",
        _text("purpose", "why the personal data was opened"),
        _field_names("the personal fields opened, by name (never their values)"),
        Field("events", "int", minimum=0, maximum=2 ** 53 - 1,
              help="how many of the case's events had personal data opened"),
    ),
    # Not in EVENTS.md (issue 10): personal data handed to someone outside the ledger.
    _event(
        "personal-data-disclosed", _PERSONAL_DATA_READERS,
        "case", LEDGER,
        "Someone disclosed a case's personal data to a named recipient (cspr case disclose).",
        "recorded before anything is written; only roles entitled to read personal data "
        "(§17-18, Data Protection Act 2018)",
        _name("to", "the recipient: a person with their role, or an organisation"),
        _text("purpose", "why the personal data was disclosed"),
        _field_names("the personal fields disclosed, by name (never their values)"),
    ),
    # Not in EVENTS.md (issue 10): crypto-shredding. The case's data key is destroyed;
    # the events, their hashes and signatures stay, so the ledger still verifies.
    _event(
        "personal-data-erased", "admin", "case", LEDGER,
        "An admin erased a case's personal data, co-signed by a second person "
        "(cspr case erase).",
        "admin only, co-signed by a business_unit or scrutineer; the case's data key is "
        "made unrecoverable",
        _reason("reason", "why the personal data was erased, e.g. the retention period ended"),
        _name("cosigned_by", "the co-signer's actor name (business_unit or scrutineer)",
              pattern=limits.ACTOR_PATTERN, pattern_help=limits.ACTOR_HELP),
        _name("cosignature", "the co-signer's Ed25519 signature over the erasure of this "
              "case for this reason, in hex (docs/evidence-format.md)",
              pattern="[0-9a-f]{128}", pattern_help="128 lowercase hexadecimal characters"),
        _date("erased_on", "the day the personal data was erased"),
    ),
    # Not in EVENTS.md (issue 12): a person confirmed a second factor for signing in to
    # `cspr serve` (web/totp.py). Signed by that person's own key; the secret itself is
    # never in the ledger, only a name for it (a hash), so a new enrolment is visible.
    _event(
        "actor-totp-enrolled", "admin, business_unit, partner, scrutineer, ld_chair, "
        "reviewer, agency", "actor", LEDGER,
        "A person enrolled a TOTP second factor for signing in to the web service.",
        "recorded by the web service at enrolment, signed by the person enrolling; "
        "the actor must be registered",
        _actor(),
        _key_id("identifier of the TOTP secret: the first 32 hex digits of a SHA-256 over "
                "it (never the secret)"),
    ),
)
