"""SQL that turns a staged file into typed canonical rows, with a reason for every value it refuses.

Why in one place: every adapter and every YAML mapping is executed by this same code, so typing,
the quarantine reasons and the handling of summary, footer and blank rows are identical whatever
the vendor. Identifiers from files reach the SQL only through ``quote_ident`` (or ``ref``
placeholders resolved here to quoted names); values only through ``quote_literal``.
"""

from __future__ import annotations

import re

from orchestration.canonical import table
from orchestration.ingest.adapters.base import REF_CLOSE, REF_OPEN, Col, ReadPlan
from orchestration.ingest.stage import Staged, footer_regex
from orchestration.sql import quote_ident, quote_literal

TYPED = "_fw_typed"
_REF = re.compile(re.escape(REF_OPEN) + "(.*?)" + re.escape(REF_CLOSE), re.S)
EPOCH = r"\d{9,13}"  # epoch seconds/milliseconds are absolute instants: never shifted by a zone


class Columns:
    """The file's columns as DuckDB named them, looked up case-insensitively."""

    def __init__(self, names: list[str]):
        self.names = names
        self.by_lower: dict[str, str] = {}
        for n in names:
            self.by_lower.setdefault(n.strip().lstrip("\ufeff").lower(), n)

    def find(self, *candidates: str) -> str | None:
        for c in candidates:
            hit = self.by_lower.get(c.strip().lower())
            if hit is not None:
                return hit
        return None

    def sql(self, name: str) -> str:
        hit = self.find(name)
        return quote_ident(hit) if hit is not None else "null"

    def resolve_refs(self, expr: str) -> str:
        return _REF.sub(lambda m: self.sql(m.group(1)), expr)


def raw_expr(col: Col, cols: Columns) -> tuple[str, str | None]:
    """SQL for the untyped value and the file column it came from (for error messages)."""
    if col.expr is not None:
        return f"({cols.resolve_refs(col.expr)})", None
    if col.const is not None:
        return quote_literal(col.const), None
    hit = cols.find(*col.sources)
    if hit is None:
        return "cast(null as varchar)", None
    raw = quote_ident(hit)
    if col.value_map:
        cases = " ".join(f"when {quote_literal(k.strip().lower())} then {quote_literal(v)}" for k, v in col.value_map.items())
        raw = f"coalesce(case lower(trim({raw})) {cases} end, {raw})"
    return raw, hit


def _clean_expr(col: Col, raw: str) -> str:
    if col.const is not None:
        return raw
    return f"fw_id({raw})" if col.kind == "id" else f"fw_text({raw})"


def _parse_expr(col: Col, clean: str) -> str:
    """Untyped parse of cleaned text (integers stay double here; the next step checks them)."""
    if col.kind in ("text", "id"):
        return clean
    if col.kind in ("number", "integer"):
        parsed = f"fw_num({clean})"
        return f"({parsed} * {float(col.scale)!r})" if col.scale is not None else parsed
    if col.kind == "bool":
        return f"fw_bool({clean})"
    if col.kind in ("timestamp", "date"):
        if col.formats:
            fmts = "[" + ", ".join(quote_literal(f) for f in col.formats) + "]"
            parsed = f"fw_ts_fmt({clean}, {fmts})"
        else:
            parsed = f"fw_ts({clean})"
        if col.timezone and col.kind == "timestamp":  # a date has no zone: shifting it moves the day
            parsed = (f"case when regexp_full_match({clean}, {quote_literal(EPOCH)}) then {parsed} "
                      f"else fw_to_utc({parsed}, {quote_literal(col.timezone)}) end")
        return parsed
    raise ValueError(f"unknown column kind {col.kind!r}")


def _final_expr(col: Col, parsed: str, sql_type: str) -> str:
    if col.kind == "integer":
        return f"case when {parsed} = trunc({parsed}) and abs({parsed}) < 9e18 then cast({parsed} as bigint) end"
    return f"try_cast({parsed} as {sql_type})"


