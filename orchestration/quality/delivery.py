"""One delivery of one raw table: the rows of the given load ids, and how to select them.

A delivery is one or more ``_load_id``s (one per ingested file). Only those rows are validated:
older deliveries, good or bad, never change tonight's verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from orchestration.canonical import RAW_SCHEMA, CanonicalTable
from orchestration.sql import quote_ident

if TYPE_CHECKING:
    from orchestration.quality.suites import QualityConfig


@dataclass(frozen=True)
class Delivery:
    con: duckdb.DuckDBPyConnection
    table: CanonicalTable
    load_ids: tuple[str, ...]
    row_count: int
    source_files: tuple[str, ...]
    config: QualityConfig
    seeds_dir: Path
    now: datetime

    @property
    def relation(self) -> str:
        return f"{RAW_SCHEMA}.{quote_ident(self.table.name)}"

    @property
    def where(self) -> str:
        """``_load_id in (?, ?, ...)``; bind ``self.load_ids`` as its parameters."""
        return f"_load_id in ({', '.join('?' for _ in self.load_ids)})"

    @property
    def pii(self) -> tuple[str, ...]:
        return self.table.pii


def describe_delivery(
    con: duckdb.DuckDBPyConnection,
    table: CanonicalTable,
    load_ids: list[str] | tuple[str, ...],
    *,
    config: QualityConfig,
    seeds_dir: Path,
    now: datetime,
) -> Delivery:
    """Count the delivery's rows and list its source files (one cheap aggregate in DuckDB)."""
    ids = tuple(dict.fromkeys(str(i) for i in load_ids))
    if not ids:
        raise ValueError(f"{table.name}: no load ids given; a quality run validates one delivery (>= 1 load id)")
    relation = f"{RAW_SCHEMA}.{quote_ident(table.name)}"
    placeholders = ", ".join("?" for _ in ids)
    rows = con.execute(
        f"select _source_file, count(*) from {relation} where _load_id in ({placeholders}) "
        f"group by _source_file order by _source_file",
        list(ids),
    ).fetchall()
    return Delivery(
        con=con,
        table=table,
        load_ids=ids,
        row_count=sum(int(n) for _, n in rows),
        source_files=tuple(f for f, _ in rows if f is not None),
        config=config,
        seeds_dir=seeds_dir,
        now=now,
    )
