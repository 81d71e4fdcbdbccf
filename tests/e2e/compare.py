"""Marts compared row by row, order-independent: a build against a rebuild from scratch."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import duckdb


def normalized(value):
    """Comparable and hashable: floats to 9 digits (NaN equal to NaN), lists/structs as tuples."""
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else round(value, 9)
    if isinstance(value, (list, tuple)):
        return tuple(normalized(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, normalized(v)) for k, v in value.items()))
    return value


def published_marts(published: Path) -> dict[str, tuple[list[str], Counter]]:
    con = duckdb.connect(str(published), read_only=True)
    try:
        names = [n for (n,) in con.execute(
            # tables and views: a mart may be published as a view (orchestration/publish/live_views.py)
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
        out = {}
        for name in names:
            cur = con.execute(f'select * from marts."{name}"')
            columns = [d[0] for d in cur.description]
            out[name] = (columns, Counter(tuple(normalized(v) for v in row) for row in cur.fetchall()))
        return out
    finally:
        con.close()


def differing_marts(built: dict, scratch: dict, skip: set[str] = frozenset()) -> dict[str, dict]:
    """Marts whose columns or rows differ, with a few rows only in each (empty when all agree)."""
    differing = {}
    for name, (columns, rows) in built.items():
        if name in skip:
            continue
        scratch_columns, scratch_rows = scratch[name]
        if columns != scratch_columns:
            differing[name] = {"columns": columns, "scratch_columns": scratch_columns}
        elif rows != scratch_rows:
            differing[name] = {"only_in_build": list((rows - scratch_rows).items())[:3],
                               "only_in_rebuild": list((scratch_rows - rows).items())[:3]}
    return differing
