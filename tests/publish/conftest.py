"""Fixtures for the publish tests: a published fixture build (the Postgres server is in tests/pg_fixtures.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestration.publish.duckdb_file import publish_marts
from tests.publish.fixture_marts import create_private_warehouse, write_dbt_manifest

FIXTURE_BUILD = "20260301T020000Z-fixture"


@pytest.fixture(scope="session")
def fixture_published(tmp_path_factory) -> Path:
    """``funnel.duckdb`` of the fixture marts, published once; tests copy it (see ``published_out``)."""
    root = tmp_path_factory.mktemp("fixture_build")
    create_private_warehouse(root / "warehouse.duckdb")
    return publish_marts(root / "warehouse.duckdb", root / "out", FIXTURE_BUILD).path


@pytest.fixture
def published_out(tmp_path, fixture_published) -> Path:
    """A fresh ``<out>`` folder holding a copy of the fixture's published file."""
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(fixture_published, out / "funnel.duckdb")
    return out


@pytest.fixture(scope="session")
def dbt_manifest(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dbt") / "manifest.json"
    write_dbt_manifest(path)
    return path
