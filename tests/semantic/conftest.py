"""Builds a tiny warehouse for the semantic-layer test: the hand-written fixture of tests/dbt,
only the models the metrics read (no dbt tests), in a private mirror of dbt_project whose own
`target/` holds the semantic manifest `mf` reads (mf always reads <project>/target/...), so the
shared dbt_project/target is never touched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "dbt"))

import dbt_fixture_data as fixture_data  # noqa: E402
from dbt_harness import DBT_PROJECT, load_raw  # noqa: E402

BIN = Path(sys.executable).parent
BUILD_VARS = json.dumps({"as_of": fixture_data.AS_OF})
# What the metrics and the marts they are checked against need (seeds come along with `+`).
SELECT = "+fct_leads +fct_opportunities +mart_funnel_cohort +mart_campaign_performance metricflow_time_spine"


@dataclass
class SemanticWarehouse:
    project: Path
    warehouse: Path
    env: dict
    build_seconds: float

    def mf(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "mf"), *args], cwd=self.project, env=self.env,
                              capture_output=True, text=True, timeout=600)


def _mirror(project: Path) -> None:
    """dbt_project's files via symlinks, with a private target/ and logs/."""
    project.mkdir()
    for child in DBT_PROJECT.iterdir():
        if child.name not in ("target", "logs", "dbt_packages"):
            (project / child.name).symlink_to(child)


@pytest.fixture(scope="session")
def semantic_warehouse(tmp_path_factory) -> SemanticWarehouse:
    root = tmp_path_factory.mktemp("semantic")
    project, warehouse = root / "dbt_project", root / "warehouse.duckdb"
    _mirror(project)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FUNNEL_")},
        "FUNNEL_WAREHOUSE_PATH": str(warehouse),
        "FUNNEL_PII_KEY": fixture_data.PII_KEY,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_PROJECT_DIR": str(project),
        "DBT_PROFILES_DIR": str(project),
    }
    load_raw(warehouse, fixture_data.all_rows())
    started = time.monotonic()
    proc = subprocess.run(
        [str(BIN / "dbt"), "build", "--select", SELECT, "--exclude-resource-type", "test", "unit_test",
         "--vars", BUILD_VARS, "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(project / "target"), "--log-path", str(root / "logs")],
        cwd=project, env=env, capture_output=True, text=True, timeout=600,
    )
    if proc.returncode != 0:
        pytest.fail("dbt build failed:\n" + "\n".join((proc.stdout + proc.stderr).splitlines()[-40:]))
    assert (project / "target" / "semantic_manifest.json").exists()
    return SemanticWarehouse(project=project, warehouse=warehouse, env=env,
                             build_seconds=time.monotonic() - started)
