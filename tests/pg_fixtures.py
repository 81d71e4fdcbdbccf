"""The real PostgreSQL server of a test session, shared by every test folder.

A pytest plugin, loaded once by ``tests/conftest.py`` (``pytest_plugins``), so any test may ask for
``postgres_server`` or ``pg_database`` without importing them. Importing a fixture into a test
module instead registers a second copy of it for that module, and a session-scoped server was
then started once per importing module (tests/publish, test_doctor.py and test_deploy.py each
started their own).
"""

from __future__ import annotations

import os
import uuid

import pytest

from tests.publish import pg_server


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
    name = f"t_{uuid.uuid4().hex[:10]}"
    with postgres_server.connect() as admin:
        admin.execute(f'create database "{name}"')
    server = pg_server.PgServer(postgres_server.host, postgres_server.port, postgres_server.user,
                                postgres_server.password, name)
    yield server
    with postgres_server.connect() as admin:
        admin.execute(f'drop database "{name}" with (force)')
