"""What one nightly run did, as ``cspr jobs nightly --json`` prints it.

Its own module so that the nightly's parts (jobs.nightly_verify, nightly_letters,
nightly_report) can each add to it without importing the run that calls them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class NightlyResult:
    as_of: str
    breaches_recorded: int = 0
    escalations_recorded: int = 0
    already_recorded: int = 0
    messages_written: int = 0
    messages_sent: int = 0
    messages_failed: int = 0
    messages_held: int = 0
    relay_error: str | None = None
    events_verified: int = 0
    verify_ok: bool = True  # no finding is open (unacknowledged)
    problems: list[dict[str, Any]] = field(default_factory=list)  # this run's findings
    alarms: list[dict[str, Any]] = field(default_factory=list)  # open: block the run
    failed_cases: list[str] = field(default_factory=list)  # left out: cannot be processed
    # Issue 11 item 11: escalation letters this run wrote to the admin address for want
    # of a directory entry, and each warning as {case, action, level, warning} (codes
    # only, never a name or an address).
    letters_unaddressed: int = 0
    letter_warnings: list[dict[str, str]] = field(default_factory=list)
    checkpoint_size: int = 0
    checkpoint_root: str = ""
    report: str = ""

    @property
    def ok(self) -> bool:
        return self.verify_ok and not self.failed_cases

    def as_json(self) -> dict[str, Any]:
        return asdict(self)
