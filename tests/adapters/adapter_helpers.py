"""Helpers for adapter tests: expected figures come from the fixture files via Python's csv module
or openpyxl — never from the loader (DuckDB) under test."""

from __future__ import annotations

import csv
import io
from pathlib import Path


def read_rows(path: Path, *, encoding: str = "utf-8", delimiter: str = ",", skip: int = 0) -> list[list[str]]:
    """All CSV rows of a fixture after ``skip`` preamble lines, parsed by Python's csv module."""
    text = path.read_bytes().decode(encoding).lstrip("\ufeff")
    lines = text.splitlines(keepends=True)[skip:]
    return list(csv.reader(io.StringIO("".join(lines)), delimiter=delimiter))


def read_dicts(path: Path, **kwargs) -> list[dict[str, str]]:
    rows = read_rows(path, **kwargs)
    return [dict(zip(rows[0], r)) for r in rows[1:] if r]


def number(text: str) -> float:
    """A vendor's formatted number (``USD 1,234.50``, ``￥480,000.00``, ``12%``) as float."""
    cleaned = "".join(ch for ch in text if ch.isdigit() or ch in ".-")
    return float(cleaned)


def manifest(con, source_file: str) -> dict[str | None, dict]:
    """Manifest rows of one file, keyed by target table."""
    cols = ["load_id", "status", "adapter", "encoding", "rows_read", "rows_loaded", "rows_quarantined", "rows_summary",
            "message", "target_table"]
    rows = con.execute(f"select {', '.join(cols)} from raw._load_manifest where source_file = ? and status <> 'replaced'",
                       [source_file]).fetchall()
    return {r[-1]: dict(zip(cols, r)) for r in rows}


def assert_identity(con) -> None:
    """rows read = loaded + quarantined + excluded, for every load in the manifest."""
    for name, table, read, loaded, quarantined, summary in con.execute(
            "select source_file, target_table, rows_read, rows_loaded, rows_quarantined, rows_summary "
            "from raw._load_manifest where status = 'loaded'").fetchall():
        assert read == loaded + quarantined + summary, (name, table)
