"""The ingest's own memory budget: a big export loads in about 1 GB, whatever its size.

Why: the loader stages a file in DuckDB temporary tables (the text as read, then the typed rows)
before it commits, so the quarantine, the vendor totals and the record counts can be checked
against the whole file. DuckDB keeps temporary tables in memory up to its memory limit and only
then spills them to its temporary directory (``<warehouse>.tmp`` beside the warehouse file). The
warehouse connection's limit is sized for dbt (``FUNNEL_DUCKDB_MEMORY_LIMIT``, 3GB), so without a
budget of its own a big delivery grew the process to that limit: 3.9 GiB peak RSS for a 2 GB CSV
under 4 GB. During the ingest the limit is lowered to ``FUNNEL_INGEST_MEMORY_LIMIT`` (never
raised), the rest spills to disk, and the connection's limit is put back afterwards
(bench/ingest/memory_2gb.py, docs/reliability.md section 4).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

ENV_VAR = "FUNNEL_INGEST_MEMORY_LIMIT"
# Peak RSS is about this plus 110-160 MiB (Python and its imports, allocations DuckDB does not
# count against its limit). Why 1GB and not less: the build's peak is dbt's (3.1-3.6 GB under the
# 3GB warehouse limit), so a smaller ingest budget saves nothing at the peak, and below ~1GB DuckDB
# stores a big file's text in file order on one thread (M's 830 MB Task.csv: 12.6 s at 256MB,
# 4.5 s at 1GB) and an 8.3 GB export does not fit at all (out of memory at 256MB: read twice, see
# IngestMemory). Below ~160MB ordinary files start to need that retry.
DEFAULT_LIMIT = "1GB"

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", re.I)


def parse_size(text: str) -> int | None:
    """Bytes of a DuckDB size ('384MB', '3.7 GiB', '1000B'); None if it is not one."""
    m = _SIZE.fullmatch(text or "")
    if not m or m.group(2).lower() not in _UNITS:
        return None
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def ingest_memory_limit() -> str:
    """The budget from ``FUNNEL_INGEST_MEMORY_LIMIT`` (e.g. ``512MB``), else the default (1GB)."""
    value = os.environ.get(ENV_VAR, "").strip() or DEFAULT_LIMIT
    if parse_size(value) is None:
        raise ValueError(f"{ENV_VAR}={value!r} is not a size such as 384MB or 1GB")
    return value


def _current_limit(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_setting('memory_limit')").fetchone()[0]


def _as_set(shown: str) -> str:
    """A value for ``set memory_limit`` that gives back the limit DuckDB shows as ``shown``.

    DuckDB shows its limit rounded down to 0.1 of a unit ('3.7 GiB' for 4 GB): the middle of that
    interval is within 0.05 of a unit of the real limit, and setting it again shows the same text.
    """
    m = _SIZE.fullmatch(shown)
    if m and "." in m.group(1) and m.group(2).lower() in _UNITS:
        return f"{int((float(m.group(1)) + 0.05) * _UNITS[m.group(2).lower()])}B"
    return shown


class IngestMemory:
    """DuckDB's memory limit during an ingest: at most ``limit``, the connection's own limit after.

    A file that cannot be read within the budget — a very wide export: DuckDB's CSV reader needs
    memory per column and per thread, and 3,000 columns did not fit in 384 MB — is read again with
    the connection's limit (``lifted``), as before the budget existed: a budget never rejects a file.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, limit: str | None):
        self.con = con
        self.budget_text = limit or ""
        self.budget = parse_size(limit) if limit else None
        self.before = ""
        self.lowered = False

    def __enter__(self) -> IngestMemory:
        self.before = _current_limit(self.con)
        before_bytes = parse_size(self.before)
        if self.budget is not None and (before_bytes is None or self.budget < before_bytes) and self._can_spill():
            self.con.execute(f"set memory_limit = '{self.budget}B'")
            self.lowered = True
        return self

    def __exit__(self, *exc) -> None:
        if self.lowered:
            self._set(_as_set(self.before))
            self.lowered = False

    def _can_spill(self) -> bool:
        """A budget only helps when DuckDB may spill to its temporary directory (set to '' disables it)."""
        return bool(self.con.execute("select current_setting('temp_directory')").fetchone()[0])

    def _set(self, value: str) -> None:
        try:
            self.con.execute(f"set memory_limit = '{value}'")
        except duckdb.Error:  # a connection invalidated by the failure being raised: report that one
            pass

    @contextmanager
    def lifted(self) -> Iterator[None]:
        """The connection's own limit for the block (a file too wide for the budget)."""
        self.con.execute(f"set memory_limit = '{_as_set(self.before)}'")
        try:
            yield
        finally:
            self._set(f"{self.budget}B")
