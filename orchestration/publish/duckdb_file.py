"""Publish the marts as a read-only DuckDB file, swapped in atomically, with rollback versions.

Readers (BI tools, the DuckDB CLI) open ``<out>/funnel.duckdb`` read-only. We never write that
file in place: a build writes ``.funnel.duckdb.<build_id>.tmp`` beside it, checkpoints and closes
it, then ``os.replace`` swaps it in — a rename within one folder is atomic on POSIX, so a reader
that opens the path gets the old or the new build, never a half-written one, and a reader that
already has the old file open keeps reading it. The previous file is kept (hard link) under
``versions/`` for ``funnel rollback``.

Unchanged tables are not rewritten. Writing a table into the new file (compressing it in the old
storage format) is most of a publish, and most marts are the same as last night (kept models).
So each table's content digest (row count, sum of its rows' hashes, column names and types) is
recorded in ``meta.build_info.table_digests``; the next publish starts from a byte copy of the
current file (the copy is the new file, never the one readers have open) and rewrites only the
tables whose digest differs. A digest that cannot be read, another storage version or any other
surprise means a fresh file, as before. The previous file's own digests describe what it holds, so
a file rolled back by hand is compared as it is, not as the warehouse remembers it. The dropped
tables' blocks are freed (a checkpoint) before the new ones are written, so the file keeps its
size from night to night; a file more than half free (published by an older version) is written
anew once.
A changed table that is partition-incremental in the warehouse (``fct_leads``) is not written
whole: only its rows that differ are replaced in the copy (``patching``), within a limit after
which it is written whole again. A mart that is a view over one table in the warehouse, because a
column of it reads the clock (``fct_stage_events``), is published as that view over a copy of that
table, under the table's own schema and name (``live_views``): the table is carried over or
patched like a mart, and only the view is written again every night.

Storage format: written with DuckDB's v1.0.0 storage version (format 64) so that BI drivers
bundling DuckDB 0.10 or newer (DBeaver/JDBC, Metabase's DuckDB driver, ODBC builds, duckdb-engine)
can open it; checked with clients 0.10.3, 1.0.0 … 1.4.1 and 2.0, while 0.9.2 cannot (docs/bi.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from orchestration.publish.catalog import read_table_digests, relation_columns
from orchestration.publish.live_views import LiveView, create_live_view, plan_live_view, view_digest
from orchestration.publish.memory import limit_memory, spill_folder
from orchestration.publish.patching import (PARTITION_DIGEST, PATCH_LIMIT, is_patchable, patch_rows,
                                            read_patched_rows)
from orchestration.publish.versions import PUBLISHED_NAME, fsync_dir, fsync_file, keep_previous
from orchestration.sql import quote_ident, quote_literal

STORAGE_VERSION = "v1.0.0"
BI_SCHEMAS = ("marts",)
# warehouse-only columns: a partition-incremental mart's change-detection digest
# (dbt_project/macros/partitions.sql) means nothing to a reader and is never published
INTERNAL_COLUMNS = frozenset({PARTITION_DIGEST})
_BUILD_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
ROW_ALIAS = "__funnel_whole_row"


@dataclass
class PublishResult:
    path: Path
    build_id: str
    tables: dict[str, int]
    previous_version: Path | None
    # tables taken unchanged from the previous file instead of being written again
    carried_over: list[str] = field(default_factory=list)
    # tables of the previous file brought up to date in place: rows deleted plus inserted
    patched: dict[str, int] = field(default_factory=dict)


def new_build_id(run_id: str | None = None, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    suffix = (run_id or "manual")[:8]
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{suffix}"


def publish_marts(warehouse: Path, out_dir: Path, build_id: str, *, keep_versions: int = 7,
                  extra_info: dict | None = None) -> PublishResult:
    """Copy the BI-facing schemas of ``warehouse`` into a fresh file and swap it in atomically."""
    if not _BUILD_ID.match(build_id):
        raise ValueError(f"build id {build_id!r} may only hold letters, digits, '.', '_' and '-'")
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / PUBLISHED_NAME
    tmp = out_dir / f".{PUBLISHED_NAME}.{build_id}.tmp"
    remove_leftovers(out_dir)
    tables: dict[str, int] = {}
    carried: list[str] = []
    patched: dict[str, int] = {}
    with spill_folder(out_dir) as spill:
        con = duckdb.connect()
        try:
            limit_memory(con, spill)
            _copy_bi_schemas(con, warehouse, final, tmp, build_id, tables, carried, patched, extra_info)
        except BaseException:
            con.close()
            _remove(tmp)
            raise
        con.close()
    try:  # until the swap, a failure (disk full, I/O error, read-only folder) leaves only the old file
        fsync_file(tmp)
        previous = keep_previous(final, out_dir, keep_versions)
        os.replace(tmp, final)
    except BaseException:
        _remove(tmp)
        raise
    fsync_dir(out_dir)
    return PublishResult(final, build_id, tables, previous, carried, patched)


def _copy_bi_schemas(con: duckdb.DuckDBPyConnection, warehouse: Path, final: Path, tmp: Path, build_id: str,
                     tables: dict[str, int], carried: list[str], patched: dict[str, int],
                     extra_info: dict | None) -> None:
    """Fill the new file ``tmp`` with every table and view of the BI-facing schemas of ``warehouse``.

    Starts from a copy of the published ``final`` when its digests can be trusted, and then
    writes only the tables that differ (partition-incremental ones: only their rows that differ);
    otherwise from an empty file. Views are written again every time.
    """
    con.execute("set enable_progress_bar = false")
    con.execute(f"attach {quote_literal(str(warehouse))} as src (read_only)")
    views, written = _plan_relations(con)
    digests = {f"{schema}.{name}": table_digest(con, "src", schema, name) for schema, name in written}
    for view in views.values():
        digests[view.key] = view_digest(con, "src", view, digests[view.base_key])
    previous = _previous_digests(final)
    if previous is not None:
        shutil.copyfile(final, tmp)
        con.execute(f"attach {quote_literal(str(tmp))} as pub")
        if _storage_version(con, "pub") != STORAGE_VERSION or _mostly_free(con, "pub"):
            con.execute("detach pub")
            _remove(tmp)
            previous = None
    if previous is None:
        con.execute(f"attach {quote_literal(str(tmp))} as pub (storage_version {quote_literal(STORAGE_VERSION)})")
        previous = {}
    patched_before = read_patched_rows(con, "pub")
    patched_rows: dict[str, int] = {}  # per table kept from the copy, rows patched since written whole
    con.execute("drop schema if exists pub.meta cascade")
    for schema in BI_SCHEMAS:
        con.execute(f"create schema if not exists pub.{quote_ident(schema)}")
    for schema, name in _published_views(con, "pub"):  # written again below, with the night's "now"
        con.execute(f"drop view pub.{quote_ident(schema)}.{quote_ident(name)}")
    to_patch = []
    for schema, name in _published_tables(con, "pub"):  # gone from the warehouse, or to be rewritten
        key = f"{schema}.{name}"
        if digests.get(key) is not None and previous.get(key) == digests[key] and key not in views:
            patched_rows[key] = patched_before.get(key, 0)
        elif key not in views and _same_columns(previous.get(key), digests.get(key)) \
                and is_patchable(con, "src", schema, name):
            to_patch.append((schema, name))
        else:
            con.execute(f"drop table pub.{quote_ident(schema)}.{quote_ident(name)}")
    # the dropped tables' blocks join the free list only at a checkpoint: without this one the
    # tables written next take new blocks at the end of the file, and a file copied night after
    # night grew by the size of every rewritten table (3.0 -> 4.5 -> 5.9 GiB in three nights at L)
    con.execute("checkpoint pub")
    for schema, name in to_patch:
        key = f"{schema}.{name}"
        rows = _patch_or_drop(con, schema, name, digests[key], patched_before.get(key, 0))
        if rows is not None:
            patched[key] = rows
            patched_rows[key] = patched_before.get(key, 0) + rows
    present = set(_published_tables(con, "pub"))
    for schema, name in written:
        key = f"{schema}.{name}"
        tables[key] = digests[key]["rows"]
        if key in patched:
            continue
        if (schema, name) in present:
            carried.append(key)
            continue
        _write_table(con, schema, name, tables[key])
    failed = []
    for view in views.values():
        tables[view.key] = digests[view.key]["rows"]
        if not create_live_view(con, view, "pub", "src"):  # e.g. it reads a column never published
            _write_table(con, view.schema, view.name, tables[view.key])
            failed.append(view)
    for base in {v.base_key for v in failed} - {v.base_key for v in views.values() if v not in failed}:
        con.execute(f"drop table pub.{'.'.join(quote_ident(part) for part in base.split('.', 1))}")
        tables.pop(base)
        digests.pop(base)
        carried[:] = [key for key in carried if key != base]
        patched.pop(base, None)
    _drop_empty_schemas(con, "pub")
    con.execute("create schema pub.meta")
    con.execute("create table pub.meta.build_info (build_id varchar, published_at timestamp, tables json, "
                "info json, table_digests json, patched_rows json)")
    con.execute("insert into pub.meta.build_info values (?, ?, ?, ?, ?, ?)",
                [build_id, datetime.now(timezone.utc).replace(tzinfo=None), json.dumps(tables),
                 json.dumps(extra_info or {}), json.dumps(digests), json.dumps(patched_rows)])
    con.execute("checkpoint pub")
    con.execute("detach pub")
    con.execute("detach src")


def _plan_relations(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, LiveView], list[tuple[str, str]]]:
    """The marts of the warehouse (``src``) to publish as views (live_views), by key, and the
    (schema, name) of every table the new file holds: the other marts, and those views' tables."""
    views = {}
    for schema in BI_SCHEMAS:
        for name in _view_names(con, "src", schema):
            view = plan_live_view(con, "src", schema, name, BI_SCHEMAS, INTERNAL_COLUMNS)
            if view is not None:
                views[view.key] = view
    written = [(schema, name) for schema in BI_SCHEMAS for name in _relation_names(con, "src", schema)
               if f"{schema}.{name}" not in views]
    return views, written + sorted({(v.base_schema, v.base_name) for v in views.values()})


