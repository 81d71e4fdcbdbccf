# The README's two commands: `make demo` and `make test`. Both install what they need first.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
UV      := $(PY) -m uv

.PHONY: install system-deps demo test test-all bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml uv.lock
	@$(PY) -m uv --version >/dev/null 2>&1 || $(PY) -m pip install --quiet "uv==0.13.8"
	# --compile-bytecode: every build starts Python ~5 times (funnel, dbt parse/build); with
	# PYTHONDONTWRITEBYTECODE set (CI images, containers) each start recompiled dagster and dbt
	# from source (import of the definitions 9.2 s -> 3.7 s, `dbt --version` 6.9 s -> 3.4 s).
	$(UV) sync --frozen --compile-bytecode
	# dbt keys its partial-parse state on the profile (the warehouse path included): parsing the
	# project for the demo's out folder now spares the demo's first build a full parse (~12 s).
	$(BIN)/funnel prepare --landing demo/landing --out demo/out
	@touch $@

## Generate sample exports, run the whole nightly build on them, print the funnel.
demo: install
	$(BIN)/funnel demo

## System packages some tests use as real services (PostgreSQL 15, Chromium); only what is missing.
system-deps:
	@bash .ci/system-packages

## The default test suite, then the engine-equivalence test (DuckDB = Postgres = Spark; a few
## minutes, mostly Spark) as its own step (what CI runs).
test: install system-deps
	$(BIN)/python -m pytest -q -n 2 --dist loadfile
	$(BIN)/python -m pytest -q -m engines tests/engines

## Benchmarks (not part of the default tests): root-cause accuracy, then floor vs us vs pandas.
bench: install
	$(BIN)/python bench/root_cause/run.py
	$(BIN)/python bench/run.py --sizes S --reps 3

clean:
	rm -rf demo out .pytest_cache dbt_project/target dbt_project/logs
