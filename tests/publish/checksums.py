"""Order-independent table checksums that mean the same on DuckDB, Parquet and Postgres.

Each row becomes a canonical text (types normalized: decimals, 128-bit integers, float32, time
zones, JSON spelling), hashed with md5; the table's checksum is the row count plus the sum of the
row hashes mod 2^128 — independent of row order (engines sort text differently) yet sensitive to
every value and to duplicated rows. The column types come from the published DuckDB file, so a
lossy copy (a DOUBLE where an exact integer was, a shifted time zone) changes the checksum.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from datetime import datetime, timezone
from decimal import Decimal

from orchestration.publish.catalog import Column
from orchestration.publish.pg_types import is_nested, postgres_type
from orchestration.sql import quote_ident

NULL = "\x00NULL"


def canonical(value, duck_type: str) -> str:
    if value is None:
        return NULL
    if duck_type == "JSON" or is_nested(duck_type):
        return json.dumps(json.loads(value) if isinstance(value, str) else value, sort_keys=True, default=str)
    if isinstance(value, bool):
        return "t" if value else "f"
    if duck_type == "FLOAT":
        value = struct.unpack("f", struct.pack("f", value))[0]
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, (int, Decimal)):
        d = Decimal(value)
        return str(int(d)) if d == d.to_integral_value() else format(d.normalize(), "f")
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def checksum(rows, columns: list[Column]) -> tuple[int, str]:
    total, count = 0, 0
    for row in rows:
        text = json.dumps([canonical(v, c.type) for v, c in zip(row, columns)], ensure_ascii=False)
        total = (total + int(hashlib.md5(text.encode()).hexdigest(), 16)) % (1 << 128)
        count += 1
    return count, f"{total:032x}"


def duckdb_select(columns: list[Column], source: str) -> str:
    """Nested and JSON values as JSON text, so both sides are compared as parsed JSON."""
    exprs = [f"to_json({quote_ident(c.name)})::varchar" if is_nested(c.type)
             else f"{quote_ident(c.name)}::varchar" if c.type == "JSON" else quote_ident(c.name) for c in columns]
    return f"select {', '.join(exprs)} from {source}"


def duckdb_checksum(con, source: str, columns: list[Column]) -> tuple[int, str]:
    con.execute("set TimeZone = 'UTC'")
    return checksum(con.execute(duckdb_select(columns, source)).fetchall(), columns)


def postgres_checksum(pg, schema: str, table: str, columns: list[Column]) -> tuple[int, str]:
    exprs = [f"{quote_ident(c.name)}::text" if postgres_type(c.type) == "jsonb" else quote_ident(c.name) for c in columns]
    rows = pg.execute(f"select {', '.join(exprs)} from {quote_ident(schema)}.{quote_ident(table)}").fetchall()
    return checksum(rows, columns)
