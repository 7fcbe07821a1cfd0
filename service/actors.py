"""Setting up a ledger and managing who may sign: init, add, rotate, revoke, list.

Only ``admin`` manages actors, and every change is itself a signed event. Private keys are
written under ``<home>/keys/`` (0600), each person's sealed under their own passphrase
(``service.passphrases`` says where it comes from), and never enter the database; the
database holds the public keys, registered by those events. Every passphrase is settled
before anything is written, so a refused one leaves no file behind.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select

from domain.errors import RuleViolationError
from domain.procedure import Intent
from domain.streams import Actor
from ledger.app import LedgerApplication
from ledger.envelope import create_master_key
from ledger.errors import (
    ActorExistsError,
    LedgerAlreadyInitialisedError,
    UnknownActorError,
)
from ledger.signing import Signer, key_path, write_private_key
from service import passphrases
from service.home import Home
from service.writer import Receipt, Writer, make_intent

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class AdminNotRevocableError(RuleViolationError):
    def __init__(self) -> None:
        super().__init__("'admin' cannot be revoked; rotate its key instead")


def load_actor_signer(home: Home, actor: str) -> Signer:
    """``actor``'s own key, opened with ``actor``'s passphrase, or refused."""
    return passphrases.open_signer(home.keys, actor)


def new_passphrase(actor: str, given: bytes | None) -> bytes | None:
    """The passphrase a new key of ``actor`` is sealed under: the one given (typed after
    ``--passphrase``), or found by the rule in service.passphrases."""
    if given:
        return passphrases.checked(given, "--passphrase")
    return passphrases.current().to_set(actor)


def _registration(signer: Signer, roles: list[str], by: str, now: datetime) -> Intent:
    return make_intent("actor-registered", None, {
        "actor": signer.actor, "roles": roles,
        "public_key": signer.public_key_raw.hex(), "key_id": signer.key_id,
    }, None, by, now)


def init_ledger(home: Home, partnership: str, rule_set: str = "wt2018-local",
                clock: Clock = _utcnow, passphrase: bytes | None = None) -> list[Receipt]:
    """``passphrase`` seals the admin key (else the rule in service.passphrases); the
    system key stays in clear for cron unless CSPR_KEY_PASSPHRASE_SYSTEM is set."""
    if (home.keys / "master.key").exists():
        raise LedgerAlreadyInitialisedError()
    sealing = {"admin": new_passphrase("admin", passphrase),
               "system": new_passphrase("system", None)}
    app = home.open(must_exist=False)  # creates the home 0700, the database 0600
    if app.size() > 0:
        raise LedgerAlreadyInitialisedError()
    now = clock()
    admin, system = Signer.generate("admin"), Signer.generate("system")
    intents = [
        _registration(admin, ["admin"], "admin", now),
        make_intent("ledger-initialised", None,
                    {"partnership": partnership, "rule_set": rule_set}, None, "admin", now),
        _registration(system, ["system"], "admin", now),
    ]
    home.keys.mkdir(mode=0o700, parents=True, exist_ok=True)
    written = [create_master_key(home.keys)]
    try:
        for signer in (admin, system):
            written.append(key_path(home.keys, signer.actor))
            write_private_key(written[-1], signer, sealing[signer.actor])
        # The first registration is admin's own: nobody exists yet to authorise it, and
        # its key is what every later actor event is checked against.
        return Writer(app, clock).append(intents, {"admin": admin}, bootstrap=True)
    except BaseException:
        for path in written:  # a failed init leaves no half-made ledger behind
            path.unlink(missing_ok=True)
        raise
    finally:
        app.close()


def add_actor(app: LedgerApplication, home: Home, name: str, roles: list[str],
              passphrase: bytes | None = None, clock: Clock = _utcnow,
              by: str = "admin") -> Receipt:
    """``by`` signs the registration; the writer refuses anyone without the admin role.
    The new key is sealed under ``passphrase`` (else NAME's, by the rule)."""
    admin = load_actor_signer(home, by)
    if app.load(Actor, name) is not None or key_path(home.keys, name).exists():
        raise ActorExistsError(name)
    signer = Signer.generate(name)
    intent = _registration(signer, roles, by, clock())
    write_private_key(key_path(home.keys, name), signer, new_passphrase(name, passphrase))
    try:
        return Writer(app, clock).append([intent], {by: admin})[0]
    except BaseException:
        key_path(home.keys, name).unlink(missing_ok=True)  # nothing half-written
        raise


def rotate_actor(app: LedgerApplication, home: Home, name: str,
                 passphrase: bytes | None = None, clock: Clock = _utcnow,
                 by: str = "admin") -> Receipt:
    admin = load_actor_signer(home, by)
    actor = app.load(Actor, name)
    if actor is None:
        raise UnknownActorError(name)
    new = Signer.generate(name)
    intent = make_intent("actor-key-rotated", None, {
        "actor": name, "public_key": new.public_key_raw.hex(), "key_id": new.key_id,
    }, None, by, clock())
    sealing = new_passphrase(name, passphrase)
    staged = home.keys / f"{name}.pem.new"
    write_private_key(staged, new, sealing)
    signers = {by: admin}
    try:
        receipt = Writer(app, clock).append([intent], signers)[0]
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    current = key_path(home.keys, name)
    if current.exists():
        current.rename(key_path(home.keys, name, actor.key_id))
    staged.rename(current)
    return receipt


def revoke_actor(app: LedgerApplication, home: Home, name: str, reason: str,
                 clock: Clock = _utcnow, by: str = "admin") -> Receipt:
    if name == "admin":
        raise AdminNotRevocableError()
    admin = load_actor_signer(home, by)
    intent = make_intent("actor-revoked", None, {"actor": name, "reason": reason},
                         None, by, clock())
    return Writer(app, clock).append([intent], {by: admin})[0]


def list_actors(app: LedgerApplication) -> list[dict[str, Any]]:
    t = app.events_table
    with app.engine.connect() as conn:
        names = conn.execute(
            select(t.c.state).where(t.c.event_type == "actor-registered").order_by(t.c.id)
        ).scalars().all()
    out = []
    for state in names:
        name = json.loads(state)["data"]["actor"]
        actor = app.load(Actor, name)
        if actor is not None:
            out.append({"actor": name, "roles": list(actor.roles), "key_id": actor.key_id,
                        "revoked": actor.revoked})
    return out


def private_key_path(home: Home, name: str) -> Path:
    return key_path(home.keys, name)
