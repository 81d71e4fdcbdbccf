"""Execute the ReadPlans of one file: read it with DuckDB, type it, quarantine bad rows, record the load.

The guarantees live here, once, for every adapter and mapping:
- per (file, target table): rows read = rows loaded + rows quarantined + rows excluded (vendor
  summary rows, footer lines, blank rows), recorded in ``raw._load_manifest`` under a load id
  of its own; for an unpivoted plan a "row" is one non-empty cell (e.g. one stage entry);
- a malformed line (wrong column count, broken quotes) is quarantined with its line number and
  text; a value that cannot be typed quarantines its row with the column, the value and why;
- a file whose required columns are missing, whose vendor total or stated record count disagrees
  with its rows, is rejected whole with one message naming file, line and expectation — nothing
  of it is loaded, into any table (all plans of a file run in one transaction);
- the same file again changes nothing; a changed file at the same path replaces its earlier rows
  in every table, in one transaction, so a reader never sees both versions or neither.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from orchestration.canonical import LINEAGE_COLUMNS, RAW_SCHEMA, table
from orchestration.ingest.adapters.base import ReadPlan
from orchestration.ingest.checks import REJECTED, check_record_count, check_required_columns, check_total
from orchestration.ingest.errors import FileRejected
from orchestration.ingest.stage import (LONG, RAW, REJECT_SCANS, REJECTS, HeaderError, StageCache, drop_raw,
                                        read_raw, rejected_lines_sql, stage_plan)
from orchestration.ingest.transcode import Transcoded, to_utf8
from orchestration.ingest.typed import TYPED, Columns, typed_select
from orchestration.sql import quote_ident
from orchestration.warehouse import MANIFEST_TABLE, QUARANTINE_TABLE


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


def make_load_id(relpath: str, sha256: str, target_table: str | None = None) -> str:
    """Deterministic per (file bytes, path, target table): the same delivery always gets the same id."""
    key = f"{relpath}\n{sha256}" + (f"\n{target_table}" if target_table else "")
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def loaded_targets(con: duckdb.DuckDBPyConnection, relpath: str, sha256: str) -> dict[str | None, str]:
    """Target tables (None for 'ignored') this exact file was already loaded into, with their load ids."""
    rows = con.execute(
        f"select target_table, load_id from {MANIFEST_TABLE} where source_file = ? and file_sha256 = ? "
        "and status in ('loaded', 'ignored')",
        [relpath, sha256],
    ).fetchall()
    return {t: lid for t, lid in rows}


def already_loaded(con: duckdb.DuckDBPyConnection, relpath: str, sha256: str) -> str | None:
    """A load id of this exact file if any of its plans was loaded (kept for callers of the old API)."""
    done = loaded_targets(con, relpath, sha256)
    return next(iter(done.values()), None)


def _quote_value_macro(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create or replace temp macro quote_value(v) as '''' || left(v, 200) || ''''")


def load_plans(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    relpath: str,
    plans: list[ReadPlan],
    *,
    encoding: str,
    sha256: str,
    file_bytes: int,
    workdir: Path,
    now: datetime | None = None,
    note: str = "",
) -> list[LoadResult]:
    """Load one file according to its plans, all or nothing. Raises FileRejected on file errors.

    ``note`` is added to every plan's manifest message (e.g. why the file was read twice).
    """
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    readable = Transcoded(path)
    if any(p.target_table for p in plans):
        try:
            readable = to_utf8(path, encoding, workdir)
        except UnicodeDecodeError as exc:
            raise FileRejected(relpath, f"byte {exc.start} is not valid {encoding} ({exc.reason})",
                               hint="re-export the file in UTF-8 or declare its encoding in a mapping") from None
    utf8_path = readable.path
    _quote_value_macro(con)
    fixed_note = "; ".join(
        [f"{n} line(s) were not UTF-8 and were read as {enc}" for enc, n in sorted(readable.fallback_lines.items())]
        + (["line ends were mixed (CRLF/LF/CR) and were read as one kind"] if readable.line_ends_normalized else [])
        + ([note] if note else []))
    cache = StageCache()
    results: list[LoadResult] = []
    con.execute("begin transaction")
    try:
        for plan in plans:
            if plan.target_table is None:
                result = LoadResult(relpath, make_load_id(relpath, sha256), plan.adapter, None, "ignored", encoding,
                                    message=plan.ignore_reason or "")
                _record_manifest(con, result, sha256, file_bytes, plan, now)
            else:
                result = _load_plan(con, utf8_path, relpath, plan, cache, encoding, sha256, fixed_note)
                _commit(con, plan, result, sha256, file_bytes, now)
            results.append(result)
        _retire_other_versions(con, relpath, sha256, {r.target_table for r in results})
        con.execute("commit")
    except Exception:
        try:
            con.execute("rollback")
        except duckdb.Error:  # the failure (disk full, I/O error) already ended the transaction:
            pass              # report that failure, not "cannot rollback - no transaction is active"
        raise
    finally:
        _drop_staging(con)
        if utf8_path != path:
            utf8_path.unlink(missing_ok=True)
    return results


STAGING = (TYPED, REJECTED, LONG, REJECTS, REJECT_SCANS)  # and RAW: drop_raw


def _drop_staging(con) -> None:
    """Free the file's staging tables now (memory, and the spill files of a big file), not at disconnect."""
    try:
        for t in STAGING:
            con.execute(f"drop table if exists {t}")
        drop_raw(con)
    except duckdb.Error:  # the failure being raised (disk full) invalidated the connection: report that one
        pass


