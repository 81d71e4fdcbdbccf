"""Helpers to build the dbt project on a hand-written raw warehouse (used by conftest.py).

Every run uses its own warehouse file, target and log paths (a temporary folder), so it never
touches dbt_project/target or another engineer's warehouse.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

import dbt_fixture_data as fixture_data
from orchestration.warehouse import connect, ensure_raw_tables

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"


@dataclass
class DbtBuild:
    warehouse: Path
    target_path: Path
    # what a dbt run reported; empty for a warehouse a test builds night by night (build_night)
    results: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    output: str = ""

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def query_dicts(self, sql: str, params: list | None = None) -> list[dict]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            cur = con.execute(sql, params or [])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]


def load_raw(path: Path, rows_by_table: dict[str, list[dict]]) -> None:
    """Create the canonical raw tables and insert the hand-written rows."""
    con = connect(path)
    try:
        ensure_raw_tables(con)
        for table, rows in rows_by_table.items():
            for row in rows:
                cols = list(row)
                placeholders = ", ".join("?" for _ in cols)
                col_sql = ", ".join(f'"{c}"' for c in cols)
                con.execute(f"insert into raw.{table} ({col_sql}) values ({placeholders})", [row[c] for c in cols])
    finally:
        con.close()


def create_root_cause_table(path: Path, rows: list[dict]) -> None:
    """Create marts.mart_root_cause by hand with the engine's column contract
    (orchestration.analysis.mart.MART_COLUMNS; periods DATE, counts BIGINT): mart_alerts reads it
    as source('analysis', 'mart_root_cause'), and the Python engine does not run in these tests."""
    from orchestration.analysis.mart import MART_COLUMNS

    types = {"PERIOD": "DATE", "COUNT": "BIGINT"}
    columns = [(name, types.get(kind, kind)) for name, kind in MART_COLUMNS]
    con = connect(path)
    try:
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.mart_root_cause ("
                    + ", ".join(f'"{name}" {kind}' for name, kind in columns) + ")")
        for row in rows:
            names = [name for name, _ in columns]
            con.execute(f"insert into marts.mart_root_cause values ({', '.join('?' for _ in names)})",
                        [row.get(name) for name in names])
    finally:
        con.close()


def run_dbt(args: list[str], *, warehouse: Path, target_path: Path, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "FUNNEL_WAREHOUSE_PATH": str(warehouse),
        "FUNNEL_PII_KEY": fixture_data.PII_KEY,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(env_extra or {}),
    }
    cmd = [
        str(DBT), *args,
        "--project-dir", str(DBT_PROJECT),
        "--profiles-dir", str(DBT_PROJECT),
        "--target-path", str(target_path),
        "--log-path", str(target_path / "logs"),
    ]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def build_night(build: DbtBuild, *extra: str, night, select: list[str], dbt_vars: dict | None = None) -> None:
    """``dbt build`` of the selected models, seeds and snapshots as one night at ``night`` (var
    as_of), on the build's warehouse; fails the test with dbt's output when dbt fails."""
    proc = run_dbt(["build", "--select", *select, "--resource-type", "seed", "snapshot", "model", *extra,
                    "--vars", json.dumps({"as_of": night.isoformat(sep=" "), **(dbt_vars or {})})],
                   warehouse=build.warehouse, target_path=build.target_path)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
