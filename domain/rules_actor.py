"""The rules of an actor's own events (issue 12), as data.

A person's second factor for the web service is theirs alone: ``actor-totp-enrolled`` is
signed by the person enrolling (web/totp.py), so an enrolment recorded by anyone else for
them is refused. Not a paragraph of the seed procedure: a product rule of issue 12
(effective from its first release); the procedure's own rule it serves is that a
signature means the person acted (README: every event "signed by the person who
recorded it").
"""

from __future__ import annotations

from domain.errors import RuleViolationError
from domain.rule_base import Rule, _on


class EnrolmentNotOwnError(RuleViolationError):
    paragraph = ""  # a product rule (issue 12), no paragraph of the procedure


ACTOR_RULES: tuple[Rule, ...] = (
    # Issue 12 (product rule, no §): only the person themselves records their enrolment.
    Rule(_on("actor-totp-enrolled"), EnrolmentNotOwnError,
         "a TOTP enrolment is recorded only by the person enrolling",
         lambda c: c.data.get("actor") != c.recorder),
)
