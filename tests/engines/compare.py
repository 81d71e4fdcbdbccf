"""Reading the marts of one engine as plain Python rows, and comparing two engines' rows.

Each engine returns its own Python types (Decimal from Postgres numeric, tz-aware datetimes from
Spark's Parquet, numpy scalars …); :func:`normalize` maps them to one form, so the comparison is
about values: numbers equal to a relative tolerance, everything else exactly. Rows are compared as
sorted lists (no mart promises an order), sorted on a key where floats are cut to 9 significant
digits so that last-bit differences cannot reorder rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from orchestration.publish.duckdb_file import INTERNAL_COLUMNS

REL_TOL = 1e-9
ABS_TOL = 1e-9  # for values that should be 0 (a relative tolerance of 0 accepts nothing)


def normalize(value):
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value
    if isinstance(value, date):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(normalize(v) for v in value)
    return value


def _sort_key(row: tuple) -> tuple:
    key = []
    for v in row:
        if v is None:
            key.append((0, ""))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            key.append((1, f"{float(v):.9g}"))
        else:
            key.append((2, repr(v)))
    return tuple(key)


def sorted_rows(rows) -> list[tuple]:
    return sorted((tuple(normalize(v) for v in row) for row in rows), key=_sort_key)


def values_equal(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return a == b


@dataclass
class Difference:
    mart: str
    message: str

    def __str__(self) -> str:
        return f"{self.mart}: {self.message}"


def _published_columns(columns: list[str], rows) -> tuple[list[str], list[tuple]]:
    keep = [i for i, column in enumerate(columns) if column.lower() not in INTERNAL_COLUMNS]
    return [columns[i] for i in keep], [tuple(row[i] for i in keep) for row in rows]


def compare_mart(mart: str, columns_a: list[str], rows_a, columns_b: list[str], rows_b,
                 names: tuple[str, str] = ("a", "b"), limit: int = 3) -> list[Difference]:
    """Differences between two engines' rows of one mart (empty when they are equal), over the
    columns that are published: each engine hashes its own partition digests."""
    columns_a, rows_a = _published_columns(columns_a, rows_a)
    columns_b, rows_b = _published_columns(columns_b, rows_b)
    if [c.lower() for c in columns_a] != [c.lower() for c in columns_b]:
        return [Difference(mart, f"columns differ: {names[0]} {columns_a} vs {names[1]} {columns_b}")]
    a, b = sorted_rows(rows_a), sorted_rows(rows_b)
    if len(a) != len(b):
        return [Difference(mart, f"{len(a)} rows on {names[0]}, {len(b)} on {names[1]}")]
    out = []
    for row_a, row_b in zip(a, b):
        bad = [(col, x, y) for col, x, y in zip(columns_a, row_a, row_b) if not values_equal(x, y)]
        if bad:
            out.append(Difference(mart, "; ".join(f"{c}: {names[0]}={x!r} {names[1]}={y!r}" for c, x, y in bad)))
            if len(out) >= limit:
                break
    return out