def load_file(con, path: Path, relpath: str, plan: ReadPlan, **kwargs) -> LoadResult:
    """Load one file with one plan (see :func:`load_plans`)."""
    return load_plans(con, path, relpath, [plan], **kwargs)[0]


def _load_plan(con, path: Path, relpath: str, plan: ReadPlan, cache: StageCache, encoding: str, sha256: str,
               fixed_note: str) -> LoadResult:
    try:
        names = read_raw(con, path, plan, cache)
    except HeaderError as exc:
        raise FileRejected(relpath, str(exc), line=plan.header_line + 1, hint=exc.hint) from None
    except duckdb.OutOfMemoryException:  # the machine's limit, not the file's fault (run.py may retry it)
        raise
    except duckdb.Error as exc:
        raise FileRejected(relpath, f"cannot be read as {plan.delimiter!r}-separated text: {str(exc).splitlines()[0]}",
                           line=plan.header_line + 1) from None
    staged = stage_plan(con, plan, names)
    cols = Columns(staged.names)
    check_required_columns(plan, cols, relpath)
    con.execute(f"drop table if exists {TYPED}")
    sql, _ = typed_select(plan, cols, staged)
    con.execute(sql)
    con.execute(f"drop table if exists {REJECTED}")
    con.execute(f"create temp table {REJECTED} as {rejected_lines_sql(plan)}")
    total_note = check_total(con, plan, cols, staged, relpath)

    n_records, n_excluded, n_bad = con.execute(
        f"select count(*), count(*) filter (_fw_is_summary), "
        f"count(*) filter (not _fw_is_summary and _fw_reason is not null) from {TYPED}"
    ).fetchone()
    n_malformed, n_footer_lines = con.execute(
        f"select count(*) filter (kind is null), count(*) filter (kind is not null) from {REJECTED}").fetchone()
    rows_read = n_records + n_malformed + n_footer_lines
    rows_summary = n_excluded + n_footer_lines
    count_note = check_record_count(con, plan, rows_read - rows_summary, relpath,
                                    f" (of which {n_malformed} malformed line(s))" if n_malformed else "")
    kinds = dict(con.execute(
        f"select _fw_excluded, count(*) from {TYPED} where _fw_excluded is not null group by all").fetchall())
    kinds["footer"] = kinds.get("footer", 0) + con.execute(
        f"select count(*) from {REJECTED} where kind = 'footer'").fetchone()[0]
    kinds["blank"] = kinds.get("blank", 0) + con.execute(
        f"select count(*) from {REJECTED} where kind = 'blank'").fetchone()[0]
    excluded_note = ", ".join(f"{n} {k} row(s)" for k, n in sorted(kinds.items()) if n)
    return LoadResult(
        source_file=relpath, load_id=make_load_id(relpath, sha256, plan.target_table), adapter=plan.adapter,
        target_table=plan.target_table, status="loaded", encoding=encoding, rows_read=rows_read,
        rows_loaded=n_records - n_excluded - n_bad, rows_quarantined=n_bad + n_malformed, rows_summary=rows_summary,
        message="; ".join(x for x in [total_note, count_note, f"excluded: {excluded_note}" if excluded_note else "",
                                      fixed_note, *plan.notes] if x),
    )


