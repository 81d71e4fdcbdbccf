"""Bring a published table up to date by replacing only the rows that differ from the warehouse's.

Why: a night's delivery changes about 1 % of the lead facts, yet a changed table was written into
the published file whole. At 10M leads writing ``fct_leads`` (1.5 GB in the file's storage format)
took 24-29 s of the delta night's 64 s publish (docs/benchmarks.md, session 22).

How: the rows of both sides are hashed (the published columns, in order). A hash whose number of
rows differs between the warehouse and the file marks rows that changed: those rows are deleted
from the file's copy and the warehouse's rows with those hashes inserted. Compared as multisets,
so two identical rows stay two rows. The caller then checks the table's digest (row count, sum of
row hashes) against the warehouse's and writes the table whole on any difference, so a hash
collision costs a rewrite, never a wrong table.

Which tables: marts that are partition-incremental in the warehouse (they carry
``_partition_digest``, dbt_project/macros/partitions.sql): a night recomputes few of their
partitions. Marts that change everywhere (ages read from the clock) or are small are rewritten.

Deleted rows keep their place in the file's row groups until a table is written again, so a table
patched night after night would keep growing. A table is written whole once the rows patched into
it since its last full write would exceed ``PATCH_LIMIT`` of its rows; ``meta.build_info`` records
the running count per table (``patched_rows``).
"""

from __future__ import annotations

import json

import duckdb

from orchestration.sql import quote_ident

# share of a table's rows that may have been replaced in place since it was last written whole
PATCH_LIMIT = 0.25
PARTITION_DIGEST = "_partition_digest"
ROW_ALIAS = "__funnel_patched_row"


def is_patchable(con: duckdb.DuckDBPyConnection, database: str, schema: str, name: str) -> bool:
    """Whether the warehouse table is partition-incremental (few of its rows change in a night)."""
    return con.execute(
        "select count(*) from duckdb_columns() where database_name = ? and schema_name = ? "
        "and table_name = ? and column_name = ?", [database, schema, name, PARTITION_DIGEST]).fetchone()[0] > 0


def patch_rows(con: duckdb.DuckDBPyConnection, source_select: str, target: str, target_select: str,
               max_rows: int) -> int | None:
    """Replace the rows of table ``target`` that differ from the rows of ``source_select``.

    Returns the rows deleted plus inserted, or None (nothing done) when that would be more than
    ``max_rows``: the caller then writes the table whole.
    """
    con.execute(f"""
        create or replace temp table __funnel_changed_hashes as
        with source_hashes as (
            select hash({ROW_ALIAS}) as row_hash, count(*) as rows
            from ({source_select}) as {ROW_ALIAS}
            group by row_hash
        ),
        target_hashes as (
            select hash({ROW_ALIAS}) as row_hash, count(*) as rows
            from ({target_select}) as {ROW_ALIAS}
            group by row_hash
        )
        select
            coalesce(source_hashes.row_hash, target_hashes.row_hash) as row_hash,
            coalesce(target_hashes.rows, 0) + coalesce(source_hashes.rows, 0) as rows
        from source_hashes
        full outer join target_hashes
            on source_hashes.row_hash = target_hashes.row_hash
        where source_hashes.rows is distinct from target_hashes.rows""")
    try:
        changed = con.execute("select coalesce(sum(rows), 0) from __funnel_changed_hashes").fetchone()[0]
        if changed > max_rows:
            return None
        if changed:
            con.execute(f"delete from {target} as {ROW_ALIAS} "
                        f"where hash({ROW_ALIAS}) in (select row_hash from __funnel_changed_hashes)")
            con.execute(f"insert into {target} select * from ({source_select}) as {ROW_ALIAS} "
                        f"where hash({ROW_ALIAS}) in (select row_hash from __funnel_changed_hashes)")
        return int(changed)
    finally:
        con.execute("drop table if exists __funnel_changed_hashes")


def read_patched_rows(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, int]:
    """Per table, the rows patched into the file since the table was last written whole; {} for a
    file published before patching existed."""
    try:
        row = con.execute(f"select patched_rows from {quote_ident(database)}.meta.build_info").fetchone()
    except duckdb.Error:
        return {}
    try:
        return {str(k): int(v) for k, v in json.loads(row[0]).items()} if row and row[0] else {}
    except (ValueError, AttributeError, TypeError):
        return {}
