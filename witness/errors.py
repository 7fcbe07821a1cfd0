"""The witness's named failures, mapped to exit codes by cli.errors like every other.

Bad input (exit 2, nothing written): a request or vkey that does not parse, a missing
state. Refusals (exit 1): a checkpoint the witness will not cosign. Each refusal that
follows a valid signature by a trusted key has a ``kind``, the name of the folder under
``evidence/`` where both conflicting checkpoints are kept. Messages name fields and sizes,
never the text that was sent.
"""

from __future__ import annotations

from domain.errors import InvalidInputError, RuleViolationError


class MalformedRequestError(InvalidInputError):
    def __init__(self, detail: str) -> None:
        super().__init__(f"malformed add-checkpoint request: {detail}")


class MalformedVKeyError(InvalidInputError):
    def __init__(self, detail: str) -> None:
        super().__init__(f"malformed vkey: {detail}")


class WitnessStateMissingError(InvalidInputError):
    def __init__(self, where: str) -> None:
        super().__init__(f"no witness state at {where}: run 'cspr witness init' first")


class WitnessKeyUnavailableError(InvalidInputError):
    def __init__(self, why: str) -> None:
        super().__init__(f"cannot load the witness key: {why}")


class WitnessStateExistsError(RuleViolationError):
    def __init__(self, where: str) -> None:
        super().__init__(f"{where} already exists: a witness state is never overwritten")


class CheckpointRefusedError(RuleViolationError):
    """A checkpoint the witness will not cosign."""

    kind = "refused"


class UnknownOriginError(CheckpointRefusedError):
    kind = "unknown-origin"

    def __init__(self) -> None:
        super().__init__("no trusted key for this checkpoint's origin "
                         "(pin one with 'cspr witness trust')")


class UntrustedCheckpointError(CheckpointRefusedError):
    kind = "untrusted-signature"

    def __init__(self, why: str) -> None:
        super().__init__(f"the checkpoint is not signed by a trusted key: {why}")


class BadEmptyTreeError(CheckpointRefusedError):
    kind = "bad-empty-tree"

    def __init__(self) -> None:
        super().__init__("a checkpoint of size 0 must have the empty tree's root hash")


class RollbackError(CheckpointRefusedError):
    kind = "rollback"

    def __init__(self, offered: int, last: int) -> None:
        super().__init__(f"the checkpoint (size {offered}) is older than the last one "
                         f"cosigned (size {last}): a rollback")


class SplitViewError(CheckpointRefusedError):
    kind = "split-view"

    def __init__(self, size: int) -> None:
        super().__init__(f"a different root hash for size {size}, already cosigned with "
                         "another: a split view (both checkpoints kept as evidence)")


class RewrittenHistoryError(CheckpointRefusedError):
    kind = "rewritten-history"

    def __init__(self, old: int, new: int) -> None:
        super().__init__(f"the consistency proof from size {old} to size {new} does not "
                         "verify: the log's history was rewritten, or the proof is wrong "
                         "(both checkpoints kept as evidence)")


class OldSizeMismatchError(CheckpointRefusedError):
    kind = "old-size"

    def __init__(self, sent: int, last: int) -> None:
        self.last = last
        super().__init__(f"the proof starts from size {sent}, but the last checkpoint "
                         f"cosigned has size {last}: send a consistency proof from size "
                         f"{last} ('cspr checkpoint --proof-from {last}')")
