"""Failures of the ledger itself (keys, signatures, storage), as opposed to the procedure's.

They extend the domain's two families so the CLI maps them to the same exit codes: an
unknown actor is bad input (2); a revoked key or a role the catalogue does not allow is a
refused check (1).
"""

from __future__ import annotations

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
