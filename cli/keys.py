"""``cspr actor protect``, and the passphrase rule every signing command's help refers to."""

from __future__ import annotations

import click

from cli.context import Env, ask_on_terminal, emit_json, pass_env, table

# Shown in `actor protect --help`; README "Keys and passphrases" says the same.
PASSPHRASE_RULE = """\b
Whose passphrase opens a key (any command run --as A; an import opens
each key its lines name, once):
  1. CSPR_KEY_PASSPHRASE_<A>   A's own (A in capitals, . and - as _)
  2. CSPR_KEY_PASSPHRASE       whoever runs the command
  3. the terminal              "passphrase for A's key", if 1 is unset
                               and 2 is unset or does not open A's key
A new key's passphrase (init: admin; actor add/rotate: NAME) comes from
1, else 2, else is asked twice; 8 characters at least. Only the system
key (cron) is kept in clear, unless CSPR_KEY_PASSPHRASE_SYSTEM is set."""


def typed(ask: bool) -> bytes | None:
    """The new passphrase typed after --passphrase (asked twice), or None: by the rule."""
    return ask_on_terminal("new passphrase", True).encode() if ask else None


@click.command("protect", epilog=PASSPHRASE_RULE)
@click.argument("names", metavar="NAME...", nargs=-1, required=True)
@click.option("--change", is_flag=True,
              help="give a sealed key a new passphrase (CSPR_NEW_KEY_PASSPHRASE, or asked "
                   "twice); its current one opens it")
@click.option("--json", "as_json", is_flag=True, help="print what was done as JSON")
@pass_env
def actor_protect(env: Env, names: tuple[str, ...], change: bool, as_json: bool) -> None:
    """Seal each NAME's private key in place under NAME's own passphrase.

    For a home made before every person's key was sealed: a key kept in clear is refused
    until this is run. Each file is replaced atomically (written beside it, synced,
    renamed over it); NAME's retired keys are sealed too; a key already sealed is left
    as it is. The key itself does not change, so nothing is recorded in the ledger;
    if the clear file may have been copied, rotate the key as well."""
    from service.protection import protect_keys

    rows = [{"actor": name, **row} for name in names
            for row in protect_keys(env.home.keys, name, change)]
    if as_json:
        emit_json(rows)
    else:
        table(rows, [("actor", "ACTOR"), ("file", "FILE"), ("was", "WAS"), ("now", "NOW")])
