"""``cspr init`` and ``cspr actor``: the people and systems who sign events.

Services are imported inside each command, so that ``--help`` loads no database code.
"""

from __future__ import annotations

import click

from cli.checkpoints import show_vkeys
from cli.context import Env, emit_json, pass_env, table
from cli.keys import PASSPHRASE_RULE, actor_protect, typed
from domain.catalogue import ROLES, RULE_SETS


@click.command(epilog=PASSPHRASE_RULE)
@click.option("--partnership", required=True, help="the safeguarding partnership's name")
@click.option("--rule-set", type=click.Choice(RULE_SETS), default="wt2018-local",
              show_default=True, help="the timescales this partnership works to")
@pass_env
def init(env: Env, partnership: str, rule_set: str) -> None:
    """Create the ledger, its master key, and the admin and system actors. The admin key
    is sealed under admin's passphrase; the system key is kept in clear (0600) for cron."""
    from service.actors import init_ledger

    env.only_as("admin", "init")  # admin registers itself: nobody else exists yet
    receipts = init_ledger(env.home, partnership, rule_set)
    click.echo(f"initialised {env.home.root} ({len(receipts)} events; keys in "
               f"{env.home.keys})")


@click.group()
def actor() -> None:
    """Register, rotate, revoke and list the people and systems who sign events."""


_ASK = click.option("--passphrase", is_flag=True,
                    help="ask for NAME's new passphrase (twice) even if a "
                         "CSPR_KEY_PASSPHRASE variable is set")


@actor.command("add", epilog=PASSPHRASE_RULE)
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@_ASK
@pass_env
def actor_add(env: Env, name: str, roles: tuple[str, ...], passphrase: bool) -> None:
    """Create a key pair for NAME, sealed under NAME's passphrase, and register its public
    key and roles (signed by admin, or by the --as actor, who must hold the admin role
    and give their own passphrase)."""
    from service.actors import add_actor, private_key_path

    r = add_actor(env.app(), env.home, name, list(roles), typed(passphrase),
                  by=env.acting("admin"))
    click.echo(f"registered {name} at position {r.position}; private key in "
               f"{private_key_path(env.home, name)}")


@actor.command("rotate", epilog=PASSPHRASE_RULE)
@click.argument("name")
@_ASK
@pass_env
def actor_rotate(env: Env, name: str, passphrase: bool) -> None:
    """Replace NAME's key (the new one sealed under NAME's passphrase); events it signed
    before stay valid under the old key."""
    from service.actors import rotate_actor

    r = rotate_actor(env.app(), env.home, name, typed(passphrase), by=env.acting("admin"))
    click.echo(f"rotated {name} at position {r.position}")


@actor.command("revoke")
@click.argument("name")
@click.option("--reason", required=True)
@pass_env
def actor_revoke(env: Env, name: str, reason: str) -> None:
    """Stop NAME signing from now on; its earlier events stay valid."""
    from service.actors import revoke_actor

    r = revoke_actor(env.app(), env.home, name, reason, by=env.acting("admin"))
    click.echo(f"revoked {name} at position {r.position}")


actor.add_command(actor_protect)


@actor.command("list")
@click.option("--vkeys", is_flag=True, help="also the C2SP vkey of every system key, "
              "current and retired, with the positions it was in force: what a witness "
              "and an inspector pin (read-only: runs on a copy with no keys)")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def actor_list(env: Env, vkeys: bool, as_json: bool) -> None:
    """List the registered actors, their roles and key ids."""
    from service.actors import list_actors

    if vkeys:
        show_vkeys(env, as_json)
        return
    rows = list_actors(env.app())
    if as_json:
        emit_json(rows)
    else:
        table([{**r, "roles": ",".join(r["roles"])} for r in rows],
              [("actor", "ACTOR"), ("roles", "ROLES"), ("key_id", "KEY ID"),
               ("revoked", "REVOKED")])
