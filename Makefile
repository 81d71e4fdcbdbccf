# The README's two commands: `make demo` and `make test`. Both install what they need first.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
UV      := $(PY) -m uv

.PHONY: install system-deps demo test test-all bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml uv.lock
	@$(PY) -m uv --version >/dev/null 2>&1 || $(PY) -m pip install --quiet "uv==0.13.8"
	$(UV) sync --frozen
	@touch $@

## Generate sample exports, run the whole nightly build on them, print the funnel.
demo: install
	$(BIN)/funnel demo

## System packages some tests use as real services (PostgreSQL 15, Chromium); only what is missing.
system-deps:
	@bash .ci/system-packages

## The default test suite (what CI runs).
test: install system-deps
	$(BIN)/python -m pytest -q

clean:
	rm -rf demo out .pytest_cache dbt_project/target dbt_project/logs
