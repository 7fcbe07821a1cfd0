# Two commands on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_HOME ?= demo-data

.PHONY: install test demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	rm -rf $(DEMO_HOME)
	$(BIN)/cspr --home $(DEMO_HOME) demo
	@echo ""
	@echo "cspr is in $(BIN)/, not on your PATH: run '. $(BIN)/activate' (or type $(BIN)/cspr),"
	@echo "then 'export CSPR_HOME=$(DEMO_HOME)' and try the tour in README.md."

bench: $(STAMP)
	$(BIN)/python bench/ledger.py

clean:
	rm -rf $(VENV) $(DEMO_HOME) .pytest_cache .hypothesis *.egg-info
