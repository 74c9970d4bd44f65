# One entry per habit; CI calls `make test` through .ci/run.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install run test lint format bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## README command 1: install, process the demo episode, serve on http://127.0.0.1:8000
run: install
	$(BIN)/soundbite demo
	$(BIN)/soundbite serve

## README command 2: install and run the whole test suite
test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install
	$(BIN)/python bench/peaks.py
	$(BIN)/python bench/transcribe.py

clean:
	rm -rf $(VENV) soundbite-data .pytest_cache
