"""Session fixtures: `dbt parse`, then `dbt build` once on the hand-written fixture warehouse."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import dbt_fixture_data as fixture_data
from dbt_harness import DbtBuild, create_root_cause_table, load_raw, run_dbt


@dataclass
class DbtParse:
    root: Path
    warehouse: Path
    target_path: Path
    manifest: dict
    output: str




@pytest.fixture(scope="session")
def dbt_parse(tmp_path_factory) -> DbtParse:
    """`dbt parse`, as the orchestrator runs it before loading the manifest (no warehouse yet)."""
    root = tmp_path_factory.mktemp("dbt_build")
    warehouse = root / "warehouse.duckdb"
    target = root / "target"
    proc = run_dbt(["parse"], warehouse=warehouse, target_path=target, as_of=fixture_data.AS_OF)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        pytest.fail("dbt parse failed:\n" + output[-4000:])
    manifest = json.loads((target / "manifest.json").read_text())
    return DbtParse(root=root, warehouse=warehouse, target_path=target, manifest=manifest, output=output)


@pytest.fixture(scope="session")
def dbt_build(dbt_parse) -> DbtBuild:
    """Load the fixture into a fresh warehouse (with a hand-made marts.mart_root_cause, the Python
    engine's output that mart_alerts reads) and run `dbt build` (seeds, models, data and unit
    tests) once per session, reusing the parse above (same target path and vars: partial parse)."""
    warehouse, target = dbt_parse.warehouse, dbt_parse.target_path
    load_raw(warehouse, fixture_data.all_rows())
    create_root_cause_table(warehouse, fixture_data.root_cause_rows())
    started = time.monotonic()
    proc = run_dbt(["build"], warehouse=warehouse, target_path=target, as_of=fixture_data.AS_OF)
    seconds = time.monotonic() - started
    output = proc.stdout + proc.stderr
    results_file = target / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    if proc.returncode != 0:
        failed = [r for r in results if r["status"] in ("error", "fail")]
        pytest.fail(
            "dbt build failed:\n"
            + "\n".join(f"  {r['unique_id']}: {r['status']} {r.get('message')}" for r in failed)
            + "\n--- last output ---\n"
            + "\n".join(output.splitlines()[-40:])
        )
    return DbtBuild(warehouse=warehouse, target_path=target, results=results, seconds=seconds, output=output)
