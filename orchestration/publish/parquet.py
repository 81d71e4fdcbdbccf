"""Every mart as Parquet under ``<out>/parquet/<mart>/`` plus ``manifest.json``, swapped in whole.

Parquet is for the readers that have no DuckDB driver: Power BI and Excel (Power Query's Parquet
connector), Spark, pandas/pyarrow, cloud warehouses' external tables. The export is made from the
published ``funnel.duckdb`` (so it is the same build BI tools see there) into a fresh folder and
swapped in through a symlink (see ``folder_swap``): a reader never sees half an export or files of
two builds side by side.

Layout: a mart up to ``partition_rows`` rows is one file, ``<mart>/<mart>.parquet``. A larger mart
is split into Hive partitions by month, ``<mart>/partition_month=YYYY-MM/part_0.parquet``. The
partition key is an *extra* column derived from the mart's month/date column, so every file still
holds every column of the mart with its own type (Hive-aware readers add ``partition_month``;
Spark does not see a column twice). Files are Snappy-compressed, the codec every Parquet reader
(including Power BI) supports, and carry the build id in their key/value metadata. Types are kept,
except 128-bit integers (DuckDB's ``sum()`` of integers), which Parquet cannot hold: they are
written as exact ``DECIMAL(38,0)`` rather than the lossy ``DOUBLE`` DuckDB would pick; and
``INTERVAL`` values keep millisecond precision, the most the Parquet INTERVAL type holds.

``manifest.json``: the build id, and per mart its columns (name, type in the files, dbt
description), row count, files (path, rows, bytes) and partitioning — enough for a loader to
check it got everything.

A mart whose content digest (``meta.build_info.table_digests`` of the published file, see
``duckdb_file``) equals the one the current export recorded is not written again: its files are
hard-linked from the current version into the new one (Parquet files are never modified, so two
versions can share them). Such files carry the build id of the export that wrote them in their
key/value metadata; the manifest says which (``written_by_build``) next to the build id of the
export.

A partitioned mart that changed is compared month by month: the manifest records each
partition's digest (row count and sum of row hashes, ``partitions``), and a partition whose digest
is unchanged is hard-linked too, so only the months that changed are written. A night's new data
rewrites only a few months of the lead facts (at 1M leads, 5 of 7 months of ``fct_leads`` were the
same after a one-day delta, docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from orchestration.publish import folder_swap
from orchestration.publish.catalog import (MARTS_SCHEMA, Mart, PublishedBuild, open_published, read_build,
                                          read_table_digests)
from orchestration.publish.descriptions import MartDoc, mart_docs
from orchestration.publish.duckdb_file import ROW_ALIAS
from orchestration.sql import quote_ident, quote_literal

EXPORT_NAME = "parquet"
MANIFEST_NAME = "manifest.json"
PARTITION_ROWS = 1_000_000
PARTITION_COLUMN = "partition_month"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # DuckDB's (and Hive's) folder name for a null partition value
_WIDE_INTEGERS = ("HUGEINT", "UHUGEINT")  # Parquet has no 128-bit integer; DuckDB would write a lossy DOUBLE
_TEMPORAL = ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")


@dataclass
class MartExport:
    name: str
    rows: int
    files: list[dict] = field(default_factory=list)
    partitioning: dict | None = None
    digest: dict | None = None  # the mart's content digest in the published file (None: older file)
    written_by_build: str = ""  # the export that wrote the files (an earlier one when carried over)
    carried_over: bool = False
    # partitioned marts: partition value (YYYY-MM) -> rows, hash_sum, written_by_build
    partitions: dict[str, dict] | None = None
    partitions_carried_over: list[str] = field(default_factory=list)


@dataclass
class ParquetExport:
    path: Path
    version: Path
    build_id: str
    marts: dict[str, MartExport]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(m.rows for m in self.marts.values())

    @property
    def files(self) -> int:
        return sum(len(m.files) for m in self.marts.values())

    @property
    def carried_over(self) -> list[str]:
        return sorted(m.name for m in self.marts.values() if m.carried_over)

    @property
    def partitions_carried_over(self) -> dict[str, list[str]]:
        """Per changed partitioned mart, the months whose files were shared with the previous export."""
        return {m.name: m.partitions_carried_over for m in self.marts.values() if m.partitions_carried_over}


def partition_source(mart: Mart) -> str | None:
    """The column a large mart is split by: a DATE ``*_month`` column, else its first date/timestamp."""
    for c in mart.columns:
        if c.type == "DATE" and c.name.endswith("_month"):
            return c.name
    return next((c.name for c in mart.columns if c.type in _TEMPORAL), None)


def parquet_type(duckdb_type: str) -> str:
    """The type a column has in the Parquet files (128-bit integers become exact DECIMAL(38,0))."""
    return "DECIMAL(38,0)" if duckdb_type in _WIDE_INTEGERS else duckdb_type


def _select_list(mart: Mart) -> str:
    """Every column, 128-bit integers cast to DECIMAL(38,0): exact up to 10^38, an error (not a rounding) beyond."""
    return ", ".join(f"{quote_ident(c.name)}::DECIMAL(38,0) as {quote_ident(c.name)}" if c.type in _WIDE_INTEGERS
                     else quote_ident(c.name) for c in mart.columns)


def export_parquet(published: Path, out_dir: Path, *, partition_rows: int = PARTITION_ROWS, keep: int = 2,
                   manifest: Path | None = None) -> ParquetExport:
    """Export every mart of ``published`` to ``<out_dir>/parquet`` and swap it in atomically."""
    started = time.monotonic()
    docs = mart_docs(manifest)
    previous = _current_export(out_dir, partition_rows)
    with open_published(published) as con:
        build = read_build(con)
        digests = read_table_digests(con)
        staged = folder_swap.stage_version(out_dir, EXPORT_NAME, build.build_id)
        try:
            marts = {}
            for m in build.marts:
                digest = digests.get(f"{MARTS_SCHEMA}.{m.name}")
                marts[m.name] = (_carry_over(previous, m, digest, staged)
                                 or _export_mart(con, m, staged, build.build_id, partition_rows, digest, previous))
            _write_manifest(staged / MANIFEST_NAME, build, marts, docs, partition_rows)
        except BaseException:
            folder_swap.discard(staged)
            raise
    version = folder_swap.swap_in(out_dir, EXPORT_NAME, staged, keep=keep)
    return ParquetExport(out_dir / EXPORT_NAME, version, build.build_id, marts, time.monotonic() - started)


def _current_export(out_dir: Path, partition_rows: int) -> tuple[Path, dict] | None:
    """The version readers see now and its manifest, when its files can be reused by the next one."""
    version = folder_swap.current_version(out_dir, EXPORT_NAME)
    if version is None:
        return None
    try:
        manifest = json.loads((version / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return (version, manifest) if manifest.get("partition_rows") == partition_rows else None


def _carry_over(previous: tuple[Path, dict] | None, mart: Mart, digest: dict | None, root: Path) -> MartExport | None:
    """Hard-link the mart's files from the current export when its content has not changed."""
    if previous is None or digest is None:
        return None
    version, manifest = previous
    entry = manifest.get("marts", {}).get(mart.name)
    if not entry or entry.get("digest") != digest or entry.get("rows") != mart.rows:
        return None
    if not _share_files(version, entry["files"], root):
        return None
    (root / mart.name).mkdir(exist_ok=True)
    # the month digests go along: the next night compares its changed months with them
    return MartExport(mart.name, entry["rows"], list(entry["files"]), entry.get("partitioning"), digest,
                      entry.get("written_by_build") or manifest.get("build_id", ""), carried_over=True,
                      partitions=entry.get("partitions"))