def _drop_empty_schemas(con: duckdb.DuckDBPyConnection, database: str) -> None:
    """Drop the schemas left empty (that of a view's table no longer published); the BI schemas stay."""
    kept = ", ".join(quote_literal(s) for s in ("main", "meta", *BI_SCHEMAS))
    for (schema,) in con.execute(
            f"select schema_name from duckdb_schemas() where database_name = ? and not internal "
            f"and schema_name not in ({kept}) "
            f"and schema_name not in (select schema_name from duckdb_tables() where database_name = ?) "
            f"and schema_name not in (select schema_name from duckdb_views() where database_name = ?)",
            [database, database, database]).fetchall():
        con.execute(f"drop schema {quote_ident(database)}.{quote_ident(schema)}")


def _write_table(con: duckdb.DuckDBPyConnection, schema: str, name: str, rows: int) -> None:
    """Write warehouse relation ``schema.name`` whole into the new file, checking its row count."""
    dst = f"pub.{quote_ident(schema)}.{quote_ident(name)}"
    con.execute(f"create schema if not exists pub.{quote_ident(schema)}")
    con.execute(f"create table {dst} as {published_select(con, 'src', schema, name)}")
    written = con.execute(f"select count(*) from {dst}").fetchone()[0]
    if written != rows:
        raise RuntimeError(f"publishing {schema}.{name} wrote {written} rows, the warehouse holds {rows}")


