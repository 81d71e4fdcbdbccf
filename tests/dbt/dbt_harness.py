"""Helpers to build the dbt project on a hand-written raw warehouse (used by conftest.py).

Every run uses its own warehouse file, target and log paths (a temporary folder), so it never
touches dbt_project/target or another engineer's warehouse.

Parsing is most of a small build's time: a full parse takes ~10 s, a partial one ~4 s. dbt parses
partially only when the vars, the profile and the project match its saved state, so ``run_dbt``
keeps all three equal between tests: "now" travels as FUNNEL_AS_OF (not --vars), dbt runs in the
warehouse's folder with the warehouse's file name as its path (not an absolute path, which would
differ per test), and a new target folder starts from the last parse state saved for that file
name in this process. A state that does not match is only a full parse, never a wrong result.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
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


_PARSE_STATES = Path(tempfile.mkdtemp(prefix="dbt_parse_states_"))


def run_dbt(args: list[str], *, warehouse: Path, target_path: Path, env_extra: dict | None = None,
            as_of: str | None = None) -> subprocess.CompletedProcess:
    """Run the dbt CLI on ``warehouse``; ``as_of`` pins "now" (FUNNEL_AS_OF)."""
    env = {
        **os.environ,
        "FUNNEL_WAREHOUSE_PATH": warehouse.name,  # relative to cwd: the same profile in every test
        "FUNNEL_PII_KEY": fixture_data.PII_KEY,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **({"FUNNEL_AS_OF": as_of} if as_of else {}),
        **(env_extra or {}),
    }
    cmd = [
        str(DBT), *args,
        "--project-dir", str(DBT_PROJECT),
        "--profiles-dir", str(DBT_PROJECT),
        "--target-path", str(target_path),
        "--log-path", str(target_path / "logs"),
    ]
    state = target_path / "partial_parse.msgpack"
    saved = _PARSE_STATES / f"{warehouse.name}.msgpack"
    if not state.exists() and saved.exists():
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, state)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(cmd, cwd=warehouse.parent, env=env, capture_output=True, text=True, timeout=600)
    if state.exists():
        shutil.copyfile(state, saved)
    return proc


def build_night(build: DbtBuild, *extra: str, night, select: list[str], dbt_vars: dict | None = None) -> None:
    """``dbt build`` of the selected models, seeds and snapshots as one night at ``night`` (var
    as_of), on the build's warehouse; fails the test with dbt's output when dbt fails."""
    var_args = ["--vars", json.dumps(dbt_vars)] if dbt_vars else []
    proc = run_dbt(["build", "--select", *select, "--resource-type", "seed", "snapshot", "model", *extra, *var_args],
                   warehouse=build.warehouse, target_path=build.target_path, as_of=night.isoformat(sep=" "))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
