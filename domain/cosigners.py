"""Who must co-sign a joint decision (issue 11 item 7): the optional ``cosigners`` field
of the joint decisions, declared once for ``domain/catalogue_case.py`` and
``domain/catalogue_review.py``, and the list of those decisions."""

from __future__ import annotations

from domain import limits
from domain.declaring import Field, _name

# Issue 11 item 7 (§8.9, §21.1): the decisions the partners take jointly, with the
# Independent Scrutineer where PROCEDURE.md says so; each may name who must co-sign it.
JOINT_DECISIONS: tuple[str, ...] = (
    "threshold-decided", "review-level-decided", "learning-route-approved",
    "publication-planned", "publication-declined", "final-report-signed-off",
)


# A partnership's three partners and the Scrutineer, with room to spare: a bound, so a
# pending list always fits a line of `case show` and a cell of the report.
COSIGNERS_MAX = 16


def _cosigners() -> Field:
    # Optional, so that every joint decision already in a ledger stays valid (EVENTS.md:
    # a field never changes meaning). Names as the actor field has them (declaring._actor).
    item = _name("item", "a registered actor's name", pattern=limits.ACTOR_PATTERN,
                 pattern_help=limits.ACTOR_HELP)
    return Field("cosigners", "list", item=item, min_items=1, unique_items=True,
                 max_items=COSIGNERS_MAX, required=False,
                 help="the actors who must each co-sign this decision with their own key "
                      "(cspr cosign POSITION); each a registered actor other than the "
                      "recorder, holding a role that may decide it, or scrutineer "
                      "(§8.9, §21.1)")
