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

# The issue-5 reliability and security tests at the full counts the issue names (see
# tests/reliability/README.md): FIELDTUI_STRESS=1 switches every count(reduced, full) to full.
STRESS_TESTS = tests/reliability tests/security tests/county/test_faults.py \
	tests/county/test_openapi.py tests/county/test_limits.py tests/sync/test_kill.py \
	tests/sync/test_filenames.py tests/sync/test_mail.py \
	tests/county/test_push.py::test_twenty_identical_submissions_at_once_store_one_batch

stress: $(VENV)/.dev
	FIELDTUI_STRESS=1 $(PY) -m pytest -n auto --dist loadgroup -q --durations=15 $(STRESS_TESTS) $(ARGS)

bench: $(VENV)/.dev
	$(PY) -m benchmarks $(ARGS)

fmt: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis dist build