def _same_columns(previous: dict | None, current: dict | None) -> bool:
    """Whether a table's published columns (names, types, order) and DuckDB version are unchanged."""
    return bool(previous and current) and all(previous.get(k) == current.get(k) for k in ("columns", "duckdb"))


def _patch_or_drop(con: duckdb.DuckDBPyConnection, schema: str, name: str, digest: dict,
                   patched_since_written: int) -> int | None:
    """Replace only the changed rows of a published table (orchestration/publish/patching.py) and
    return how many; or drop it, to be written whole, and return None: too many rows patched since
    its last full write, or a digest that does not match the warehouse's afterwards."""
    dst = f"pub.{quote_ident(schema)}.{quote_ident(name)}"
    budget = int(PATCH_LIMIT * digest["rows"]) - patched_since_written
    rows = patch_rows(con, published_select(con, "src", schema, name), dst,
                      published_select(con, "pub", schema, name), budget)
    if rows is not None and table_digest(con, "pub", schema, name) == digest:
        return rows
    con.execute(f"drop table {dst}")
    con.execute("checkpoint pub")
    return None


def table_digest(con: duckdb.DuckDBPyConnection, database: str, schema: str, name: str) -> dict:
    """Row count, sum of the rows' hashes and a hash of the column names and types of one table.

    A sum, not an XOR: two equal rows would cancel out of an XOR. DuckDB's ``hash`` is the same in
    every process of one DuckDB version; another version gives other sums, i.e. a full rewrite.
    """
    columns = [c for c in relation_columns(con, database, schema, name) if c[0] not in INTERNAL_COLUMNS]
    # the alias names the whole row; a column of the same name would shadow it (hence not `t`)
    rows, total = con.execute(
        f"select count(*), coalesce(sum(hash({ROW_ALIAS})::hugeint), 0)::varchar "
        f"from ({published_select(con, database, schema, name)}) as {ROW_ALIAS}").fetchone()
    return {"rows": rows, "hash_sum": total,
            "columns": hashlib.sha256(json.dumps(columns).encode()).hexdigest()[:16],
            "duckdb": duckdb.__version__}


