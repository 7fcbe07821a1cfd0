"""Whose passphrase opens which key, and where it comes from.

Each person's key is sealed under their own passphrase, so a command signs as actor A only
if A's passphrase is given. The rule, for any command, an import included (it opens one
key per actor its lines name, each once):

To open A's key:
  1. ``CSPR_KEY_PASSPHRASE_<A>`` (A in capitals, ``.`` and ``-`` as ``_``): A's own. If set
     and wrong, refused: nothing else is tried.
  2. ``CSPR_KEY_PASSPHRASE``: the passphrase of whoever runs the command (a script, or a
     person who would rather not type it each time).
  3. The terminal, when standard input is one: "passphrase for A's key", asked if 1 is
     unset and 2 is unset or does not open A's key. So at an import naming colleagues'
     keys, each colleague types their own, as they would co-sign a paper.
  Otherwise refused (exit 2), the message naming A's variable.

To set a new key's passphrase (``init``: admin's; ``actor add`` / ``rotate`` / ``protect``:
NAME's): 1, else 2, else asked twice on the terminal, else refused; at least 8
characters. The ``system`` key (cron signs with it, nobody types) stays in clear unless
``CSPR_KEY_PASSPHRASE_SYSTEM`` is set (or ``actor protect system`` seals it). To change a
passphrase (``actor protect --change``) the new one comes from ``CSPR_NEW_KEY_PASSPHRASE``
or the terminal (twice).

Which source is in force is a context variable: the CLI installs one that may ask on the
terminal; the demo one holding its made-up passphrase; services simply use ``current()``.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping

from ledger.errors import PassphraseRequiredError, WeakPassphraseError, WrongPassphraseError
from ledger.signing import UNATTENDED, KeyFile, Signer, read_key_file

SHARED = "CSPR_KEY_PASSPHRASE"
NEW = "CSPR_NEW_KEY_PASSPHRASE"  # only for 'actor protect --change'
MIN_LENGTH = 8

# (prompt, ask twice) -> what was typed
Ask = Callable[[str, bool], str]


def variable(actor: str) -> str:
    return f"{SHARED}_{re.sub(r'[^A-Z0-9]', '_', actor.upper())}"


@dataclass
class Passphrases:
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    ask: Ask | None = None

    def _env(self, name: str) -> bytes | None:
        value = self.environ.get(name)
        return value.encode() if value else None

    def to_open(self, actor: str) -> Iterator[tuple[bytes, str]]:
        """Each passphrase to try, in order, with where it came from; the terminal is
        asked only when reached."""
        own = self._env(variable(actor))
        if own is not None:
            yield own, variable(actor)
            return
        shared = self._env(SHARED)
        if shared is not None:
            yield shared, SHARED
        if self.ask is not None:
            yield self.ask(f"passphrase for {actor}'s key", False).encode(), "the terminal"

    def to_set(self, actor: str, keep_clear: bool | None = None,
               change: bool = False) -> bytes | None:
        """A new key's passphrase; None (kept in clear) only for an unattended actor
        without its own variable, unless ``keep_clear`` says otherwise. ``change``: a
        new passphrase for a sealed key, whose current one is in the usual places."""
        if change:
            names = [NEW]
        elif actor in UNATTENDED if keep_clear is None else keep_clear:
            names = [variable(actor)]
            if self._env(names[0]) is None:
                return None  # cron's key: nobody is there to type a passphrase
        else:
            names = [variable(actor), SHARED]
        for name in names:
            value = self._env(name)
            if value is not None:
                return checked(value, name)
        if self.ask is not None:
            typed = self.ask(f"new passphrase for {actor}'s key", True).encode()
            return checked(typed, "the terminal")
        raise PassphraseRequiredError(actor, f"type the new one on a terminal, or set {NEW}"
                                      if change else how_to_give(actor))


def how_to_give(actor: str) -> str:
    return (f"type it on a terminal, or set {variable(actor)} (or {SHARED} for whoever "
            "runs the command)")


def checked(passphrase: bytes, origin: str) -> bytes:
    if len(passphrase.decode(errors="replace")) < MIN_LENGTH:
        raise WeakPassphraseError(origin, MIN_LENGTH)
    return passphrase


_current: ContextVar[Passphrases | None] = ContextVar("cspr_passphrases", default=None)


def current() -> Passphrases:
    return _current.get() or Passphrases()


def install(source: Passphrases) -> None:
    """For the CLI: this source for the rest of the command."""
    _current.set(source)


@contextmanager
def using(source: Passphrases) -> Iterator[None]:
    token = _current.set(source)
    try:
        yield
    finally:
        _current.reset(token)


def open_signer(keys_dir: Path, actor: str, source: Passphrases | None = None) -> Signer:
    """Actor's signer, its key opened by the first passphrase that fits (see the module
    docstring); refused if none does. A clear key opens only for an unattended actor."""
    return open_key(read_key_file(keys_dir, actor), source)[0]


def open_key(kf: KeyFile, source: Passphrases | None = None) -> tuple[Signer, bytes | None]:
    """The signer and the passphrase that opened it (None for a clear key)."""
    if not kf.protected:
        return kf.open_clear(), None
    origin = None
    for passphrase, origin in (source or current()).to_open(kf.actor):
        signer = kf.open(passphrase)
        if signer is not None:
            return signer, passphrase
    if origin is None:
        raise PassphraseRequiredError(kf.actor, how_to_give(kf.actor))
    raise WrongPassphraseError(kf.actor, origin, "" if origin != SHARED else
                               f"; {kf.actor}'s own goes in {variable(kf.actor)} or on a "
                               "terminal")
