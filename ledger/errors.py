"""Failures of the ledger itself (keys, signatures, storage), as opposed to the procedure's.

They extend the domain's two families so the CLI maps them to the same exit codes: an
unknown actor is bad input (2); a revoked key or a role the catalogue does not allow is a
refused check (1).
"""

from __future__ import annotations

from eventsourcing.persistence import IntegrityError

from domain.errors import CsprError, InvalidInputError, RuleViolationError


class LedgerNotInitialisedError(InvalidInputError):
    def __init__(self, where: str) -> None:
        super().__init__(f"no ledger at {where}: run 'cspr init --partnership NAME' first")


class LedgerAlreadyInitialisedError(RuleViolationError):
    def __init__(self) -> None:
        super().__init__("this ledger is already initialised")


class UnknownActorError(InvalidInputError):
    def __init__(self, actor: str) -> None:
        self.actor = actor
        super().__init__(f"unknown actor '{actor}': no registered key (see 'cspr actor list')")


class MissingActorError(InvalidInputError):
    def __init__(self) -> None:
        super().__init__("no actor: pass --as NAME or set CSPR_ACTOR")


class ActorExistsError(RuleViolationError):
    def __init__(self, actor: str) -> None:
        super().__init__(f"actor '{actor}' is already registered")


class KeyMismatchError(RuleViolationError):
    def __init__(self, actor: str) -> None:
        super().__init__(
            f"the private key found for '{actor}' is not the key registered in the ledger"
        )


class RevokedActorError(RuleViolationError):
    def __init__(self, actor: str) -> None:
        super().__init__(f"actor '{actor}' has been revoked and can no longer sign")


class RoleNotAllowedError(RuleViolationError):
    def __init__(self, actor: str, event_type: str, allowed: tuple[str, ...]) -> None:
        self.actor = actor
        self.event_type = event_type
        super().__init__(
            f"actor '{actor}' holds none of the roles allowed to record '{event_type}' "
            f"({', '.join(allowed)})"
        )


class PrivateKeyUnavailableError(InvalidInputError):
    def __init__(self, actor: str, why: str) -> None:
        super().__init__(f"cannot load the private key of '{actor}': {why}")


class ConcurrentWriteError(RuleViolationError):
    def __init__(self, attempts: int) -> None:
        super().__init__(
            f"another writer kept changing the same case; gave up after {attempts} attempts"
        )


class PersonalDataUnavailableError(CsprError):
    """A case's data key was destroyed (erasure) or the master key is missing."""


class KeyFileExposedError(CsprError):
    """Key material that group or others can read or write is refused, not used."""

    def __init__(self, path: str, mode: int) -> None:
        super().__init__(
            f"refusing to use {path}: its permissions ({mode:04o}) let other users read or "
            f"replace it; run 'chmod 600 {path}' (and 'chmod 700' on its folder)")


class PassphraseRequiredError(InvalidInputError):
    """A protected key, and no passphrase to open it (or none given for a new key)."""

    def __init__(self, actor: str, how: str) -> None:
        self.actor = actor
        super().__init__(f"the private key of '{actor}' needs its passphrase: {how}")


class WrongPassphraseError(InvalidInputError):
    """Bad input (2), like any wrong value: whoever typed it can type the right one. What
    was typed is never repeated."""

    def __init__(self, actor: str, origin: str, hint: str = "") -> None:
        self.actor = actor
        super().__init__(
            f"the passphrase from {origin} does not open the private key of '{actor}' "
            f"(each key opens only with its own actor's passphrase){hint}")


class WeakPassphraseError(InvalidInputError):
    def __init__(self, origin: str, minimum: int) -> None:
        super().__init__(f"the new passphrase from {origin} is too short: at least "
                         f"{minimum} characters")


class UnprotectedKeyError(CsprError):
    """A person's key stored in clear is refused (exit 1, like a key file others can
    read): nothing the caller typed is wrong, the file is unsafe, and the remedy is to
    encrypt it, not to retype anything."""

    def __init__(self, actor: str, path: str) -> None:
        self.actor = actor
        super().__init__(
            f"refusing to use {path}: the private key of '{actor}' is stored in clear, so "
            f"anyone who can read it can sign as '{actor}'; encrypt it with its owner's "
            f"passphrase: 'cspr actor protect {actor}' (then consider 'cspr actor rotate "
            f"{actor}' if the file may have been copied)")


class UnsignedHeadError(CsprError):
    """The head a write would extend carries no valid signed head: the ledger was changed
    outside cspr (ledger.head_guard). Exit 1; nothing is appended."""

    def __init__(self, position: int) -> None:
        super().__init__(
            f"the ledger's last write (position {position}) is not signed by its writer: "
            "the ledger was changed outside cspr, and nothing is appended until an admin "
            "has looked: run 'cspr verify', then acknowledge the finding "
            "(cspr record integrity-alarm-acknowledged)")


class MasterKeyRotatedError(IntegrityError):
    """A new case key was wrapped under a master key the ledger no longer uses (another
    process erased a case meanwhile): the writer reloads the master key and retries."""


class MasterKeyMismatchError(CsprError):
    def __init__(self) -> None:
        super().__init__("this home's keys/master.key is not the master key the database's "
                         "data keys are wrapped under (a database restored into another "
                         "home?): nothing was appended; see 'cspr restore --help'")
