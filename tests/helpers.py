"""Building blocks for tests: a ready ledger with made-up actors, and CLI invocation."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

from click.testing import CliRunner, Result

from cli.main import cli
from ledger.app import LedgerApplication
from service import actors
from service.home import Home
from service.passphrases import variable
from service.recording import record_event
from service.writer import Receipt

ACTORS = {
    "bu1": ["business_unit"],
    "p1": ["partner"],
    "scrut": ["scrutineer"],
    "ldc": ["ld_chair"],
    "rev": ["reviewer"],
    "ag1": ["agency"],
}

# A made-up child: its name must never appear in clear in the database.
CHILD_NAME = "Zephyrine Quillfeather"

REFERRAL: dict[str, Any] = {
    "referring_agency": "Agency A",
    "received_on": "2025-12-17",
    "aware_on": "2025-12-18",
    "incident_on": "2025-12-16",
    "harm": "death",
    "location": "in_area",
    "abuse_or_neglect": "suspected",
    "looked_after": False,
    "child": {"name": CHILD_NAME, "dob": "2015-03-04", "address": "1 Nowhere Lane"},
    "summary": "made-up summary for tests",
}




def two_signer_lines(case: str) -> str:
    """An import file's text whose lines are signed by two people: bu1, then p1."""
    lines = [{"type": "incident-referred", "case": case, "occurred_at": "2025-12-18",
              "data": REFERRAL, "as": "bu1"},
             {"type": "reported-to-partners", "case": case, "occurred_at": "2025-12-19",
              "data": {"on": "2025-12-19"}, "as": "bu1"},
             {"type": "threshold-decided", "case": case, "occurred_at": "2025-12-20",
              "data": {"meets_threshold": True, "rationale": "Made-up rationale for a test.",
                       "decided_by": ["LA", "ICB", "Police"]}, "as": "p1"}]
    return "".join(json.dumps(line) + "\n" for line in lines)


@dataclass
class Ledger:
    home: Home
    app: LedgerApplication

    def record(self, actor: str, type_name: str, case: str | None, data: dict[str, Any],
               occurred_at: str | None = None) -> Receipt:
        return record_event(self.app, self.home, actor, type_name, case, data, occurred_at)

    def cli(self, *args: str, input: str | None = None) -> Result:
        return run_cli(self.home, *args, input=input)

    def reopen(self) -> "Ledger":
        return Ledger(self.home, self.home.open())


def make_ledger(home: Home, with_actors: bool = True) -> Ledger:
    actors.init_ledger(home, "Testshire Safeguarding Partnership")
    app = home.open()
    if with_actors:
        for name, roles in ACTORS.items():
            actors.add_actor(app, home, name, roles)
    return Ledger(home, app)


def make_ledger_of_people(home: Home, monkeypatch: Any) -> tuple[Ledger, dict[str, str]]:
    """A ledger whose admin and made-up actors each have their own made-up passphrase,
    given while it is made; afterwards no passphrase is set at all."""
    own = {a: f"{a}'s own made-up passphrase" for a in ["admin", *ACTORS]}
    monkeypatch.delenv("CSPR_KEY_PASSPHRASE")
    for actor, secret in own.items():
        monkeypatch.setenv(variable(actor), secret)
    lg = make_ledger(home)
    for actor in own:
        monkeypatch.delenv(variable(actor))
    return lg, own


def cspr_argv(home: Home, *args: str) -> list[str]:
    """The command line of a real `cspr` process (for subprocess and terminal tests)."""
    base = [sys.executable, "-m", "cli.main", "--home", str(home.root)]
    if home.db_url:
        base += ["--db", home.db_url]
    return [*base, *args]


def run_cli(home: Home, *args: str, input: str | None = None) -> Result:
    base = ["--home", str(home.root)]
    if home.db_url:
        base += ["--db", home.db_url]
    return CliRunner().invoke(cli, [*base, *args], input=input, catch_exceptions=False)


def write_generated(lg: Ledger, seed: int, cases: int, extra: int = 0) -> int:
    """Append generated cases, one transaction per case; returns events appended."""
    from datetime import datetime, timezone

    from service.actors import load_actor_signer
    from service.writer import Writer
    from tests.generator import generate, intents

    signers = {a: load_actor_signer(lg.home, a) for a in [*ACTORS, "system"]}
    writer = Writer(lg.app)
    total = 0
    for ref, steps in generate(seed, cases, extra):
        batch = intents(ref, steps, datetime.now(timezone.utc))
        writer.append(batch, {i.actor: signers[i.actor] for i in batch})
        total += len(batch)
    return total
