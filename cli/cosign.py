"""``cspr cosign POSITION``: co-sign a joint decision with your own key (issue 11 item 7)."""

from __future__ import annotations

import click

from cli.context import Env, emit_json, pass_env


@click.command("cosign")
@click.argument("position", type=click.IntRange(1, 2 ** 53 - 1))
@click.option("--json", "as_json", is_flag=True, help="print the receipt as JSON")
@pass_env
def cosign(env: Env, position: int, as_json: bool) -> None:
    """Co-sign the joint decision at ledger POSITION with your own key (§8.9, §21.1).

    Sign as --as ACTOR, with that actor's passphrase as `cspr record` asks for it. Only an
    actor the decision names in its cosigners may co-sign, once; the co-signature binds
    the decision's exact content (its chain hash). `cspr case show` lists the decisions
    still awaiting co-signature; `cspr case history` shows every signature. Exit 2 for a
    position the ledger does not hold, 1 when a rule refuses; nothing is appended then.
    """
    from service.cosigning import cosign as cosign_decision

    receipt = cosign_decision(env.app(), env.home, env.require_actor(), position)
    if as_json:
        emit_json(receipt.as_json())
        return
    click.echo(f"co-signed the decision at position {position} on {receipt.case}: "
               f"recorded at position {receipt.position} ({receipt.hash[:16]}…)")
