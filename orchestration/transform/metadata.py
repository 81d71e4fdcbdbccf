"""Row counts and previews on the dbt assets' materializations, for the person on call.

dagster-dbt reports what dbt knows (status, duration, column schema, lineage); how many rows a
model holds, how many came with tonight's loads and what the marts look like is only in the
warehouse. DuckDB has one writer at a time and dbt holds the file while it runs, so the counts
are read before dbt starts and after it ends, and the step's events are handed to Dagster once
dbt is done (a failed build still reports the models it finished, then raises its error).

Only tables are counted (views would re-run their query), and the marts that are views: such a
mart (``fct_stage_events`` on DuckDB) adds one column to a table, so counting it is counting that
table. Identifiers come from the dbt manifest and are quoted.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass

import dagster as dg
import duckdb

from orchestration.sql import quote_ident
from orchestration.warehouse import existing_relations

PREVIEW_ROWS = 5
PREVIEW_CELL_CHARS = 40


@dataclass(frozen=True)
class Relation:
    """A table dbt materializes (or a mart it makes a view), as the manifest names it."""

    unique_id: str
    schema: str
    name: str
    incremental: bool
    is_mart: bool

    @property
    def sql(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"


@dataclass(frozen=True)
class TableState:
    rows: int
    max_loaded_at: dt.datetime | None


def table_relations(manifest: Mapping) -> dict[str, Relation]:
    """Every model materialized as a table or incremental table, and every mart made a view, by dbt
    unique_id."""
    out = {}
    for unique_id, node in manifest["nodes"].items():
        materialized = node.get("config", {}).get("materialized")
        counted = materialized in ("table", "incremental") or (materialized == "view" and node["schema"] == "marts")
        if node["resource_type"] != "model" or not counted:
            continue
        out[unique_id] = Relation(unique_id, node["schema"], node.get("alias") or node["name"],
                                  materialized == "incremental", node["schema"] == "marts")
    return out


def read_states(con: duckdb.DuckDBPyConnection, relations: Iterable[Relation]) -> dict[str, TableState]:
    """Rows (and the newest _loaded_at of incremental tables) of every relation that exists."""
    existing = existing_relations(con)
    states = {}
    for rel in relations:
        if (rel.schema, rel.name) not in existing:
            continue
        if rel.incremental and _has_column(con, rel, "_loaded_at"):
            rows, newest = con.execute(f"select count(*), max(_loaded_at) from {rel.sql}").fetchone()
        else:
            (rows,), newest = con.execute(f"select count(*) from {rel.sql}").fetchone(), None
        states[rel.unique_id] = TableState(int(rows), newest)
    return states


def _has_column(con: duckdb.DuckDBPyConnection, rel: Relation, column: str) -> bool:
    return con.execute("select count(*) from duckdb_columns() where schema_name = ? and table_name = ? "
                       "and column_name = ?", [rel.schema, rel.name, column]).fetchone()[0] > 0


def new_rows(con: duckdb.DuckDBPyConnection, rel: Relation, before: TableState | None) -> int | None:
    """Rows an incremental table holds from loads newer than what it held before this build."""
    if not rel.incremental or not _has_column(con, rel, "_loaded_at"):
        return None
    if before is None or before.max_loaded_at is None:
        return int(con.execute(f"select count(*) from {rel.sql}").fetchone()[0])
    return int(con.execute(f"select count(*) from {rel.sql} where _loaded_at > ?",
                           [before.max_loaded_at]).fetchone()[0])


def preview_markdown(con: duckdb.DuckDBPyConnection, rel: Relation, limit: int = PREVIEW_ROWS) -> str:
    """The first rows of a mart as a markdown table (marts hold no clear-text PII)."""
    cur = con.execute(f"select * from {rel.sql} limit {int(limit)}")
    columns = [d[0] for d in cur.description]
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in cur.fetchall()]
    return "\n".join(lines)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, decimal.Decimal):
        text = f"{value:f}"
    else:
        text = str(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= PREVIEW_CELL_CHARS else text[: PREVIEW_CELL_CHARS - 1] + "…"


def materialization_metadata(con: duckdb.DuckDBPyConnection, rel: Relation, before: TableState | None,
                             after: TableState | None, run_id: str) -> dict:
    """rows, row_change vs the previous build, new_rows (incremental), build id, preview (marts)."""
    if after is None:
        return {"build_id": run_id}
    metadata: dict = {"dagster/row_count": after.rows, "build_id": run_id,
                      "row_change": after.rows - (before.rows if before else 0)}
    added = new_rows(con, rel, before)
    if added is not None:
        metadata["new_rows"] = added
    if rel.is_mart:
        metadata["preview"] = dg.MetadataValue.md(preview_markdown(con, rel))
    return metadata


def with_table_metadata(events: Iterable, open_warehouse: Callable[[], AbstractContextManager],
                        relations: Mapping[str, Relation], before: Mapping[str, TableState],
                        run_id: str) -> Iterator:
    """Yield dbt's events once it has finished, materializations enriched with table metadata."""
    buffered, error = [], None
    try:
        for event in events:
            buffered.append(event)
    except Exception as exc:  # noqa: BLE001 - re-raised below, after the finished models are reported
        error = exc
    enriched = {}
    try:
        with open_warehouse() as con:
            done = [relations[uid] for uid in (_unique_id(e) for e in buffered) if uid in relations]
            after = read_states(con, done)
            for rel in done:
                enriched[rel.unique_id] = materialization_metadata(
                    con, rel, before.get(rel.unique_id), after.get(rel.unique_id), run_id)
    except duckdb.Error as exc:  # metadata is a courtesy; never fail a good build over it
        dg.get_dagster_logger().warning(f"row counts unavailable: {exc}")
    for event in buffered:
        extra = enriched.get(_unique_id(event))
        yield event.with_metadata({**event.metadata, **extra}) if extra else event
    if error is not None:
        raise error


def _unique_id(event) -> str | None:
    if not isinstance(event, (dg.Output, dg.AssetMaterialization)):
        return None
    value = (event.metadata or {}).get("unique_id")
    return getattr(value, "value", value)
