# fieldtui — the two commands: `make run` and `make test`. Only Python 3.11+ and pip are needed.
PYTHON ?= python3
VENV   ?= .venv
ifeq ($(OS),Windows_NT)
BIN := $(VENV)/Scripts
else
BIN := $(VENV)/bin
endif
PY := $(BIN)/python
ARGS ?=

.PHONY: run test check stress bench fmt clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.base: pyproject.toml | $(BIN)/python
	$(PY) -m pip install -q -e .
	@touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(PY) -m pip install -q -e '.[test,dev]'
	@touch $(VENV)/.base $@

run: $(VENV)/.base
	$(BIN)/fieldtui $(ARGS)

test: $(VENV)/.dev
	$(PY) -m pytest -n auto --dist loadgroup -q $(ARGS)

check: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

stress: $(VENV)/.dev
	FIELDTUI_STRESS=1 $(PY) -m pytest -n auto --dist loadgroup -q -m "stress or not stress" $(ARGS)

bench: $(VENV)/.dev
	$(PY) -m benchmarks $(ARGS)

fmt: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis dist build
