"""DuckDB connections of the publish steps under the build's memory limit, spilling to disk.

Why: the publish steps open DuckDB connections of their own (an in-memory database attaching the
warehouse and the new file; the published file read-only for Parquet, Postgres and the report).
Without a limit DuckDB allows itself 80 % of the machine's memory: at 10M leads, copying the
marts into the new published file peaked at 6.9 GB RSS while every other step of the build stays
under the 3 GB limit (docs/benchmarks.md). The same limit as the warehouse's
(``FUNNEL_DUCKDB_MEMORY_LIMIT``, default 3GB) applies here; what does not fit spills to a
private folder beside the output, removed when the connection is done.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from orchestration.sql import quote_literal

ENV_VAR = "FUNNEL_DUCKDB_MEMORY_LIMIT"
DEFAULT_LIMIT = "3GB"  # Settings.duckdb_memory_limit


def memory_limit() -> str:
    """The build's DuckDB memory limit: ``FUNNEL_DUCKDB_MEMORY_LIMIT`` (as dbt's profile reads it)."""
    return os.environ.get(ENV_VAR, "").strip() or DEFAULT_LIMIT


@contextmanager
def spill_folder(near: Path) -> Iterator[Path]:
    """A fresh hidden folder in ``near`` (on the output's disk, sized for the data) for DuckDB's
    temporary files, deleted afterwards.

    Close the connection inside the block: DuckDB keeps its temporary files open until then.
    """
    try:
        folder = Path(tempfile.mkdtemp(prefix=".duckdb-spill-", dir=near))
    except OSError:  # a read-only out folder (a reader's view of it): the system's temporary folder
        folder = Path(tempfile.mkdtemp(prefix="funnel-duckdb-spill-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def limit_memory(con: duckdb.DuckDBPyConnection, spill: Path) -> None:
    """Cap ``con`` at the build's memory limit, spilling into ``spill``."""
    con.execute(f"set memory_limit = {quote_literal(memory_limit())}")
    con.execute(f"set temp_directory = {quote_literal(str(spill))}")
