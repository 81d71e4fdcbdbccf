"""What a published ``funnel.duckdb`` holds: its build id and its marts, discovered at run time.

Every output made from the published file (Parquet, Postgres, the HTML report) reads the mart list
and the column types from the file itself instead of a hard-coded list: the dbt project grows
mart by mart, and each output must publish whatever the build produced — no more, no less. Reading
from the published file (not the private warehouse) also means every output of a night carries
exactly the build that BI tools see in ``funnel.duckdb``.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.publish.memory import limit_memory, spill_folder
from orchestration.sql import quote_ident

MARTS_SCHEMA = "marts"


class PublishedFileError(RuntimeError):
    """The published file is missing or is not a funnel-warehouse build; the message says which."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type as DuckDB spells it, e.g. VARCHAR, DECIMAL(18,2), TIMESTAMP WITH TIME ZONE


@dataclass(frozen=True)
class Mart:
    name: str
    columns: tuple[Column, ...]
    rows: int

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class PublishedBuild:
    build_id: str
    published_at: datetime | None
    marts: tuple[Mart, ...]

    def mart(self, name: str) -> Mart | None:
        return next((m for m in self.marts if m.name == name), None)


@contextmanager
def open_published(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the published file read-only, as a BI tool would; a clear error if it is not there."""
    if not Path(path).is_file():
        raise PublishedFileError(f"{path} does not exist: run `funnel build --landing DIR --out DIR` first")
    with spill_folder(Path(path).parent) as spill:
        con = duckdb.connect(str(path), read_only=True)
        try:
            con.execute("set enable_progress_bar = false")
            limit_memory(con, spill)  # exports of big marts stay within the build's limit
            yield con
        finally:
            con.close()


def relation_columns(con: duckdb.DuckDBPyConnection, database: str, schema: str,
                     name: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of every column of a table or view of an attached database, in order."""
    return con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
        [database, schema, name]).fetchall()


def read_table_digests(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Per table (``marts.<name>``) the content digest the publish recorded; {} for an older file."""
    try:
        row = con.execute("select table_digests from meta.build_info").fetchone()
    except duckdb.Error:  # a file published before digests existed
        return {}
    try:
        return json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return {}


def read_build(con: duckdb.DuckDBPyConnection) -> PublishedBuild:
    """The build id (from ``meta.build_info``) and every mart (table or view of schema ``marts``) with
    its columns."""
    try:
        build_id, published_at, tables = con.execute(
            "select build_id, published_at, tables from meta.build_info").fetchone()
    except (duckdb.Error, TypeError):
        raise PublishedFileError("the file has no meta.build_info row: it was not written by `funnel build`") from None
    counts = json.loads(tables) if isinstance(tables, str) else (tables or {})
    # a mart is a table, or a view over a table of another schema (publish/live_views.py)
    names = [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where schema_name = ? and database_name = current_database() "
        "union all select view_name from duckdb_views() where schema_name = ? "
        "and database_name = current_database() and not internal order by 1", [MARTS_SCHEMA, MARTS_SCHEMA]).fetchall()]
    marts = []
    for name in names:
        columns = tuple(Column(n, t) for n, t in con.execute(
            "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ? "
            "and database_name = current_database() order by column_index", [MARTS_SCHEMA, name]).fetchall())
        rows = counts.get(f"{MARTS_SCHEMA}.{name}")
        if rows is None:
            rows = con.execute(f"select count(*) from {MARTS_SCHEMA}.{quote_ident(name)}").fetchone()[0]
        marts.append(Mart(name, columns, int(rows)))
    return PublishedBuild(build_id, published_at, tuple(marts))
