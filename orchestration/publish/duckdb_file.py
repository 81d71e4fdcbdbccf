"""Publish the marts as a read-only DuckDB file, swapped in atomically, with rollback versions.

Readers (BI tools, the DuckDB CLI) open ``<out>/funnel.duckdb`` read-only. We never write that
file in place: a build writes ``.funnel.duckdb.<build_id>.tmp`` beside it, checkpoints and closes
it, then ``os.replace`` swaps it in — a rename within one folder is atomic on POSIX, so a reader
that opens the path gets the old or the new build, never a half-written one, and a reader that
already has the old file open keeps reading it. The previous file is kept (hard link) under
``versions/`` for ``funnel rollback``.

Storage format: written with DuckDB's v1.0.0 storage version (format 64) so that BI drivers
bundling DuckDB 0.10 or newer (DBeaver/JDBC, Metabase's DuckDB driver, ODBC builds, duckdb-engine)
can open it; checked with clients 0.10.3, 1.0.0 … 1.4.1 and 2.0, while 0.9.2 cannot (docs/bi.md).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from orchestration.publish.memory import limit_memory, spill_folder
from orchestration.sql import quote_ident, quote_literal

PUBLISHED_NAME = "funnel.duckdb"
STORAGE_VERSION = "v1.0.0"
BI_SCHEMAS = ("marts",)
_BUILD_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass
class PublishResult:
    path: Path
    build_id: str
    tables: dict[str, int]
    previous_version: Path | None


def new_build_id(run_id: str | None = None, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    suffix = (run_id or "manual")[:8]
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{suffix}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def published_build_id(path: Path) -> str | None:
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        return con.execute("select build_id from meta.build_info").fetchone()[0]
    except duckdb.Error:
        return None
    finally:
        con.close()


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
    with spill_folder(out_dir) as spill:
        con = duckdb.connect()
        try:
            limit_memory(con, spill)
            _copy_bi_schemas(con, warehouse, tmp, build_id, tables, extra_info)
        except BaseException:
            con.close()
            _remove(tmp)
            raise
        con.close()
    try:  # until the swap, a failure (disk full, I/O error, read-only folder) leaves only the old file
        _fsync_file(tmp)
        previous = _keep_previous(final, out_dir, keep_versions)
        os.replace(tmp, final)
    except BaseException:
        _remove(tmp)
        raise
    _fsync_dir(out_dir)
    return PublishResult(final, build_id, tables, previous)


def _copy_bi_schemas(con: duckdb.DuckDBPyConnection, warehouse: Path, tmp: Path, build_id: str,
                     tables: dict[str, int], extra_info: dict | None) -> None:
    """Copy every table of the BI-facing schemas of ``warehouse`` into the new file ``tmp``."""
    con.execute("set enable_progress_bar = false")
    con.execute(f"attach {quote_literal(str(warehouse))} as src (read_only)")
    con.execute(f"attach {quote_literal(str(tmp))} as pub (storage_version {quote_literal(STORAGE_VERSION)})")
    for schema in BI_SCHEMAS:
        con.execute(f"create schema if not exists pub.{quote_ident(schema)}")
        names = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'src' and schema_name = ? order by 1",
            [schema]).fetchall()]
        for name in names:
            src, dst = f"src.{quote_ident(schema)}.{quote_ident(name)}", f"pub.{quote_ident(schema)}.{quote_ident(name)}"
            con.execute(f"create table {dst} as select * from {src}")
            tables[f"{schema}.{name}"] = con.execute(f"select count(*) from {dst}").fetchone()[0]
    con.execute("create schema if not exists pub.meta")
    con.execute("create table pub.meta.build_info (build_id varchar, published_at timestamp, tables json, info json)")
    con.execute("insert into pub.meta.build_info values (?, ?, ?, ?)",
                [build_id, datetime.now(timezone.utc).replace(tzinfo=None), json.dumps(tables), json.dumps(extra_info or {})])
    con.execute("checkpoint pub")
    con.execute("detach pub")
    con.execute("detach src")


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


def _keep_previous(final: Path, out_dir: Path, keep_versions: int) -> Path | None:
    """Hard-link the current published file into versions/ before it is replaced; prune old ones."""
    if not final.exists():
        return None
    versions = out_dir / "versions"
    versions.mkdir(exist_ok=True)
    old_id = published_build_id(final) or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-unknown")
    kept = versions / f"funnel-{old_id}.duckdb"
    if not kept.exists():
        try:
            os.link(final, kept)
        except OSError:
            import shutil

            shutil.copy2(final, kept)
    for stale in list_versions(out_dir)[keep_versions:]:
        stale.unlink(missing_ok=True)
    return kept


def list_versions(out_dir: Path) -> list[Path]:
    """Kept versions, newest first (build ids start with a UTC timestamp, so names sort by time)."""
    return sorted((out_dir / "versions").glob("funnel-*.duckdb"), reverse=True)


def rollback(out_dir: Path, build_id: str | None = None) -> Path:
    """Swap a kept version back in (the newest one unless ``build_id`` names another)."""
    versions = list_versions(out_dir)
    if build_id:
        versions = [v for v in versions if v.name == f"funnel-{build_id}.duckdb"]
    if not versions:
        raise FileNotFoundError(f"no kept version{' ' + build_id if build_id else ''} under {out_dir / 'versions'}")
    chosen = versions[0]
    tmp = out_dir / f".{PUBLISHED_NAME}.rollback.tmp"
    import shutil

    shutil.copy2(chosen, tmp)
    _fsync_file(tmp)
    os.replace(tmp, out_dir / PUBLISHED_NAME)
    _fsync_dir(out_dir)
    return chosen
