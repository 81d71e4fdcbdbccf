"""Validation of YAML mapping files: every mistake is reported with the file and the key.

A mapping is data, never code: it may name columns, kinds, formats, time zones, value maps and
constants, but it cannot carry SQL. Everything a mapping says is checked here against the
canonical schema before any file is read, so a typo fails with "mappings/acme.yml:
files[0].tables.crm_leads.columns.emial: not a column of crm_leads (columns: …)" instead of a
silently empty column.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from orchestration.canonical import TABLES
from orchestration.ingest.errors import FileRejected

KINDS = ("text", "id", "number", "integer", "timestamp", "date", "bool")
TOP_KEYS = {"mapping", "source_system", "description", "files"}
FILE_KEYS = {"name", "detect", "encoding", "delimiter", "header_line", "delivery", "ignore", "tables",
             "summary_rows", "footer", "record_count", "notes"}
DETECT_KEYS = {"headers", "file_glob"}
TABLE_KEYS = {"columns", "unpivot"}
COLUMN_KEYS = {"source", "kind", "const", "formats", "timezone", "value_map", "required", "scale"}
SUMMARY_KEYS = {"column", "values", "prefixes"}
UNPIVOT_KEYS = {"pattern", "companions"}
CODE_KEYS = {"expr", "sql", "expression", "query", "python", "code"}
DELIMITERS = {",": ",", ";": ";", "|": "|", "\t": "\t", "tab": "\t", "\\t": "\t"}


class MappingError(FileRejected):
    """A mapping file is invalid; the message names the file and the key."""

    def __init__(self, path: Path | str, key: str, reason: str):
        super().__init__(str(path), f"{key}: {reason}" if key else reason,
                         hint="fix the mapping file (docs/adapters.md, 'Writing a YAML mapping')")


class Checker:
    """Walks one parsed mapping file and raises MappingError at the first problem."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, reason: str):
        raise MappingError(self.path, key, reason)

    def mapping(self, value: Any, key: str, allowed: set[str], required: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            self.fail(key, f"expected a mapping (key: value), got {type(value).__name__}")
        for k in value:
            where = f"{key}.{k}" if key else str(k)
            if str(k).lower() in CODE_KEYS:
                self.fail(where, "mappings are data, never code: free SQL or expressions are not allowed; use "
                                 "source, const, value_map, formats, timezone or scale — or write an adapter module")
            if k not in allowed:
                self.fail(where, f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for k in required:
            if k not in value:
                self.fail(f"{key}.{k}" if key else k, "is required")
        return value

    def text(self, value: Any, key: str) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or str(value).strip() == "":
            self.fail(key, f"expected a non-empty text, got {value!r}")
        return str(value)

    def texts(self, value: Any, key: str) -> list[str]:
        items = value if isinstance(value, list) else [value]
        if not items:
            self.fail(key, "expected at least one value")
        return [self.text(v, f"{key}[{i}]") for i, v in enumerate(items)]

    def regex(self, value: Any, key: str, *, groups: int = 0) -> str:
        """A regular expression that both Python and DuckDB (RE2) accept."""
        pattern = self.text(value, key)
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            self.fail(key, f"not a valid regular expression: {exc}")
        if compiled.groups < groups:
            self.fail(key, f"needs {groups} capture group(s), e.g. 'Total \\((\\d+) records\\)'")
        if re.search(r"\(\?[=!<]|\\[1-9]", pattern):
            self.fail(key, "look-around and back-references are not supported (RE2 syntax)")
        return pattern

    def encoding(self, value: Any, key: str) -> str:
        name = self.text(value, key)
        try:
            codecs.lookup(name)
        except LookupError:
            self.fail(key, f"unknown encoding {name!r} (e.g. utf-8, gbk, gb18030, utf-16, cp1252)")
        return name

    def delimiter(self, value: Any, key: str) -> str:
        if value not in DELIMITERS:
            self.fail(key, f"expected one of {', '.join(repr(d) for d in DELIMITERS)}, got {value!r}")
        return DELIMITERS[value]

    def table(self, value: Any, key: str) -> str:
        if value not in TABLES:
            self.fail(key, f"not a canonical table (tables: {', '.join(sorted(TABLES))})")
        return value

    def column(self, table: str, name: Any, key: str) -> str:
        if name not in TABLES[table].columns:
            self.fail(key, f"not a column of {table} (columns: {', '.join(TABLES[table].columns)})")
        return name

    def kind(self, value: Any, key: str) -> str:
        if value not in KINDS:
            self.fail(key, f"unknown kind {value!r} (kinds: {', '.join(KINDS)})")
        return value

    def timezone(self, value: Any, key: str) -> str:
        name = self.text(value, key)
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(key, f"unknown time zone {name!r} (IANA names, e.g. Asia/Shanghai, Europe/Berlin, UTC)")
        return name

    def formats(self, value: Any, key: str) -> tuple[str, ...]:
        items = self.texts(value, key)
        for i, f in enumerate(items):
            if "%" not in f:
                self.fail(f"{key}[{i}]", f"{f!r} is not a strptime format (e.g. '%d/%m/%Y %H:%M')")
        return tuple(items)

    def value_map(self, value: Any, key: str) -> dict[str, str]:
        if not isinstance(value, dict) or not value:
            self.fail(key, "expected a mapping of file value: canonical value")
        return {_scalar(k): _scalar(v) for k, v in value.items()}

    def integer(self, value: Any, key: str, minimum: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(key, f"expected a whole number >= {minimum}, got {value!r}")
        return value

    def number(self, value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, f"expected a number, got {value!r}")
        return float(value)

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {value!r}")
        return value


def _scalar(v: Any) -> str:
    """YAML turns ``yes``/``no``/``1`` into booleans and numbers; the loader compares text."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)