def _export_mart(con: duckdb.DuckDBPyConnection, mart: Mart, root: Path, build_id: str,
                 partition_rows: int, digest: dict | None = None,
                 previous: tuple[Path, dict] | None = None) -> MartExport:
    target = root / mart.name
    target.mkdir()
    source = f"{MARTS_SCHEMA}.{quote_ident(mart.name)}"
    kv = f"kv_metadata {{build_id: {quote_literal(build_id)}, mart: {quote_literal(mart.name)}}}"
    month_col = partition_source(mart) if mart.rows > partition_rows else None
    if month_col is None:
        con.execute(f"copy (select {_select_list(mart)} from {source}) to {quote_literal(str(target / f'{mart.name}.parquet'))} "
                    f"(format parquet, compression snappy, {kv})")
        return _checked_export(con, mart, target, root, build_id, digest)
    key = PARTITION_COLUMN
    while key in mart.column_names():
        key = "_" + key
    partitioning = {"style": "hive", "column": key, "source_column": month_col, "format": "YYYY-MM",
                    "note": f"{key} is in the folder names only; each file holds every column of the mart"}
    month = f"strftime({quote_ident(month_col)}, '%Y-%m')"
    value = f"coalesce({month}, {quote_literal(NULL_PARTITION)})"  # the folder's value: null has its own name
    partitions = _partition_digests(con, mart, value)
    kept = _link_unchanged_partitions(previous, mart, partitioning, digest, partitions, root)
    changed = sorted(set(partitions) - set(kept))
    if changed:
        # written beside the shared months, then moved in: COPY refuses a folder that holds files
        written = target / ".written"
        only_changed = f" where {value} in ({', '.join(quote_literal(v) for v in changed)})" if kept else ""
        con.execute(
            f"copy (select {_select_list(mart)}, {month} as {quote_ident(key)} from {source}{only_changed}) "
            f"to {quote_literal(str(written))} (format parquet, compression snappy, partition_by ({quote_ident(key)}), "
            f"filename_pattern 'part_{{i}}', {kv})")
        for folder in written.iterdir():
            folder.rename(target / folder.name)
        written.rmdir()
    for v, entry in partitions.items():
        entry["written_by_build"] = kept.get(v, build_id)
    export = _checked_export(con, mart, target, root, build_id, digest, partitioning)
    export.partitions, export.partitions_carried_over = partitions, sorted(kept)
    return export


