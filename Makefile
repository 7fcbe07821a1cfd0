# Two commands on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_HOME ?= demo-data

.PHONY: install test demo serve-demo bench clean browser-setup

# The browser tests (tests/web/browser/) drive the distribution's Chromium (apt-get install
# chromium; .ci/run installs it) and run axe-core, pinned, from npm inside the venv.
# Without them those tests skip with a message (fail under CI=true).
AXE_VERSION := 4.14.1
AXE_STAMP := $(VENV)/node/.axe-core-$(AXE_VERSION)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP) browser-setup
	$(BIN)/python -m pytest -q

browser-setup: $(AXE_STAMP)
	@command -v chromium >/dev/null 2>&1 || echo "No chromium on PATH: the browser tests will skip (apt-get install chromium)."

$(AXE_STAMP): | $(STAMP)
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --no-save --no-audit --no-fund --silent --prefix $(VENV)/node axe-core@$(AXE_VERSION) && touch $@; \
	else echo "No npm: axe-core is not installed and the browser tests will skip."; fi

demo: $(STAMP)
	rm -rf $(DEMO_HOME)
	$(BIN)/cspr --home $(DEMO_HOME) demo
	@echo ""
	@echo "cspr is in $(BIN)/, not on your PATH: run '. $(BIN)/activate' (or type $(BIN)/cspr),"
	@echo "then 'export CSPR_HOME=$(DEMO_HOME)' and try the tour in README.md."

# The web service over the demo's ledger, on http://127.0.0.1:8080 (plain http: local
# trials only; docs/deploy.md for a real deployment). Run `make demo` first.
serve-demo: $(STAMP)
	@test -d $(DEMO_HOME) || { echo "no $(DEMO_HOME)/: run 'make demo' first"; exit 2; }
	@echo "Sign in as bu1, p1, scrut, ldc, rev or ag1 with the demo's made-up passphrase"
	@echo "'demo-only-not-a-secret'; the first sign-in enrols an authenticator (TOTP)."
	$(BIN)/cspr --home $(DEMO_HOME) serve --insecure-cookies

bench: $(STAMP)
	$(BIN)/python bench/ledger.py

clean:
	rm -rf $(VENV) $(DEMO_HOME) .pytest_cache .hypothesis *.egg-info
