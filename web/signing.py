"""A person's signature from the web: their key, opened with the passphrase they typed in
this request's form ("Sign this decision"), for this request only.

The passphrase is the only source consulted: not the server's environment
(CSPR_KEY_PASSPHRASE), not a terminal. Whatever goes wrong (wrong passphrase, none typed,
no key file, a key kept in clear) is one refusal, PassphraseRefused, which a form shows
against its passphrase field; nothing is appended.
"""

from __future__ import annotations

from domain.errors import InvalidInputError
from ledger.signing import UNATTENDED, Signer
from service import passphrases
from service.home import Home

MESSAGE = "The passphrase does not open your key"


class PassphraseRefused(Exception):
    """The typed passphrase did not open the actor's key (never says why in detail, never
    repeats what was typed)."""

    def __init__(self) -> None:
        super().__init__(MESSAGE)


def signer_for(home: Home, actor: str, passphrase: str) -> Signer:
    if actor in UNATTENDED:
        raise PassphraseRefused()  # cron's key: no person signs in as the system
    source = passphrases.Passphrases(
        environ={passphrases.variable(actor): passphrase}, ask=None)
    try:
        kf = passphrases.read_key_file(home.keys, actor)
        if not kf.protected:
            raise PassphraseRefused()  # a person's key in clear opens with nothing typed
        return passphrases.open_key(kf, source)[0]
    except InvalidInputError:  # wrong, missing, or no key file: one answer
        raise PassphraseRefused() from None
