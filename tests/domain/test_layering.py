"""domain/ depends only on the standard library and eventsourcing (Cosmic Python)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import domain

FORBIDDEN = ("sqlalchemy", "cryptography", "click", "holidays", "psycopg", "ledger",
             "service", "cli", "projections", "jobs")


def test_domain_imports_no_infrastructure():
    modules = [f"domain.{m.name}" for m in pkgutil.iter_modules(domain.__path__)]
    assert "domain.procedure" in modules  # the walk found the package's modules
    code = (
        "import sys\n"
        f"for m in {modules!r}: __import__(m)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "", f"domain/ imported: {out}"