def _checked_export(con: duckdb.DuckDBPyConnection, mart: Mart, target: Path, root: Path, build_id: str,
                    digest: dict | None, partitioning: dict | None = None) -> MartExport:
    """The export of the files under ``target``, after checking they hold exactly the mart's rows."""
    files = _file_list(con, target, root)
    rows = sum(f["rows"] for f in files)
    if rows != mart.rows:
        raise RuntimeError(f"Parquet export of {mart.name} wrote {rows} rows, the published file has {mart.rows}")
    return MartExport(mart.name, rows, files, partitioning, digest, build_id)


def _partition_digests(con: duckdb.DuckDBPyConnection, mart: Mart, value: str) -> dict[str, dict]:
    """Per partition value (the Hive folder's: ``NULL_PARTITION`` for a null month), its row count
    and the sum of its rows' hashes, over the columns the files hold (as ``duckdb_file.table_digest``)."""
    source = f"{MARTS_SCHEMA}.{quote_ident(mart.name)}"
    columns = ", ".join(quote_ident(c.name) for c in mart.columns)
    rows = con.execute(
        f"select {value}, count(*), coalesce(sum(hash({ROW_ALIAS})::hugeint), 0)::varchar "
        f"from (select {columns} from {source}) as {ROW_ALIAS} group by 1").fetchall()
    return {v: {"rows": n, "hash_sum": total} for v, n, total in rows}


