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


def test_only_the_newest_invocation_folders_of_an_asset_are_kept(tmp_path):
    import os

    from orchestration.transform.project import prune_invocation_folders

    for i in range(5):  # dagster-dbt's names: <asset>-<run id[:7]>-<hash>; oldest first
        for asset in ("dbt_models", "dbt_alerts"):
            folder = tmp_path / f"{asset}-run{i}abc-{i:07x}"
            (folder / "compiled").mkdir(parents=True)
            (folder / "dbt.log").write_text("log")
            os.utime(folder, (1_700_000_000 + i, 1_700_000_000 + i))
    (tmp_path / "partial_parse.msgpack").write_bytes(b"state")

    removed = prune_invocation_folders(tmp_path, "dbt_models", keep=2)

    assert sorted(p.name for p in removed) == [f"dbt_models-run{i}abc-{i:07x}" for i in range(3)]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert [n for n in left if n.startswith("dbt_models")] == ["dbt_models-run3abc-0000003", "dbt_models-run4abc-0000004"]
    assert len([n for n in left if n.startswith("dbt_alerts")]) == 5  # another asset's folders untouched
    assert (tmp_path / "partial_parse.msgpack").exists()
