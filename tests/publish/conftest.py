"""Fixtures for the publish tests: a published fixture build and one Postgres server per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from orchestration.publish.duckdb_file import publish_marts
from tests.publish import pg_server
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


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL 15 on a free loopback port for the whole session (skipped only outside CI)."""
    if not pg_server.available():
        message = f"PostgreSQL binaries not found in {pg_server.PG_BIN} (apt-get install -y postgresql-15)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with pg_server.running_postgres() as server:
        yield server


@pytest.fixture
def pg_database(postgres_server):
    """A fresh database per test, so tests never see each other's schemas."""
    import uuid

    name = f"t_{uuid.uuid4().hex[:10]}"
    with postgres_server.connect() as admin:
        admin.execute(f'create database "{name}"')
    server = pg_server.PgServer(postgres_server.host, postgres_server.port, postgres_server.user,
                                postgres_server.password, name)
    yield server
    with postgres_server.connect() as admin:
        admin.execute(f'drop database "{name}" with (force)')
