"""Execute a ReadPlan: read a file with DuckDB, type it, quarantine bad rows, record the load.

The guarantees live here, once, for every adapter:
- rows read = rows loaded + rows quarantined + vendor summary rows, recorded in ``raw._load_manifest``;
- a malformed line (wrong column count, broken quotes) is quarantined with its line number and
  text; a value that cannot be typed quarantines its row with the column, the value and why;
- a file whose required columns are missing, or whose vendor total disagrees with its rows, is
  rejected whole with one message naming file, line and expectation — nothing of it is loaded;
- the same file again changes nothing; a changed file at the same path replaces its earlier rows,
  in one transaction, so a reader never sees both versions or neither.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from orchestration.canonical import LINEAGE_COLUMNS, RAW_SCHEMA, table
from orchestration.ingest.adapters.base import REF_CLOSE, REF_OPEN, Col, ReadPlan
from orchestration.ingest.errors import FileRejected
from orchestration.ingest.transcode import to_utf8
from orchestration.sql import quote_ident, quote_literal
from orchestration.warehouse import MANIFEST_TABLE, QUARANTINE_TABLE

STAGE, TYPED, REJECTS, REJECT_SCANS = "_fw_stage", "_fw_typed", "_fw_rejects", "_fw_reject_scans"
MAX_LINE_BYTES = 64 * 1024 * 1024
_REF = re.compile(re.escape(REF_OPEN) + "(.*?)" + re.escape(REF_CLOSE), re.S)


@dataclass
class LoadResult:
    source_file: str
    load_id: str
    adapter: str
    target_table: str | None
    status: str  # loaded | unchanged | ignored
    encoding: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_summary: int = 0
    replaced_load_id: str | None = None
    message: str = ""


def make_load_id(relpath: str, sha256: str) -> str:
    """Deterministic: the same bytes at the same path always get the same load id."""
    return hashlib.sha256(f"{relpath}\n{sha256}".encode()).hexdigest()[:20]


def already_loaded(con: duckdb.DuckDBPyConnection, relpath: str, sha256: str) -> str | None:
    row = con.execute(
        f"select load_id from {MANIFEST_TABLE} where source_file = ? and file_sha256 = ? "
        "and status in ('loaded', 'ignored') limit 1",
        [relpath, sha256],
    ).fetchone()
    return row[0] if row else None


class _Columns:
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


def _raw_expr(col: Col, cols: _Columns) -> tuple[str, str | None]:
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


def _check_required_columns(plan: ReadPlan, cols: _Columns, relpath: str, header_line: int) -> None:
    missing = [
        " or ".join(repr(s) for s in c.sources)
        for c in plan.columns.values()
        if c.required and c.sources and c.expr is None and cols.find(*c.sources) is None
    ]
    if missing:
        raise FileRejected(
            relpath,
            f"missing required column(s) {', '.join(missing)} for {plan.adapter} "
            f"(found {len(cols.names)} columns: {', '.join(cols.names[:12])}{' …' if len(cols.names) > 12 else ''})",
            line=header_line + 1,
            hint="export the file with its standard columns, or write a mapping (see README 'Bring your own exports')",
        )


def _read_stage(con: duckdb.DuckDBPyConnection, path: Path, plan: ReadPlan) -> None:
    for t in (STAGE, REJECTS, REJECT_SCANS):
        con.execute(f"drop table if exists {t}")
    con.execute(
        f"""
        create temp table {STAGE} as
        select row_number() over () as _fw_record, *
        from read_csv({quote_literal(str(path))},
            header = true, skip = {int(plan.header_line)}, delim = {quote_literal(plan.delimiter)},
            quote = '"', escape = '"', all_varchar = true, auto_detect = true,
            null_padding = false, strict_mode = true, max_line_size = {MAX_LINE_BYTES},
            store_rejects = true, rejects_table = '{REJECTS}', rejects_scan = '{REJECT_SCANS}')
        """
    )


def _clean_expr(col: Col, raw: str) -> str:
    if col.const is not None:
        return raw
    return f"fw_id({raw})" if col.kind == "id" else f"fw_text({raw})"


def _parse_expr(col: Col, clean: str) -> str:
    """Untyped parse of cleaned text (integers stay double here; the next step checks them)."""
    if col.kind in ("text", "id"):
        return clean
    if col.kind in ("number", "integer"):
        return f"fw_num({clean})"
    if col.kind == "bool":
        return f"fw_bool({clean})"
    if col.kind in ("timestamp", "date"):
        if col.formats:
            fmts = "[" + ", ".join(quote_literal(f) for f in col.formats) + "]"
            parsed = f"fw_ts_fmt({clean}, {fmts})"
        else:
            parsed = f"fw_ts({clean})"
        if col.timezone:
            parsed = f"fw_to_utc({parsed}, {quote_literal(col.timezone)})"
        return parsed
    raise ValueError(f"unknown column kind {col.kind!r}")


def _final_expr(col: Col, parsed: str, sql_type: str) -> str:
    if col.kind == "integer":
        return f"case when {parsed} = trunc({parsed}) and abs({parsed}) < 9e18 then cast({parsed} as bigint) end"
    return f"try_cast({parsed} as {sql_type})"


def _typed_select(plan: ReadPlan, cols: _Columns, relpath: str) -> tuple[str, list[str]]:
    """SQL creating the typed table in steps (clean → parse → cast → reasons), each column once.

    Steps are separate CTEs so every value is cleaned and parsed exactly once, whatever the number
    of checks that look at it.
    """
    target = table(plan.target_table)
    cleaned, parsed, final, reasons = [], [], [], []
    for i, (name, sql_type) in enumerate(target.columns.items()):
        col = plan.columns.get(name, Col())
        raw, source = _raw_expr(col, cols)
        cleaned.append(f"{_clean_expr(col, raw)} as c{i}")
        parsed.append(f"{_parse_expr(col, f'c{i}')} as p{i}")
        final.append(f"{_final_expr(col, f'p{i}', sql_type)} as v{i}")
        label = quote_literal(source or name)
        if col.kind not in ("text", "id") and col.const is None:
            reasons.append(f"case when c{i} is not null and v{i} is null then "
                           f"{label} || ' ' || quote_value(c{i}) || ' is not a valid {col.kind}' end")
        if col.required or name in target.required:
            reasons.append(f"case when v{i} is null and c{i} is null then {label} || ' is empty' end")
    summary = cols.resolve_refs(plan.summary_predicate) if plan.summary_predicate else "false"
    reason_sql = "nullif(concat_ws('; ', " + ", ".join(reasons) + "), '')" if reasons else "cast(null as varchar)"
    outputs = ", ".join(f"v{i} as {quote_ident(n)}" for i, n in enumerate(target.columns))
    sql = f"""
        create temp table {TYPED} as
        with cleaned as (
            select _fw_record, coalesce({summary}, false) as _fw_is_summary, {', '.join(cleaned)} from {STAGE}
        ), parsed as (
            select *, {', '.join(parsed)} from cleaned
        ), typed as (
            select *, {', '.join(final)} from parsed
        )
        select _fw_record, _fw_is_summary, {outputs}, {reason_sql} as _fw_reason from typed
    """
    return sql, list(target.columns)


def _quote_value_macro(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create or replace temp macro quote_value(v) as '''' || left(v, 200) || ''''")


def _total_check(con: duckdb.DuckDBPyConnection, plan: ReadPlan, cols: _Columns, relpath: str, header_line: int) -> str:
    check = plan.total_check
    if check is None:
        return ""
    predicate = cols.resolve_refs(check.label_predicate)
    row = con.execute(f"select _fw_record from {STAGE} where {predicate} limit 1").fetchone()
    if row is None:
        return f"no '{check.label}' row to cross-check"
    notes = []
    for measure, source in check.measures.items():
        total_sql = f"fw_num({cols.sql(source)})"
        total, = con.execute(f"select {total_sql} from {STAGE} where _fw_record = ?", [row[0]]).fetchone()
        loaded, n = con.execute(
            f"select coalesce(sum({quote_ident(measure)}), 0), count(*) from {TYPED} where not _fw_is_summary"
        ).fetchone()
        if total is None:
            continue
        tolerance = max(0.01, check.tolerance_per_row * n)
        if abs(float(loaded) - float(total)) > tolerance:
            raise FileRejected(
                relpath,
                f"the rows' {source} add up to {float(loaded):,.2f} but the report's '{check.label}' row says "
                f"{float(total):,.2f} (difference {float(loaded) - float(total):+,.2f}); the file is incomplete or edited",
                line=header_line + 1 + int(row[0]),
                hint="download the report again from the vendor UI without editing it",
            )
        notes.append(f"{source} total {float(total):,.2f} matches")
    return "; ".join(notes)


def load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    relpath: str,
    plan: ReadPlan,
    *,
    encoding: str,
    sha256: str,
    file_bytes: int,
    workdir: Path,
    now: datetime | None = None,
) -> LoadResult:
    """Load one file according to its plan. Raises FileRejected (nothing loaded) on file errors."""
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    load_id = make_load_id(relpath, sha256)
    if plan.target_table is None:
        _record_manifest(con, LoadResult(relpath, load_id, plan.adapter, None, "ignored", encoding,
                                         message=plan.ignore_reason or ""), sha256, file_bytes, plan, now)
        return LoadResult(relpath, load_id, plan.adapter, None, "ignored", encoding, message=plan.ignore_reason or "")

    try:
        utf8_path, fixed_lines = to_utf8(path, encoding, workdir)
    except UnicodeDecodeError as exc:
        raise FileRejected(relpath, f"byte {exc.start} is not valid {encoding} ({exc.reason})",
                           hint="re-export the file in UTF-8 or declare its encoding in a mapping") from None
    _quote_value_macro(con)
    try:
        _read_stage(con, utf8_path, plan)
    except duckdb.Error as exc:
        raise FileRejected(relpath, f"cannot be read as {plan.delimiter!r}-separated text: {str(exc).splitlines()[0]}") from None

    names = [r[0] for r in con.execute(f"describe {STAGE}").fetchall() if r[0] != "_fw_record"]
    cols = _Columns(names)
    _check_required_columns(plan, cols, relpath, plan.header_line)
    con.execute(f"drop table if exists {TYPED}")
    sql, target_cols = _typed_select(plan, cols, relpath)
    con.execute(sql)
    total_note = _total_check(con, plan, cols, relpath, plan.header_line)

    n_records, n_summary, n_bad = con.execute(
        f"select count(*), count(*) filter (_fw_is_summary), count(*) filter (not _fw_is_summary and _fw_reason is not null) from {TYPED}"
    ).fetchone()
    n_rejected = con.execute(f"select count(distinct line) from {REJECTS}").fetchone()[0]
    result = LoadResult(
        source_file=relpath, load_id=load_id, adapter=plan.adapter, target_table=plan.target_table, status="loaded",
        encoding=encoding, rows_read=n_records + n_rejected, rows_loaded=n_records - n_summary - n_bad,
        rows_quarantined=n_bad + n_rejected, rows_summary=n_summary,
        message="; ".join(x for x in [
            total_note, f"{fixed_lines} line(s) were not UTF-8 and were read as cp1252" if fixed_lines else "", *plan.notes] if x),
    )
    _commit(con, plan, result, target_cols, sha256, file_bytes, now)
    if utf8_path != path:
        utf8_path.unlink(missing_ok=True)
    return result


def _commit(con, plan: ReadPlan, result: LoadResult, target_cols: list[str], sha256: str, file_bytes: int, now: datetime) -> None:
    target = f"{RAW_SCHEMA}.{quote_ident(plan.target_table)}"
    cols = ", ".join(quote_ident(c) for c in target_cols)
    lineage = ", ".join(quote_ident(c) for c in LINEAGE_COLUMNS)
    con.execute("begin transaction")
    try:
        prior = con.execute(
            f"select load_id from {MANIFEST_TABLE} where source_file = ? and status = 'loaded'", [result.source_file]
        ).fetchall()
        result.replaced_load_id = prior[-1][0] if prior else None
        for (old,) in prior:
            con.execute(f"delete from {target} where _load_id = ?", [old])
            con.execute(f"delete from {QUARANTINE_TABLE} where _load_id = ?", [old])
        con.execute(f"update {MANIFEST_TABLE} set status = 'replaced' where source_file = ? and status = 'loaded'",
                    [result.source_file])
        con.execute(
            f"insert into {target} ({cols}, {lineage}) "
            f"select {cols}, ?, ?, _fw_record, ?, ? from {TYPED} where not _fw_is_summary and _fw_reason is null",
            [plan.source_system, result.source_file, result.load_id, now],
        )
        con.execute(
            f"insert into {QUARANTINE_TABLE} select ?, ?, ?, null, t._fw_record, to_json(s)::varchar, t._fw_reason, ? "
            f"from {TYPED} t join {STAGE} s using (_fw_record) where not t._fw_is_summary and t._fw_reason is not null",
            [result.load_id, result.source_file, plan.target_table, now],
        )
        con.execute(
            f"insert into {QUARANTINE_TABLE} select ?, ?, ?, line + {int(plan.header_line)}, null, any_value(csv_line), "
            f"string_agg(distinct error_type || ': ' || error_message, '; '), ? from {REJECTS} group by line",
            [result.load_id, result.source_file, plan.target_table, now],
        )
        _record_manifest(con, result, sha256, file_bytes, plan, now)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _record_manifest(con, result: LoadResult, sha256: str, file_bytes: int, plan: ReadPlan, now: datetime) -> None:
    con.execute(
        f"insert or replace into {MANIFEST_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [result.load_id, result.source_file, Path(result.source_file).name, sha256, file_bytes, plan.adapter,
         plan.source_system, plan.target_table, result.encoding, result.rows_read, result.rows_loaded,
         result.rows_quarantined, result.rows_summary, result.replaced_load_id, result.status, result.message, now],
    )
