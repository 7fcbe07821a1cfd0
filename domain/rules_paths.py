"""The rules of the procedure's further paths (issue 11 item 8): the National Panel's
requests and a national review (§9.3-9.6), telling the family (§16.1), the coroner (§17.4),
the media strategy (§20.1), the reviewer's supervision (§12.5) and the L&D sub-group's
outcome below threshold (App. 1). Declared as ``domain/rules.py`` declares its own."""

from __future__ import annotations

from domain.rule_base import Rule

# Events of these paths that may still be recorded on a closed case.
PATH_AFTER_CLOSURE: frozenset[str] = frozenset()

PATH_RULES: tuple[Rule, ...] = ()
