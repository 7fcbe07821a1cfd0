"""Where the browser tests' tools are, and what a test does when one is missing.

Chromium is the distribution's (`apt-get install chromium`; .ci/run installs it), never
Playwright's own download, which is not reachable here. axe-core comes from npm, pinned
(the Makefile's browser-setup target installs it into the venv). Without them the browser
tests skip with a message saying what is missing; under CI=true they fail instead, as a
missing PostgreSQL does (tests/conftest.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import pytest

CHROMIUM = Path(os.environ.get("CSPR_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE_JS = Path(os.environ.get("CSPR_TEST_AXE_JS")
              or Path(sys.prefix) / "node" / "node_modules" / "axe-core" / "axe.min.js")
# The flags of the contract; Playwright adds --headless itself (headless=True)
# and a fresh --user-data-dir of its own at every launch, deleted when it closes.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def missing(why: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the browser tests are required under CI=true: {why}")
    pytest.skip(f"browser tests skipped: {why}")
