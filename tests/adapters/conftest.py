"""Adapter-test harness: copy fixtures into a fresh landing folder and ingest them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestration.ingest.run import ingest_landing
from tests.conftest import FIXTURES


@pytest.fixture
def ingest(warehouse, landing):
    """Copy fixture files (paths relative to tests/fixtures) into the landing folder and ingest."""

    def run(*names: str, adapters=None, rename: dict[str, str] | None = None):
        for name in names:
            target = (rename or {}).get(name, Path(name).name)
            shutil.copy(FIXTURES / name, landing / target)
        return ingest_landing(warehouse, landing, adapters=adapters)

    return run
