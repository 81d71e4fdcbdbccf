"""Hand the dbt project's sources from the DuckDB warehouse to another engine (Spark, Postgres).

The ingest step writes the canonical tables into the private DuckDB warehouse. To build the same
dbt project on a bigger engine, the tables dbt reads as sources — schema ``raw`` (canonical tables
and the load manifest), ``quality.dq_results`` and ``marts.mart_root_cause`` (the Python engine's
output that mart_alerts reads) — are handed over right after ingest:

* **Parquet** (:func:`export_parquet`) for Spark/Databricks: ``<folder>/<schema>/<table>/`` holds
  one Snappy Parquet file per table (``part-0.parquet``: Spark skips files whose name starts with ``_``,
  as ``_load_manifest`` does). The dbt ``spark`` targets register every source as an
  external table over that folder before the build (``macros/engines.sql``,
  ``register_parquet_sources``), so on a cluster the folder is shared storage (``s3://``,
  ``abfss://``, HDFS) the ingest host writes and the cluster reads. A source that does not exist
  yet in DuckDB (no quality run, no root-cause run) is written empty with its columns: the models
  treat an empty and a missing table the same (no rows), and Spark cannot infer the schema of a
  missing folder.
* **Postgres** (:func:`copy_to_postgres`): the same tables into the same schema names, replaced in
  one transaction, with ``COPY … FROM STDIN`` from a CSV DuckDB writes (as ``publish/postgres``
  does for the marts). Missing optional sources are left missing (dbt checks for them).

Secrets: the Postgres URL never appears in a message (:func:`redact`).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.canonical import RAW_SCHEMA, TABLES
from orchestration.publish.redact import redact
from orchestration.sql import quote_ident, quote_literal

# (schema, table) of every dbt source, in load order; the optional ones may not exist yet.
REQUIRED_SOURCES: tuple[tuple[str, str], ...] = (
    *((RAW_SCHEMA, name) for name in TABLES),
    (RAW_SCHEMA, "_load_manifest"),
)
OPTIONAL_SOURCES: tuple[tuple[str, str], ...] = (("quality", "dq_results"), ("marts", "mart_root_cause"))
SOURCES = REQUIRED_SOURCES + OPTIONAL_SOURCES


class HandoffError(RuntimeError):
    """Handing the sources over failed; the message never holds a URL or password."""


@dataclass
class Handoff:
    target: str
    tables: dict[str, int] = field(default_factory=dict)  # "schema.table" -> rows (0 for an empty stand-in)
    empty_stand_ins: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _optional_columns(schema: str, table: str) -> list[tuple[str, str]]:
    """DuckDB columns of an optional source, from the modules that write it (their source of truth)."""
    if (schema, table) == ("quality", "dq_results"):
        from orchestration.quality.store import _COLUMNS

        return list(_COLUMNS)
    from orchestration.analysis.mart import MART_COLUMNS

    kinds = {"PERIOD": "DATE", "COUNT": "BIGINT"}
    return [(name, kinds.get(kind, kind)) for name, kind in MART_COLUMNS]


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                       [schema, table]).fetchone()[0] > 0


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute("select column_name, data_type from information_schema.columns "
                       "where table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()


def export_parquet(warehouse: Path, folder: Path) -> Handoff:
    """Write every dbt source of ``warehouse`` to ``folder/<schema>/<table>/part-0.parquet``.

    Written into a sibling temp folder and renamed into place, so a reader never sees a half export
    (the previous export, if any, is replaced whole).
    """
    started = time.monotonic()
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    result = Handoff(target=str(folder))
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            con.execute("set TimeZone = 'UTC'")
            for schema, table in SOURCES:
                out = tmp / schema / table
                out.mkdir(parents=True)
                path = quote_literal(str(out / "part-0.parquet"))
                if _exists(con, schema, table):
                    relation = f"{quote_ident(schema)}.{quote_ident(table)}"
                elif (schema, table) in OPTIONAL_SOURCES:
                    cols = ", ".join(f"cast(null as {kind}) as {quote_ident(name)}"
                                     for name, kind in _optional_columns(schema, table))
                    relation = f"(select {cols} where false)"
                    result.empty_stand_ins.append(f"{schema}.{table}")
                else:
                    raise HandoffError(f"{warehouse} has no table {schema}.{table}: run the ingest step first")
                con.execute(f"copy (select * from {relation}) to {path} (format parquet, compression snappy)")
                result.tables[f"{schema}.{table}"] = con.execute(
                    f"select count(*) from read_parquet({path})").fetchone()[0]
        old = folder.with_name(f".{folder.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result.seconds = time.monotonic() - started
    return result


# --- Postgres -------------------------------------------------------------------------------------

def _pg_column(name: str, duck_type: str) -> tuple[str, str]:
    """(Postgres type, DuckDB expression whose CSV text Postgres reads back as the same value).

    Lists of strings become ``text[]`` (the models use ``= any(...)`` and ``unnest`` on them), not
    the ``jsonb`` the marts publish uses for nested values.
    """
    from orchestration.publish.catalog import Column
    from orchestration.publish.pg_types import csv_expression, postgres_type

    col = quote_ident(name)
    if duck_type == "VARCHAR[]":
        element = "'\"' || replace(replace(x, chr(92), chr(92) || chr(92)), '\"', chr(92) || '\"') || '\"'"
        return "text[]", f"case when {col} is null then null else '{{' || array_to_string(list_transform({col}, lambda x: case when x is null then 'NULL' else {element} end), ',') || '}}' end"
    return postgres_type(duck_type), csv_expression(Column(name, duck_type))


def copy_to_postgres(warehouse: Path, url: str) -> Handoff:
    """Replace the dbt sources in the Postgres database at ``url`` with the warehouse's, in one transaction."""
    import psycopg
    from psycopg import sql

    started = time.monotonic()
    result = Handoff(target="postgres")
    try:
        with duckdb.connect(str(warehouse), read_only=True) as duck, \
                tempfile.TemporaryDirectory(prefix="funnel-handoff-") as tmp, \
                psycopg.connect(url, connect_timeout=10, application_name="funnel-warehouse handoff") as pg:
            duck.execute("set TimeZone = 'UTC'")
            pg.execute("set TimeZone = 'UTC'")
            for schema, table in SOURCES:
                if not _exists(duck, schema, table):
                    if (schema, table) in OPTIONAL_SOURCES:
                        pg.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(schema, table)))
                        continue
                    raise HandoffError(f"{warehouse} has no table {schema}.{table}: run the ingest step first")
                columns = [(name, *_pg_column(name, kind)) for name, kind in _columns(duck, schema, table)]
                target = sql.Identifier(schema, table)
                pg.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
                pg.execute(sql.SQL("drop table if exists {}").format(target))
                pg.execute(sql.SQL("create table {} ({})").format(target, sql.SQL(", ").join(
                    sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(pg_type)) for name, pg_type, _ in columns)))
                csv = Path(tmp) / "table.csv"
                select = ", ".join(expr for _, _, expr in columns)
                duck.execute(f"copy (select {select} from {quote_ident(schema)}.{quote_ident(table)}) "
                             f"to {quote_literal(str(csv))} (format csv, header false)")
                names = sql.SQL(", ").join(sql.Identifier(name) for name, _, _ in columns)
                with pg.cursor() as cur, open(csv, "rb") as f:
                    with cur.copy(sql.SQL("copy {} ({}) from stdin (format csv)").format(target, names)) as copy:
                        while chunk := f.read(1 << 20):
                            copy.write(chunk)
                    result.tables[f"{schema}.{table}"] = cur.rowcount
                pg.execute(sql.SQL("analyze {}").format(target))
    except psycopg.Error as exc:
        raise HandoffError(redact(f"copying the sources to Postgres failed: {type(exc).__name__}: {exc}", url)) from None
    result.seconds = time.monotonic() - started
    return result