def _exclusion_steps(plan: ReadPlan, cols: Columns, staged: Staged) -> tuple[str, str]:
    """Two select-list items computing ``_fw_text`` and ``_fw_excluded``, in the order they depend.

    ``_fw_excluded`` is the row's exclusion kind: 'summary', 'blank', 'footer' or NULL; ``_fw_text``
    the row's non-empty cells joined by one space (kept for excluded rows: a stated record count
    is read from it). Blank rows (a spreadsheet's empty separator rows) and footer rows are not
    records: they are excluded and counted, never quarantined as broken records nor loaded as
    empty ones.

    Why two orders: joining every cell of every row cost 40 % of typing a 30-column export. A
    footer test needs the text of every row, so with footer patterns the text comes first; without
    them a row is blank when its cells concatenated are only spaces (``trim`` removes spaces, per
    cell or of their concatenation alike), and the text is joined only for the excluded rows.
    """
    summary = cols.resolve_refs(plan.summary_predicate) if plan.summary_predicate else "false"
    if staged.unpivoted:  # long rows exist only for non-empty cells
        return ("cast(null as varchar) as _fw_text",
                f"case when coalesce({summary}, false) then 'summary' end as _fw_excluded")
    # A list filter, not concat_ws over nullif(trim(...)) per cell: DuckDB plans that form in time
    # quadratic in the number of columns (a 3,000-column export took 70 s to plan; this: < 1 s).
    cells = [quote_ident(n) for n in staged.file_names]
    text = (f"array_to_string(list_filter([{', '.join(f'trim({c})' for c in cells)}], lambda x: x <> ''), ' ')"
            if cells else "''")
    footer = footer_regex(plan.footer_patterns)
    if footer:
        return (f"{text} as _fw_text",
                f"case when coalesce({summary}, false) then 'summary' when _fw_text = '' then 'blank' "
                f"when regexp_full_match(_fw_text, {quote_literal(footer)}) then 'footer' end as _fw_excluded")
    blank = f"trim(concat({', '.join(cells)})) = ''" if cells else "true"
    return (f"case when coalesce({summary}, false) then 'summary' when {blank} then 'blank' end as _fw_excluded",
            f"case when _fw_excluded is not null then {text} end as _fw_text")


def typed_select(plan: ReadPlan, cols: Columns, staged: Staged) -> tuple[str, list[str]]:
    """SQL creating the typed table in steps (clean → parse → cast → reasons), each column once.

    Steps are separate CTEs so every value is cleaned and parsed exactly once, whatever the number
    of checks that look at it.
    """
    target = table(plan.target_table)
    cleaned, parsed, final, reasons = [], [], [], []
    for i, (name, sql_type) in enumerate(target.columns.items()):
        col = plan.columns.get(name, Col())
        raw, source = raw_expr(col, cols)
        cleaned.append(f"{_clean_expr(col, raw)} as c{i}")
        parsed.append(f"{_parse_expr(col, f'c{i}')} as p{i}")
        final.append(f"{_final_expr(col, f'p{i}', sql_type)} as v{i}")
        label = quote_literal(source or name)
        if col.kind not in ("text", "id") and col.const is None:
            reasons.append(f"case when c{i} is not null and v{i} is null then "
                           f"{label} || ' ' || quote_value(c{i}) || ' is not a valid {col.kind}' end")
        if col.required or name in target.required:
            reasons.append(f"case when v{i} is null and c{i} is null then {label} || ' is empty' end")
    first, second = _exclusion_steps(plan, cols, staged)
    reason_sql = "nullif(concat_ws('; ', " + ", ".join(reasons) + "), '')" if reasons else "cast(null as varchar)"
    outputs = ", ".join(f"v{i} as {quote_ident(n)}" for i, n in enumerate(target.columns))
    sql = f"""
        create temp table {TYPED} as
        with marked as (
            select *, {first} from {staged.relation}
        ), texts as (
            select *, {second} from marked
        ), cleaned as (
            select _fw_record, {staged.row_column} as _fw_row, _fw_text, _fw_excluded,
                   {', '.join(cleaned)} from texts
        ), parsed as (
            select *, {', '.join(parsed)} from cleaned
        ), typed as (
            select *, {', '.join(final)} from parsed
        )
        select _fw_record, _fw_row, _fw_excluded, _fw_excluded is not null as _fw_is_summary,
               case when _fw_excluded is not null then _fw_text end as _fw_text,
               {outputs}, {reason_sql} as _fw_reason from typed
    """
    return sql, list(target.columns)
