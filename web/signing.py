"""A person's signature from the web: their key, opened with the passphrase they typed in
this request's form ("Sign this decision"), for this request only.

The passphrase is the only source consulted: not the server's environment
(CSPR_KEY_PASSPHRASE), not a terminal. Whatever goes wrong (wrong passphrase, none typed,
no key file, a key kept in clear) is one refusal, PassphraseRefused, which a form shows
against its passphrase field; nothing is appended.

A wrong passphrase typed by a signed-in person to sign counts towards the lock-out of their
name, as one at the sign-in page does (web.lockout, shared with it): a session left open
on a desk is not a way to guess the key's passphrase at leisure. While the name is locked
the key is not tried at all (PassphraseLocked). A page whose service opens the key itself
(the passphrase change, opening personal fields) runs that call under the same guard
(``guarded``, ``key_refusals``), so the key is opened once, not once more to check it.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from domain.errors import InvalidInputError
from ledger.errors import PassphraseRequiredError, PrivateKeyUnavailableError, \
    UnprotectedKeyError, WrongPassphraseError
from ledger.signing import UNATTENDED, Signer
from service import passphrases
from service.home import Home
from web import auth_log, context, lockout

MESSAGE = "The passphrase does not open your key"
LOCKED_MESSAGE = ("Too many wrong passphrases: your key cannot be used for a few minutes. "
                  "Wait, then try again")
# What opening a person's key with a typed passphrase refuses, as a service raises it.
KEY_REFUSED = (PassphraseRequiredError, WrongPassphraseError, PrivateKeyUnavailableError,
               UnprotectedKeyError)
T = TypeVar("T")


class PassphraseRefused(Exception):
    """The typed passphrase did not open the actor's key (never says why in detail, never
    repeats what was typed)."""

    def __init__(self, message: str = MESSAGE) -> None:
        super().__init__(message)


class PassphraseLocked(PassphraseRefused):
    """Too many wrong passphrases for this person lately: not tried."""

    def __init__(self) -> None:
        super().__init__(LOCKED_MESSAGE)


def signer_for(home: Home, actor: str, passphrase: str, counted: bool = True) -> Signer:
    """``actor``'s key opened by ``passphrase``. ``counted``: a refusal counts towards the
    lock-out (the sign-in page counts its own, per client as well, and says False)."""
    if not counted:
        return _open(home, actor, passphrase)
    return guarded(actor, lambda: _open(home, actor, passphrase))


def guarded(actor: str, attempt: Callable[[], T]) -> T:
    """``attempt()``, which opens ``actor``'s key with what they typed, under the
    lock-out of their name: not made while it is locked (PassphraseLocked); a
    PassphraseRefused it raises counts and is logged. So a service call that opens the key
    itself (wrapped in ``key_refusals``) is not preceded by a signer_for that opens it
    once more only to count a wrong passphrase."""
    guard, now, keys = lockout.shared(), context.now(), [f"actor:{actor}"]
    if guard.locked_until(keys, now):
        auth_log.record("signature-refused", actor, "locked")
        raise PassphraseLocked()
    try:
        done = attempt()
    except PassphraseRefused:
        guard.failed(keys, now)
        auth_log.record("signature-refused", actor, "passphrase")
        raise
    guard.succeeded(keys, now)
    return done


@contextmanager
def key_refusals() -> Iterator[None]:
    """A service's refusal of the key (wrong passphrase or none, no key file, a person's
    key kept in clear) as the one PassphraseRefused, for ``guarded`` to count."""
    try:
        yield
    except KEY_REFUSED:
        raise PassphraseRefused() from None


def _open(home: Home, actor: str, passphrase: str) -> Signer:
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