def _link_unchanged_partitions(previous: tuple[Path, dict] | None, mart: Mart, partitioning: dict,
                               digest: dict | None, partitions: dict[str, dict], root: Path) -> dict[str, str]:
    """Hard-link into the export ``root`` the files of every partition whose digest the current export
    recorded unchanged; returns partition value -> the build that wrote its files.

    Row hashes are comparable only between tables of the same column names and types, hashed by
    the same DuckDB version: anything else (or an export without partition digests) shares nothing.
    """
    if previous is None or digest is None:
        return {}
    version, manifest = previous
    entry = manifest.get("marts", {}).get(mart.name) or {}
    before = entry.get("digest") or {}
    if (entry.get("partitioning") != partitioning or before.get("columns") != digest.get("columns")
            or before.get("duckdb") != digest.get("duckdb")):
        return {}
    files_of: dict[str, list[dict]] = {}
    for f in entry.get("files", []):
        parts = f["path"].split("/")
        if len(parts) == 3 and parts[1].startswith(f"{partitioning['column']}="):
            files_of.setdefault(parts[1].split("=", 1)[1], []).append(f)
    kept = {}
    for value, now in partitions.items():
        old, files = (entry.get("partitions") or {}).get(value), files_of.get(value, [])
        if (not old or (old.get("rows"), old.get("hash_sum")) != (now["rows"], now["hash_sum"])
                or sum(f["rows"] for f in files) != now["rows"] or not _share_files(version, files, root)):
            continue
        kept[value] = old.get("written_by_build") or entry.get("written_by_build") or manifest.get("build_id", "")
    return kept


def _share_files(version: Path, files: list[dict], root: Path) -> bool:
    """Hard-link ``files`` (manifest entries, paths relative to an export) from the export
    ``version`` into the export ``root``; nothing, and False, when one is missing or has another size."""
    if any(not (version / f["path"]).is_file() or (version / f["path"]).stat().st_size != f["bytes"] for f in files):
        return False
    for f in files:
        target = root / f["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(version / f["path"], target)
        except OSError:  # a file system without hard links: copy
            shutil.copyfile(version / f["path"], target)
    return True


def _file_list(con: duckdb.DuckDBPyConnection, target: Path, root: Path) -> list[dict]:
    paths = sorted(target.rglob("*.parquet"))
    if not paths:
        return []
    counts = dict(con.execute("select file_name, num_rows from parquet_file_metadata(?)",
                              [[str(p) for p in paths]]).fetchall())
    return [{"path": p.relative_to(root).as_posix(), "rows": int(counts[str(p)]), "bytes": p.stat().st_size}
            for p in paths]


def _write_manifest(path: Path, build: PublishedBuild, marts: dict[str, MartExport], docs: dict[str, MartDoc],
                    partition_rows: int) -> None:
    body = {
        "format": "funnel-warehouse parquet export, version 1",
        "build_id": build.build_id,
        "published_at": build.published_at.isoformat() if build.published_at else None,
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "compression": "snappy",
        "partition_rows": partition_rows,
        "marts": {},
    }
    for mart in build.marts:
        doc = docs.get(mart.name, MartDoc())
        export = marts[mart.name]
        body["marts"][mart.name] = {
            "description": doc.description,
            "rows": export.rows,
            "columns": [_column_entry(c.name, c.type, doc.columns.get(c.name, "")) for c in mart.columns],
            "files": export.files,
            "partitioning": export.partitioning,
            "written_by_build": export.written_by_build,
            "digest": export.digest,
        }
        if export.partitions is not None:
            body["marts"][mart.name]["partitions"] = export.partitions
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _column_entry(name: str, duckdb_type: str, description: str) -> dict:
    entry = {"name": name, "type": parquet_type(duckdb_type), "description": description}
    if entry["type"] != duckdb_type:
        entry["warehouse_type"] = duckdb_type
    return entry


def read_manifest(out_dir: Path) -> dict:
    """The manifest of the export readers currently see."""
    return json.loads((out_dir / EXPORT_NAME / MANIFEST_NAME).read_text(encoding="utf-8"))
