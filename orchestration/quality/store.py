"""Keeping every expectation result in the warehouse (``quality.dq_results``).

One row per expectation per table per run, failures and passes alike, so trends ("how many bad
emails per night?") are a SQL query away. Re-running a check for the same run and table replaces
that run's rows for the same load ids instead of adding duplicates (Dagster retries re-use the
run id).
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from orchestration.quality.results import SuiteResult

QUALITY_SCHEMA = "quality"
RESULTS_TABLE = f"{QUALITY_SCHEMA}.dq_results"

_COLUMNS = (
    ("run_id", "VARCHAR"),
    ("checked_at", "TIMESTAMP"),
    ("table_name", "VARCHAR"),
    ("load_ids", "VARCHAR[]"),
    ("source_files", "VARCHAR[]"),
    ("expectation", "VARCHAR"),  # the suite entry's stable name
    ("expectation_type", "VARCHAR"),  # the GX expectation type or delivery-level check
    ("severity", "VARCHAR"),
    ("success", "BOOLEAN"),
    ("observed_value", "VARCHAR"),  # JSON text
    ("element_count", "BIGINT"),
    ("unexpected_count", "BIGINT"),
    ("unexpected_percent", "DOUBLE"),
    ("sample_values", "VARCHAR[]"),  # PII masked
    ("message", "VARCHAR"),
)


def ensure_results_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {QUALITY_SCHEMA}")
    cols = ",\n    ".join(f"{name} {ty}" for name, ty in _COLUMNS)
    con.execute(f"create table if not exists {RESULTS_TABLE} (\n    {cols}\n)")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)


def save_results(con: duckdb.DuckDBPyConnection, result: SuiteResult) -> int:
    """Write one row per expectation; returns the number of rows written."""
    ensure_results_table(con)
    rows = [
        (
            result.run_id, result.checked_at, result.table, list(result.load_ids), list(result.source_files),
            r.name, r.expectation, r.severity, r.success, _json(r.observed_value), r.element_count,
            r.unexpected_count, r.unexpected_percent, list(r.sample_values), r.message,
        )
        for r in result.results
    ]
    names = ", ".join(name for name, _ in _COLUMNS)
    placeholders = ", ".join("?" for _ in _COLUMNS)
    own_transaction = _begin(con)
    try:
        con.execute(
            f"delete from {RESULTS_TABLE} where run_id = ? and table_name = ? and load_ids = ?::varchar[]",
            [result.run_id, result.table, list(result.load_ids)],
        )
        if rows:
            con.executemany(f"insert into {RESULTS_TABLE} ({names}) values ({placeholders})", rows)
        if own_transaction:
            con.execute("commit")
    except BaseException:
        if own_transaction:
            con.execute("rollback")
        raise
    return len(rows)


def _begin(con: duckdb.DuckDBPyConnection) -> bool:
    """Start a transaction unless the caller already holds one (then the caller commits)."""
    try:
        con.execute("begin transaction")
        return True
    except duckdb.TransactionException:
        return False
