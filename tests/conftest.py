"""Shared fixtures: paths to the real vendor files and a fresh private warehouse per test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from orchestration.warehouse import connect

FIXTURES = Path(__file__).parent / "fixtures"
pytest_plugins = ["tests.pg_fixtures"]  # postgres_server (one per session), pg_database


@pytest.fixture(autouse=True)
def _no_funnel_environment(monkeypatch):
    """Tests start from defaults: no FUNNEL_* variable leaks in from the shell or another test."""
    for name in list(os.environ):
        if name.startswith("FUNNEL_"):
            monkeypatch.delenv(name)


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