def published_select(con: duckdb.DuckDBPyConnection, database: str, schema: str, name: str) -> str:
    """``select`` of the columns of one warehouse table that are published (INTERNAL_COLUMNS left out)."""
    relation = f"{quote_ident(database)}.{quote_ident(schema)}.{quote_ident(name)}"
    columns = [column for column, _ in relation_columns(con, database, schema, name)]
    if not INTERNAL_COLUMNS.intersection(columns):
        return f"select * from {relation}"
    return f"select {', '.join(quote_ident(c) for c in columns if c not in INTERNAL_COLUMNS)} from {relation}"


def _table_names(con: duckdb.DuckDBPyConnection, database: str, schema: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ? order by 1",
        [database, schema]).fetchall()]


def _relation_names(con: duckdb.DuckDBPyConnection, database: str, schema: str) -> list[str]:
    """Tables and views of one schema of the warehouse: a mart may be a view there (``fct_stage_events``
    on DuckDB, whose rows change with the clock every night); it is published as a view over a copy
    of its table (live_views) or, when that cannot be done safely, as a table."""
    return sorted(_table_names(con, database, schema) + [r[0] for r in con.execute(
        "select view_name from duckdb_views() where database_name = ? and schema_name = ? and not internal",
        [database, schema]).fetchall()])


def _view_names(con: duckdb.DuckDBPyConnection, database: str, schema: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select view_name from duckdb_views() where database_name = ? and schema_name = ? and not internal "
        "order by 1", [database, schema]).fetchall()]


def _published_tables(con: duckdb.DuckDBPyConnection, database: str) -> list[tuple[str, str]]:
    """(schema, table) of every table of the file outside ``meta``: the marts and the tables of the
    marts published as views."""
    return con.execute("select schema_name, table_name from duckdb_tables() where database_name = ? "
                       "and schema_name <> 'meta' order by 1, 2", [database]).fetchall()


def _published_views(con: duckdb.DuckDBPyConnection, database: str) -> list[tuple[str, str]]:
    return con.execute("select schema_name, view_name from duckdb_views() where database_name = ? "
                       "and not internal and schema_name <> 'meta' order by 1, 2", [database]).fetchall()


def _mostly_free(con: duckdb.DuckDBPyConnection, database: str) -> bool:
    """Whether more than half of the file's blocks are free (a file published before the
    checkpoint that lets rewritten tables reuse the blocks of the dropped ones): such a file is
    written anew rather than copied, which compacts it once."""
    total, free = con.execute("select total_blocks, free_blocks from pragma_database_size() "
                              "where database_name = ?", [database]).fetchone()
    return free * 2 > total


def _storage_version(con: duckdb.DuckDBPyConnection, database: str) -> str:
    tags = con.execute("select tags from duckdb_databases() where database_name = ?", [database]).fetchone()[0]
    return str((tags or {}).get("storage_version", "")).rstrip("+")


def _previous_digests(final: Path) -> dict | None:
    """The published file's table digests, or None when there is no file or it has none."""
    if not final.exists():
        return None
    try:
        con = duckdb.connect(str(final), read_only=True)
    except duckdb.Error:
        return None
    try:
        return read_table_digests(con) or None
    finally:
        con.close()


def _remove(tmp: Path) -> None:
    """Delete a half-written file and the write-ahead log DuckDB may have left beside it."""
    for path in (tmp, tmp.with_name(tmp.name + ".wal")):
        try:
            path.unlink(missing_ok=True)
        except OSError:  # e.g. the folder became read-only: the original error is the one to report
            pass


def remove_leftovers(out_dir: Path) -> list[Path]:
    """Delete half-written publishes a killed build left behind (``.funnel.duckdb.<id>.tmp[.wal]``).

    Safe because builds of one warehouse never overlap (the build lock, one Dagster run at a
    time): any such file is from a build that died before its swap. Readers never open them.
    """
    stale = sorted(out_dir.glob(f".{PUBLISHED_NAME}.*.tmp")) + sorted(out_dir.glob(f".{PUBLISHED_NAME}.*.tmp.wal"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
