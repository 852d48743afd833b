# Guardline: two commands on a fresh machine.
#   make run   - create .venv, install, start the gateway on the embedded default (SQLite, no server)
#   make test  - create .venv with the dev extras, run ruff, mypy on src/ and pytest
#   make demo  - check examples/messages.jsonl and print the verdicts as a table
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run demo test lint typecheck pytest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[server,redis,postgres]"
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/guardline serve --policy policies/default.yaml

demo: $(VENV)/.run-installed
	$(BIN)/guardline check --format table < examples/messages.jsonl

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests benchmarks

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

pytest: $(VENV)/.dev-installed
	$(BIN)/pytest -q

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