def _delete_load(con, load_id: str, target_table: str) -> None:
    con.execute(f"delete from {RAW_SCHEMA}.{quote_ident(table(target_table).name)} where _load_id = ?", [load_id])
    con.execute(f"delete from {QUARANTINE_TABLE} where _load_id = ?", [load_id])
    con.execute(f"update {MANIFEST_TABLE} set status = 'replaced' where load_id = ?", [load_id])


def _commit(con, plan: ReadPlan, result: LoadResult, sha256: str, file_bytes: int, now: datetime) -> None:
    """Replace earlier loads of this (file, table) and insert this one (inside the file's transaction)."""
    target_cols = list(table(plan.target_table).columns)
    target = f"{RAW_SCHEMA}.{quote_ident(plan.target_table)}"
    cols = ", ".join(quote_ident(c) for c in target_cols)
    lineage = ", ".join(quote_ident(c) for c in LINEAGE_COLUMNS)
    prior = con.execute(
        f"select load_id from {MANIFEST_TABLE} where source_file = ? and target_table = ? and status = 'loaded' "
        "order by loaded_at",
        [result.source_file, plan.target_table],
    ).fetchall()
    result.replaced_load_id = prior[-1][0] if prior else None
    for (old,) in prior:
        _delete_load(con, old, plan.target_table)
    con.execute(
        f"insert into {target} ({cols}, {lineage}) "
        f"select {cols}, ?, ?, _fw_row, ?, ? from {TYPED} where not _fw_is_summary and _fw_reason is null",
        [plan.source_system, result.source_file, result.load_id, now],
    )
    con.execute(
        f"insert into {QUARANTINE_TABLE} select ?, ?, ?, null, t._fw_row, to_json(s)::varchar, t._fw_reason, ? "
        f"from {TYPED} t join {LONG if plan.unpivot is not None else RAW} s using (_fw_record) "
        "where not t._fw_is_summary and t._fw_reason is not null",
        [result.load_id, result.source_file, plan.target_table, now],
    )
    con.execute(
        f"insert into {QUARANTINE_TABLE} select ?, ?, ?, line, null, csv_line, reason, ? "
        f"from {REJECTED} where kind is null",
        [result.load_id, result.source_file, plan.target_table, now],
    )
    _record_manifest(con, result, sha256, file_bytes, plan, now)


def _retire_other_versions(con, relpath: str, sha256: str, produced: set[str | None]) -> None:
    """A changed file replaces its earlier version everywhere, also in tables it no longer feeds."""
    stale = con.execute(
        f"select load_id, target_table from {MANIFEST_TABLE} where source_file = ? and status = 'loaded' "
        "and file_sha256 <> ? and target_table is not null",
        [relpath, sha256],
    ).fetchall()
    for load_id, target in stale:
        if target not in produced:
            _delete_load(con, load_id, target)


def _record_manifest(con, result: LoadResult, sha256: str, file_bytes: int, plan: ReadPlan, now: datetime) -> None:
    con.execute(
        f"insert or replace into {MANIFEST_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [result.load_id, result.source_file, Path(result.source_file).name, sha256, file_bytes, plan.adapter,
         plan.source_system, plan.target_table, result.encoding, result.rows_read, result.rows_loaded,
         result.rows_quarantined, result.rows_summary, result.replaced_load_id, result.status, result.message, now],
    )
