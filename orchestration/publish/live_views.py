"""Publish a mart that is a view in the warehouse as the same view, over a copy of its table.

Why: ``fct_stage_events`` and ``fct_opportunities`` are views in the warehouse over tables kept
from night to night (``int_stage_events__sequenced``, ``int_opportunities__facts``): only an age
column reads the clock, and "now" is a literal in the view's SQL (dbt_project/macros/dates.sql).
Published as tables, their rows changed every night with that literal, so all of them were
written into ``funnel.duckdb`` every night, even a night without new data: at 10M leads
``fct_stage_events`` alone (30.8M rows) took 21 s of the empty night's 40 s publish
(docs/benchmarks.md). Published as the warehouse's own view over a copy of its table, the table
is carried over unchanged like any mart (or patched, when it is partition-incremental), and only
the view, with the night's "now", is written again. Readers get the same rows: the same SQL over
the same rows.

The table keeps its warehouse name (e.g. ``intermediate.int_stage_events__sequenced``), so the
view's SQL, which DuckDB stores without the database name, reads it unchanged in the published
file, however a reader attaches that file.

Which views: those reading exactly one table, outside the published schemas, whose columns the
view shows, except dates and times (the clock's inputs). A table column the view does not show
could hold what the mart leaves out or hashes (contact data), and the table is readable by
anyone who opens the file: such a view, or any view this module cannot read, is published as a
table, as before. (A column is taken as shown when the view has a column of its name: the dbt
marts pass such columns through. The PII scan of the end-to-end tests reads every relation of the
published file, the copied tables included.)
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

import duckdb

from orchestration.publish.catalog import relation_columns
from orchestration.sql import quote_ident

_CREATE_VIEW = re.compile(r'^\s*create\s+view\s+(?:"(?:[^"]|"")*"|[^\s."]+)\.(?:"(?:[^"]|"")*"|[^\s."(]+)\s+as\s+',
                          re.IGNORECASE)
# columns a view may read from its table without showing them: the inputs of an age
_CLOCK_INPUT_TYPES = re.compile(r"^(DATE|TIME|TIMESTAMP|INTERVAL)\b")


@dataclass(frozen=True)
class LiveView:
    schema: str
    name: str
    base_schema: str
    base_name: str
    query: str  # the view's query, as the warehouse stores it

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def base_key(self) -> str:
        return f"{self.base_schema}.{self.base_name}"


def plan_live_view(con: duckdb.DuckDBPyConnection, database: str, schema: str, name: str,
                   published_schemas: tuple[str, ...], internal_columns: frozenset[str]) -> LiveView | None:
    """How to publish view ``schema.name`` of ``database`` as a view, or None: as a table."""
    row = con.execute("select sql from duckdb_views() where database_name = ? and schema_name = ? "
                      "and view_name = ? and not internal", [database, schema, name]).fetchone()
    prefix = _CREATE_VIEW.match(row[0]) if row else None
    if prefix is None:
        return None
    query = row[0][prefix.end():].rstrip().rstrip(";")
    bases = _tables_read(con, query)
    if bases is None or len(bases) != 1:
        return None
    base_schema, base_name = next(iter(bases))
    if base_schema in published_schemas or base_schema in ("", "meta"):
        return None
    if not con.execute("select count(*) from duckdb_tables() where database_name = ? and schema_name = ? "
                       "and table_name = ?", [database, base_schema, base_name]).fetchone()[0]:
        return None  # a view over a view is published as a table
    base_columns = relation_columns(con, database, base_schema, base_name)
    shown = {column for column, _ in relation_columns(con, database, schema, name)}
    hidden = [(c, t) for c, t in base_columns if c not in shown and c not in internal_columns]
    if any(not _CLOCK_INPUT_TYPES.match(t) for _, t in hidden):
        return None
    return LiveView(schema, name, base_schema, base_name, query)


def create_live_view(con: duckdb.DuckDBPyConnection, view: LiveView, published: str, source: str) -> bool:
    """Create ``view`` in database ``published`` (its table already there); True when it shows the
    columns and rows of the warehouse's view, else False, with nothing left behind."""
    target = f"{quote_ident(published)}.{quote_ident(view.schema)}.{quote_ident(view.name)}"
    default = con.execute("select current_database()").fetchone()[0]
    try:
        # created from inside the file: the query's schema-qualified table names resolve there
        con.execute(f"use {quote_ident(published)}")
        con.execute(f"create view {quote_ident(view.schema)}.{quote_ident(view.name)} as {view.query}")
        same = (relation_columns(con, published, view.schema, view.name)
                == relation_columns(con, source, view.schema, view.name)
                and _count(con, target) == _count(con, f"{quote_ident(source)}.{quote_ident(view.schema)}."
                                                         f"{quote_ident(view.name)}"))
    except duckdb.Error:
        same = False
    finally:
        con.execute(f"use {quote_ident(default)}")
    if not same:
        con.execute(f"drop view if exists {target}")
    return same


def view_digest(con: duckdb.DuckDBPyConnection, database: str, view: LiveView, base_digest: dict) -> dict:
    """The digest of a view published as a view (live_views): its rows are a function of its
    table's rows and its query, so a digest of those two stands for a digest of its rows (equal
    digests, equal rows), without hashing them. Never equal to a table's digest."""
    columns = relation_columns(con, database, view.schema, view.name)
    rows = con.execute(f"select count(*) from {quote_ident(database)}.{quote_ident(view.schema)}."
                       f"{quote_ident(view.name)}").fetchone()[0]
    of = json.dumps([base_digest, view.base_key, view.query])
    return {"rows": rows, "hash_sum": "view:" + hashlib.sha256(of.encode()).hexdigest(),
            "columns": hashlib.sha256(json.dumps(columns).encode()).hexdigest()[:16],
            "duckdb": duckdb.__version__}


def _tables_read(con: duckdb.DuckDBPyConnection, query: str) -> set[tuple[str, str]] | None:
    """(schema, table) of every table the query reads, CTEs left out; None if it cannot be parsed."""
    try:
        tree = json.loads(con.execute("select json_serialize_sql(?)", [query]).fetchone()[0])
    except (duckdb.Error, ValueError):
        return None
    if tree.get("error"):
        return None
    ctes: set[str] = set()
    refs: list[tuple[str, str, str]] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE":
                refs.append((node.get("catalog_name", ""), node.get("schema_name", ""), node.get("table_name", "")))
            for entry in (node.get("cte_map") or {}).get("map", []):
                ctes.add(entry.get("key", ""))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    tables = set()
    for catalog, schema, table in refs:
        if not schema and not catalog and table in ctes:
            continue
        if catalog or not schema:  # another database, or a name the file's search path would resolve
            return None
        tables.add((schema, table))
    return tables


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return con.execute(f"select count(*) from {relation}").fetchone()[0]
