"""Opening the private warehouse and creating the canonical ``raw`` tables.

The private warehouse (raw data with PII, quarantine, manifest, dbt models) is one DuckDB file that
only the pipeline writes. BI tools never read it: they read the published copy (see ``publish``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.canonical import RAW_SCHEMA, TABLES, CanonicalTable
from orchestration.sql import quote_ident

QUARANTINE_TABLE = f"{RAW_SCHEMA}._quarantine"
MANIFEST_TABLE = f"{RAW_SCHEMA}._load_manifest"
# what the orchestration remembers between builds (not data): the fingerprints dbt nodes were built
# from (transform/unchanged.py) and the landing files' recorded hashes (ingest/fingerprints.py)
STATE_SCHEMA = "build_state"


def connect(path: Path | str, *, memory_limit: str | None = None, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """Open the private warehouse read-write with settings that keep memory bounded."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("set enable_progress_bar = false")
    if memory_limit:
        con.execute(f"set memory_limit = '{memory_limit}'")
    if threads:
        con.execute(f"set threads = {int(threads)}")
    return con


def existing_relations(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """(schema, name) of every table and view of the open database (dbt makes both)."""
    tables = con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
    views = con.execute("select schema_name, view_name from duckdb_views() where not internal").fetchall()
    return {(s, t) for s, t in tables} | {(s, v) for s, v in views}


def create_table_sql(t: CanonicalTable) -> str:
    cols = ",\n    ".join(f"{quote_ident(c)} {ty}" for c, ty in t.all_columns.items())
    return f"create table if not exists {RAW_SCHEMA}.{quote_ident(t.name)} (\n    {cols}\n)"


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``raw``, every canonical table, the quarantine and the load manifest."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for t in TABLES.values():
        con.execute(create_table_sql(t))
    con.execute(
        f"""
        create table if not exists {QUARANTINE_TABLE} (
            _load_id varchar,
            _source_file varchar,
            target_table varchar,
            line_number bigint,
            record_number bigint,
            raw_text varchar,
            reason varchar,
            _loaded_at timestamp
        )"""
    )
    con.execute(
        f"""
        create table if not exists {MANIFEST_TABLE} (
            load_id varchar primary key,
            source_file varchar,
            file_name varchar,
            file_sha256 varchar,
            file_bytes bigint,
            adapter varchar,
            source_system varchar,
            target_table varchar,
            encoding varchar,
            rows_read bigint,
            rows_loaded bigint,
            rows_quarantined bigint,
            rows_summary bigint,
            replaced_load_id varchar,
            status varchar,
            message varchar,
            loaded_at timestamp
        )"""
    )
