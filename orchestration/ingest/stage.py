"""Reading a delivered file into a temporary staging table, as text, without losing a line.

Why this is its own step: the staging table is what every later check looks at (required
columns, summary and footer rows, vendor totals), and its shape decides what "a record" means —
a line of the file, or, for a wide report unpivoted to long, one non-empty cell. Lines the CSV
reader cannot parse land in a rejects table with their line number; here they are classified as
blank or footer lines (a report's copyright and confidentiality notes) or as malformed records.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.ingest.adapters.base import ReadPlan, Unpivot, unpivot_col
from orchestration.sql import quote_ident, quote_literal

RAW, LONG, REJECTS, REJECT_SCANS = "_fw_raw", "_fw_long", "_fw_rejects", "_fw_reject_scans"
RAW_TEXT = "_fw_raw_text"  # the table behind the ``RAW`` view (see read_raw)
MAX_LINE_BYTES = 16 * 1024 * 1024
# DuckDB's CSV buffer defaults to 16 × max_line_size (1 GiB for 64 MB lines), allocated at once: a
# memory limit of 1 GB then fails before the first row. Two lines' worth keeps memory bounded.
BUFFER_BYTES = 2 * MAX_LINE_BYTES
MAX_COLUMNS = 16_384  # Excel's widest sheet; wider "exports" are not exports
MAX_HEADER_LINES = 20  # a quoted header name may span lines, but not more than this
INTERNAL = ("_fw_record", "_fw_row")

# Quotes, delimiters and blanks a CSV writer puts around a one-cell footer line.
_EDGE = r"""[\s"',;|]*"""


def footer_regex(patterns: tuple[str, ...]) -> str | None:
    """One regex for whole footer lines: any of ``patterns``, with CSV quoting around it."""
    if not patterns:
        return None
    return f"^{_EDGE}(?:{'|'.join(f'(?:{p})' for p in patterns)}){_EDGE}$"


BLANK_LINE = f"^{_EDGE}$"


@dataclass
class Staged:
    """The staging relation of one plan: its name, its record-number column and its columns."""

    relation: str
    row_column: str  # the file's record number (for lineage); equals _fw_record unless unpivoted
    names: list[str]  # the file's columns, plus unpivot columns when unpivoted
    file_names: list[str]  # the file's columns only (for blank/footer detection)
    unpivoted: bool = False


class StageCache:
    """Remembers what ``RAW`` holds, so the plans of one file read it once when they can."""

    def __init__(self) -> None:
        self.key: tuple | None = None
        self.names: list[str] = []


class HeaderError(ValueError):
    """The header line cannot be read safely; the loader rejects the file with this message."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.hint = hint


def header_names(path: Path, header_line: int, delimiter: str) -> list[str]:
    """The column names of the header line, parsed in Python, made unique and non-empty.

    The loader gives DuckDB these names instead of letting its sniffer guess the dialect: a
    report whose footer, preamble or line endings differ from its body (a copyright line
    appended by another tool) must still be read, with the odd lines in the rejects table.

    A header must parse strictly: a quoted header name may span a few lines (a form question
    with a line break), but an unterminated quote would make the CSV reader take every line
    up to the next quote — possibly all the data — as part of the header, and those rows
    would vanish without a trace. Such a file, and one too wide for any spreadsheet, is
    refused with :class:`HeaderError` instead.
    """
    fields: list[str] | None = None
    problem = ""
    text = ""
    # utf-8-sig: a BOM before a quoted first name ('\ufeff"Id"') would otherwise make the quote
    # part of the name ('"Id"'), and the file would miss its first column
    with open(path, encoding="utf-8-sig", newline="") as f:
        for i, line in enumerate(f):
            if i < header_line:
                continue
            text += line
            try:
                fields = next(csv.reader(io.StringIO(text), delimiter=delimiter, strict=True))
                break
            except (csv.Error, StopIteration) as exc:  # a quoted header field spanning lines
                problem = str(exc)
                if i - header_line >= MAX_HEADER_LINES:
                    break
    if fields is None:
        if not text.strip():
            return []
        raise HeaderError(
            f"the header line is not valid {delimiter!r}-separated text ({problem or 'unterminated quote'}): "
            f"a quote in it is not closed where a name ends, within {MAX_HEADER_LINES} lines or before the end "
            f"of the file; reading on would swallow data rows into the header",
            hint="export the file again unedited; quotes around header names must come in pairs")
    if len(fields) > MAX_COLUMNS:
        raise HeaderError(f"the header has {len(fields):,} columns; at most {MAX_COLUMNS:,} are read "
                          f"(the widest sheet a spreadsheet can hold)",
                          hint="export only the columns you need; if the file is not "
                               f"{delimiter!r}-separated, check its delimiter")
    names: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(fields):
        name = raw.lstrip("\ufeff") if i == 0 else raw
        name = name if name.strip() else f"column{i}"
        base, k = name, 1
        while name.lower() in seen:
            name, k = f"{base}_{k}", k + 1
        seen.add(name.lower())
        names.append(name)
    return names


def read_raw(con: duckdb.DuckDBPyConnection, path: Path, plan: ReadPlan, cache: StageCache) -> list[str]:
    """Read the file as text into ``RAW`` (header at ``plan.header_line``); return its columns."""
    key = (str(path), int(plan.header_line), plan.delimiter)
    if cache.key == key:
        return cache.names
    drop_raw(con)
    for t in (LONG, REJECTS, REJECT_SCANS):
        con.execute(f"drop table if exists {t}")
    names = header_names(path, plan.header_line, plan.delimiter)
    if not names:
        raise duckdb.InvalidInputException(f"no header found at line {plan.header_line + 1}")
    columns = "{" + ", ".join(f"{quote_literal(n)}: 'VARCHAR'" for n in names) + "}"
    # The record number comes from the table's rowid, not ``row_number() over ()``: that window
    # runs on one thread (the CSV reader runs on all of them: a 830 MB export 11.7 s → 5.3 s wall).
    # With insertion order preserved — DuckDB's default, set here so no caller can turn it off —
    # the rows are stored in file order, so the rowid order is the records' order in the file
    # (rejected lines are in neither), exactly what row_number() numbered.
    con.execute("set preserve_insertion_order = true")
    con.execute(
        f"""
        create temp table {RAW_TEXT} as
        select *
        from read_csv({quote_literal(str(path))},
            header = true, skip = {int(plan.header_line)}, delim = {quote_literal(plan.delimiter)},
            quote = '"', escape = '"', auto_detect = false, columns = {columns},
            null_padding = false, strict_mode = true, max_line_size = {MAX_LINE_BYTES}, buffer_size = {BUFFER_BYTES},
            store_rejects = true, rejects_table = '{REJECTS}', rejects_scan = '{REJECT_SCANS}')
        """
    )
    con.execute(f"create temp view {RAW} as select {_record_number(con)} as _fw_record, * from {RAW_TEXT}")
    cache.key = key
    cache.names = [r[0] for r in con.execute(f"describe {RAW}").fetchall() if r[0] not in INTERNAL]
    return cache.names


def _record_number(con: duckdb.DuckDBPyConnection) -> str:
    """SQL numbering ``RAW_TEXT``'s rows 1, 2, … in rowid (= file) order.

    Rowids inside a transaction start at an internal offset (2^55 for rows not yet committed), so
    the first one is looked up; if they were ever not contiguous, the rows are numbered by a
    window over the rowid instead — slower, never wrong.
    """
    first, last, n = con.execute(f"select min(rowid), max(rowid), count(*) from {RAW_TEXT}").fetchone()
    if n == 0 or last - first + 1 == n:
        return f"rowid - {int(first or 0) - 1}"
    return "row_number() over (order by rowid)"


def drop_raw(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the ``RAW`` view and the table behind it."""
    con.execute(f"drop view if exists {RAW}")
    con.execute(f"drop table if exists {RAW_TEXT}")


def stage_plan(con: duckdb.DuckDBPyConnection, plan: ReadPlan, names: list[str]) -> Staged:
    """The relation a plan reads: ``RAW`` itself, or its unpivoted long form."""
    if plan.unpivot is None:
        return Staged(RAW, "_fw_record", names, names)
    long_names = _unpivot(con, plan.unpivot, names)
    return Staged(LONG, "_fw_row", names + long_names, names, unpivoted=True)


def _unpivot(con: duckdb.DuckDBPyConnection, spec: Unpivot, names: list[str]) -> list[str]:
    """Build ``LONG``: one row per non-empty cell of every column whose header matches the pattern.

    Header names and the values taken from them are passed as quoted identifiers and literals;
    nothing from the file is spliced into the SQL unquoted.
    """
    pattern = re.compile(spec.pattern)
    by_lower = {n.strip().lower(): n for n in names}
    groups = sorted(pattern.groupindex)
    extra = [*groups, "value", *spec.companions]
    selects = []
    for k, name in enumerate(names):
        m = pattern.fullmatch(name.strip())
        if not m:
            continue
        parts = [f"{quote_literal(m.group(g) or '')} as {quote_ident(unpivot_col(g))}" for g in groups]
        parts.append(f"{quote_ident(name)} as {quote_ident(unpivot_col('value'))}")
        for comp, template in spec.companions.items():
            sibling = by_lower.get(template.format(**m.groupdict()).strip().lower())
            ref = quote_ident(sibling) if sibling else "cast(null as varchar)"
            parts.append(f"{ref} as {quote_ident(unpivot_col(comp))}")
        selects.append(f"select _fw_record as _fw_row, {k} as _fw_k, *, {', '.join(parts)} from {RAW} "
                       f"where nullif(trim({quote_ident(name)}), '') is not null")
    empty = ", ".join(f"cast(null as varchar) as {quote_ident(unpivot_col(c))}" for c in extra)
    body = " union all ".join(selects) if selects else \
        f"select _fw_record as _fw_row, 0 as _fw_k, *, {empty} from {RAW} where false"
    con.execute(f"drop table if exists {LONG}")
    # each branch carries RAW's _fw_record as _fw_row; the long table numbers its own records
    con.execute(
        f"create temp table {LONG} as select row_number() over (order by _fw_row, _fw_k) as _fw_record, "
        f"* exclude (_fw_k) from (select * exclude (_fw_record) from ({body}))"
    )
    return [unpivot_col(c) for c in extra]


def rejected_lines_sql(plan: ReadPlan) -> str:
    """Rejected lines grouped per line, each classified as 'blank', 'footer' or NULL (malformed)."""
    footer = footer_regex(plan.footer_patterns)
    kind = f"when regexp_full_match(csv_line, {quote_literal(BLANK_LINE)}) then 'blank' "
    if footer:
        kind += f"when regexp_full_match(csv_line, {quote_literal(footer)}) then 'footer' "
    return (f"select line, csv_line, reason, case {kind} end as kind from ("
            f"select line, rtrim(any_value(csv_line), chr(13) || chr(10)) as csv_line, "
            # ordered: DuckDB's reject entries of one line arrive in scan order, which varies
            f"string_agg(distinct error_type || ': ' || error_message, '; ' "
            f"order by error_type || ': ' || error_message) as reason "
            f"from {REJECTS} group by line)")
