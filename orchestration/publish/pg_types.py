"""DuckDB column types → Postgres column types, and the SQL that writes each value as CSV Postgres reads.

The Postgres copy is loaded with ``COPY … FROM STDIN (FORMAT csv)`` from a CSV file DuckDB writes,
so every value must leave DuckDB in a text form Postgres parses back to the *same* value: numbers,
dates and timestamps already do; nested values (lists, structs, maps) become JSON (→ ``jsonb``),
blobs become ``\\x``-hex (→ ``bytea``), nanosecond timestamps are cut to the microseconds Postgres
keeps. Unknown types fall back to ``text`` rather than failing the publish.
"""

from __future__ import annotations

import re

from orchestration.publish.catalog import Column
from orchestration.sql import quote_ident

_SIMPLE = {
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20,0)",
    "HUGEINT": "numeric(39,0)",
    "UHUGEINT": "numeric(39,0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "VARCHAR": "text",
    "DATE": "date",
    "TIME": "time",
    "TIME WITH TIME ZONE": "timetz",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "INTERVAL": "interval",
    "UUID": "uuid",
    "BLOB": "bytea",
    "JSON": "jsonb",
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
_NESTED = re.compile(r"(\[\d*\]$)|^(STRUCT|MAP|UNION)\(")


def is_nested(duckdb_type: str) -> bool:
    return bool(_NESTED.search(duckdb_type))


def postgres_type(duckdb_type: str) -> str:
    """The Postgres type that holds every value of ``duckdb_type`` without loss."""
    if duckdb_type in _SIMPLE:
        return _SIMPLE[duckdb_type]
    m = _DECIMAL.match(duckdb_type)
    if m:
        return f"numeric({m.group(1)},{m.group(2)})"
    if is_nested(duckdb_type):
        return "jsonb"
    return "text"


def csv_expression(column: Column) -> str:
    """The DuckDB select expression whose CSV text Postgres reads back as the same value."""
    col = quote_ident(column.name)
    if is_nested(column.type):
        return f"to_json({col})"
    if column.type == "BLOB":
        return f"'\\x' || hex({col})"
    if column.type == "TIMESTAMP_NS":
        return f"{col}::timestamp"
    if postgres_type(column.type) == "text" and column.type != "VARCHAR":
        return f"{col}::varchar"
    return col
