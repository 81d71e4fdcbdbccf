"""A reader process polling the published file during repeated publishes never errors or sees a mix."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from orchestration.publish.duckdb_file import publish_marts

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PUBLISHES = 6


def _warehouse_for_build(path: Path, build: int) -> str:
    """Marts whose every row carries the build's tag, and whose sizes differ from build to build."""
    tag = f"b{build}"
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute("create schema raw; create table raw.secret as select 'pii' as email")
    con.execute("create schema marts")
    sizes = {"fct_big": 30_000 + 5_000 * build, "mart_small": 10 + build, "dim_mid": 2_000 + 100 * build,
             "mart_sometimes_empty": 0 if build % 2 else 7}
    for name, n in sizes.items():
        con.execute(f"create table marts.{name} as select i as id, '{tag}' as build_tag, random() as x "
                    f"from range({n}) r(i)")
    if build % 3 == 0:  # marts come and go between builds too
        con.execute(f"create table marts.mart_new_in_{tag} as select 1 as id, '{tag}' as build_tag")
    con.close()
    return tag


def test_reader_process_never_errors_nor_sees_two_builds_mixed(tmp_path):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    _warehouse_for_build(wh, 0)
    publish_marts(wh, out, "20260101T000000Z-b0", keep_versions=2)
    result = tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, "-m", "tests.publish.duckdb_reader", str(out / "funnel.duckdb"),
                               str(tmp_path / "stop"), str(result)], cwd=PROJECT_ROOT)
    try:
        deadline = time.monotonic() + 60
        while not Path(f"{result}.ready").exists():
            assert reader.poll() is None and time.monotonic() < deadline, "reader did not start"
            time.sleep(0.05)
        for build in range(1, PUBLISHES + 1):
            _warehouse_for_build(wh, build)
            publish_marts(wh, out, f"2026010{build}T000000Z-b{build}", keep_versions=2)
            time.sleep(0.1)  # let the reader poll each build at least once
        (tmp_path / "stop").touch()
        assert reader.wait(timeout=60) == 0
    finally:
        if reader.poll() is None:
            reader.kill()
    seen = json.loads(result.read_text())
    assert seen["error_count"] == 0, seen["errors"]
    assert seen["problems"] == []
    assert seen["polls"] > 2 * PUBLISHES
    assert len(seen["builds"]) >= 4, seen["builds"]  # it really read across the publishes
    assert max(seen["builds"]) == f"2026010{PUBLISHES}T000000Z-b{PUBLISHES}"
