"""The dbt resource skips dagster-dbt's `dbt --version` subprocess and adapter handle: it must still
name the version the dbt executable reports, and still run dbt."""

from __future__ import annotations

import re
import subprocess

from orchestration.transform.dbt_cli import FunnelDbtCliResource
from orchestration.transform.project import DBT_PROJECT, dbt_executable


def _resource() -> FunnelDbtCliResource:
    return FunnelDbtCliResource(project_dir=DBT_PROJECT, profiles_dir=str(DBT_PROJECT.project_dir),
                                dbt_executable=dbt_executable())


def test_version_is_the_one_the_executable_reports():
    out = subprocess.run([dbt_executable(), "--version"], capture_output=True, text=True, check=True).stdout
    reported = re.search(r"installed:\s*(\d+\.\d+\.\d+)", out).group(1)
    assert str(_resource()._cli_version) == reported


def test_cli_runs_dbt_without_an_adapter_handle(tmp_path, monkeypatch):
    monkeypatch.setenv("FUNNEL_WAREHOUSE_PATH", str(tmp_path / "w.duckdb"))
    resource = _resource()
    assert resource._initialize_dbt_core_adapter(["ls"]) is None
    invocation = resource.cli(["ls", "--select", "stg_crm__leads", "--resource-type", "model", "--output", "name"],
                              target_path=tmp_path / "t", manifest=DBT_PROJECT.manifest_path)
    messages = [event.raw_event["info"]["msg"] for event in invocation.stream_raw_events()]
    assert invocation.is_successful() and invocation.adapter is None
    assert "stg_crm__leads" in messages
