"""deploy/dagster.yaml: a real instance whose run and event storage live on a real Postgres server."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


@dg.asset
def heartbeat() -> int:
    return 1


def test_instance_stores_runs_in_postgres_and_queues_one_run_at_a_time(postgres_server, tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    # SQLAlchemy 2.1 defaults postgresql:// to psycopg 3, whose server-side binding breaks
    # dagster-postgres's NOTIFY; the documented URL names the psycopg2 driver.
    monkeypatch.setenv("DAGSTER_PG_URL", postgres_server.url.replace("postgresql://", "postgresql+psycopg2://"))
    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        result = dg.materialize([heartbeat], instance=instance)
        assert result.success
        run_id = result.run_id
    with postgres_server.connect() as conn:
        stored = conn.execute("select status from runs where run_id = %s", [run_id]).fetchone()
        events = conn.execute("select count(*) from event_logs where run_id = %s", [run_id]).fetchone()[0]
    assert stored == ("SUCCESS",)
    assert events > 0


def test_dagster_yaml_holds_no_secret():
    text = (DEPLOY / "dagster.yaml").read_text()
    assert "env: DAGSTER_PG_URL" in text
    assert "password" not in text.lower()
