"""``cspr case erase``: crypto-shredding of one case's personal data, co-signed."""

from __future__ import annotations

import click

from cli.context import Env, emit_json, pass_env
from cli.keys import PASSPHRASE_RULE


@click.command("erase", epilog=PASSPHRASE_RULE)
@click.argument("ref")
@click.option("--reason", required=True, help="why (e.g. the retention period ended); "
              "signed in clear: write no personal data here")
@click.option("--cosigner", required=True, envvar="CSPR_COSIGNER",
              help="the second person (business_unit or scrutineer) who co-signs; their "
                   "key opens with CSPR_KEY_PASSPHRASE_<NAME> or on the terminal")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def case_erase(env: Env, ref: str, reason: str, cosigner: str, as_json: bool) -> None:
    """Erase case REF's personal data for good: append a signed personal-data-erased
    event (admin, co-signed by a second person), then destroy the case's data key by
    rotating the master key, so that no copy of it (free pages, WAL, dead tuples,
    backups) opens any more. The events, their signatures and the chain still verify.

    A crash part way is finished by running the same command again."""
    from service.erasure import erase_case

    done = erase_case(env.app(), env.home, ref, reason, cosigner, by=env.acting("admin"))
    if as_json:
        emit_json(done.as_json())
        return
    where = f" at position {done.receipt.position}" if done.receipt else ""
    click.echo(f"erased the personal data of case {ref}{where}, co-signed by {cosigner}; "
               f"master key rotated ({done.shredded.rewrapped} other cases' keys "
               "re-wrapped, the old master key destroyed). Backups taken before now "
               "restore no personal data: take a new one ('cspr backup')")
