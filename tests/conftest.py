"""Shared fixtures: paths to the real vendor files and a fresh private warehouse per test."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from orchestration.warehouse import connect

# `make test` runs the suite on two pytest-xdist workers. A worker's __main__ is execnet's bootstrap,
# which has neither __spec__ nor __file__; pyspark's Connect module (imported by great_expectations)
# takes such a process for a doctest run and calls sys.exit(0) on import. Give it a file name.
_main = sys.modules["__main__"]
if getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__file__ = "<pytest-xdist worker>"


def pytest_configure(config):
    """Parse the dbt project once, in the controller, before workers start: each worker's import of
    the Dagster definitions would otherwise run `dbt parse` into the same target/ at the same time."""
    if not hasattr(config, "workerinput"):
        from orchestration.transform.project import ensure_manifest

        ensure_manifest()


FIXTURES = Path(__file__).parent / "fixtures"
pytest_plugins = ["tests.pg_fixtures"]  # postgres_server (one per session), pg_database


def _drop_funnel_variables() -> dict[str, str]:
    dropped = {k: v for k, v in os.environ.items() if k.startswith("FUNNEL_")}
    for name in dropped:
        del os.environ[name]
    return dropped


@pytest.fixture(scope="module", autouse=True)
def _no_funnel_environment_in_module_fixtures():
    """Module fixtures start without FUNNEL_* variables, and none survive a module.

    Importing orchestration.definitions (test modules do, at collection) or building definitions
    from default settings exports the default paths, FUNNEL_WAREHOUSE_PATH among them, and that
    variable overrides `--out`: a later module fixture's build then wrote to ./out/private, shared
    by every test. Autouse fixtures of a scope run before the other fixtures of that scope."""
    _drop_funnel_variables()
    yield
    _drop_funnel_variables()


@pytest.fixture(autouse=True)
def _no_funnel_environment():
    """Tests start from defaults, and leave none behind: FUNNEL_* variables from the shell are
    removed for the test, and any a test sets (directly or through Settings.export_env) are
    removed after it, so the next module's fixtures start clean."""
    saved = _drop_funnel_variables()
    yield
    _drop_funnel_variables()
    os.environ.update(saved)


@pytest.fixture
def warehouse(tmp_path):
    con = connect(tmp_path / "warehouse.duckdb")
    yield con
    con.close()


@pytest.fixture
def landing(tmp_path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


def copy_fixture(landing: Path, *names: str) -> None:
    """Copy fixture files (``vendor/File.csv``) flat into a landing folder, like a user would."""
    for name in names:
        shutil.copy(FIXTURES / name, landing / Path(name).name)
