"""The rules of joint decisions and their co-signatures (issue 11 item 7), as data.

§8.9: the level of review is "the decision of the Statutory Safeguarding Partners and
Independent Scrutineer/Chair"; §21.1: the final report is signed off by the partners and
the Scrutineer. One person records such a decision and names, in ``cosigners``, who else
must sign it; each of them then records a ``decision-cosigned`` event under their own key.

What the domain can see is checked here: who the co-signers are (their actor streams, in
``RuleContext.actors``) and the co-signatures a case already holds. What it cannot see,
the ledger position and chain hash a co-signature names and the decision found there, is
checked by ``service/cosigning.py`` before the event is written.
Effective date of every rule below: the seed procedure of March 2020 (Working Together
2018); the co-signature itself is a product decision of issue 11.
"""

from __future__ import annotations

from domain.catalogue import get_event_type
from domain.cosigners import JOINT_DECISIONS
from domain.errors import RuleViolationError
from domain.rule_base import Rule, RuleContext, _on

COSIGNED = "decision-cosigned"
# The Independent Scrutineer signs off with the partners (§8.9, §21.1, PROCEDURE.md
# "Words"), whoever may record the decision itself.
SCRUTINEER = "scrutineer"


class CosignerNotRegisteredError(RuleViolationError):
    paragraph = "§8.9, §21.1"


class CosignerRevokedError(RuleViolationError):
    paragraph = "§8.9, §21.1"


class CosignerIsRecorderError(RuleViolationError):
    paragraph = "§8.9, §21.1"


class CosignerRoleError(RuleViolationError):
    paragraph = "§8.9, §21.1"


class DuplicateCosignatureError(RuleViolationError):
    paragraph = "§8.9, §21.1"


def _named(ctx: RuleContext) -> list[str]:
    return list(ctx.data.get("cosigners", ()))


def _may_decide(ctx: RuleContext, name: str) -> bool:
    actor = ctx.actors.get(name)
    allowed = get_event_type(ctx.type).roles | {SCRUTINEER}
    return actor is not None and bool(allowed.intersection(actor.roles))


def _cosigned_already(ctx: RuleContext) -> bool:
    c = ctx.case
    return c is not None and any(
        f.type == COSIGNED and f.actor == ctx.recorder
        and f.data["position"] == ctx.data["position"] for f in c.facts)


COSIGN_RULES: tuple[Rule, ...] = (
    # §8.9, §21.1 (2020-03; issue 11): a co-signer signs with a key the ledger registered.
    Rule(_on(*JOINT_DECISIONS), CosignerNotRegisteredError,
         "every cosigner must be a registered actor",
         lambda c: any(c.actors.get(n) is None for n in _named(c))),
    Rule(_on(*JOINT_DECISIONS), CosignerRevokedError,
         "a cosigner's key has been revoked: name someone who can still sign",
         lambda c: any(getattr(c.actors.get(n), "revoked", False) for n in _named(c))),
    # §8.9, §21.1 (2020-03; issue 11): a joint decision needs other people's signatures;
    # the recorder has already signed it by recording it.
    Rule(_on(*JOINT_DECISIONS), CosignerIsRecorderError,
         "the recorder signs the decision by recording it: cosigners name the others",
         lambda c: c.recorder in _named(c)),
    # §8.9, §21.1 (2020-03; issue 11): only someone who may take the decision (a partner),
    # or the Independent Scrutineer, co-signs it.
    Rule(_on(*JOINT_DECISIONS), CosignerRoleError,
         "every cosigner must hold a role that may take this decision, or scrutineer",
         lambda c: not all(_may_decide(c, n) for n in _named(c))),
    # §8.9, §21.1 (2020-03; issue 11): each co-signer signs a decision once.
    Rule(_on(COSIGNED), DuplicateCosignatureError,
         "you have already co-signed this decision", _cosigned_already),
)

# A decision taken before the case closed (a sign-off after closure, say) can still be
# co-signed: the co-signature completes it, it decides nothing new.
COSIGN_AFTER_CLOSURE = frozenset({COSIGNED})
