"""File-level checks: a file that fails one is rejected whole, with a message a person can act on.

Required columns, the vendor's own totals (``Total: Campaigns``, ``Grand Totals``) and the record
count a report states (``Grand Totals (123 records)``, ``Rows: 12``) are independent evidence that
the file we read is the file the vendor wrote. A mismatch means a truncated download or an edited
export, and loading it would silently lose or invent rows.
"""

from __future__ import annotations

import duckdb

from orchestration.ingest.adapters.base import ReadPlan
from orchestration.ingest.errors import FileRejected
from orchestration.ingest.stage import Staged
from orchestration.ingest.typed import TYPED, Columns
from orchestration.sql import quote_ident, quote_literal

REJECTED = "_fw_rejected"


def check_required_columns(plan: ReadPlan, cols: Columns, relpath: str) -> None:
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
            line=plan.header_line + 1,
            hint="export the file with its standard columns, or write a mapping (docs/adapters.md)",
        )


def check_total(con: duckdb.DuckDBPyConnection, plan: ReadPlan, cols: Columns, staged: Staged, relpath: str) -> str:
    """Compare the loaded sums with the vendor's total row; reject the file on a mismatch."""
    check = plan.total_check
    if check is None:
        return ""
    predicate = cols.resolve_refs(check.label_predicate)
    row = con.execute(f"select _fw_record from {staged.relation} where {predicate} limit 1").fetchone()
    if row is None:
        return f"no '{check.label}' row to cross-check"
    notes = []
    for measure, source in check.measures.items():
        total, = con.execute(f"select fw_num(fw_text({cols.sql(source)})) from {staged.relation} where _fw_record = ?",
                             [row[0]]).fetchone()
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
                line=plan.header_line + 1 + int(row[0]),
                hint="download the report again from the vendor UI without editing it",
            )
        notes.append(f"{source} total {float(total):,.2f} matches")
    return "; ".join(notes)


def _stated_count(con: duckdb.DuckDBPyConnection, pattern: str) -> tuple[int, str] | None:
    """The first count the pattern finds in an excluded row or a footer line, with its text."""
    lit = quote_literal(pattern)
    row = con.execute(
        f"""
        select n, txt from (
            select pos, txt, try_cast(replace(nullif(regexp_extract(txt, {lit}, 1), ''), ',', '') as bigint) as n
            from (
                select _fw_record as pos, _fw_text as txt from {TYPED} where _fw_excluded is not null
                union all
                select 1e15 + line, csv_line from {REJECTED} where kind is not null
            )
        ) where n is not null order by pos limit 1
        """
    ).fetchone()
    return (int(row[0]), row[1]) if row else None


def check_record_count(con: duckdb.DuckDBPyConnection, plan: ReadPlan, records: int, relpath: str, detail: str = "") -> str:
    """Compare the number of records read (loaded + quarantined) with the count the report states."""
    spec = plan.record_count
    if spec is None or plan.unpivot is not None:
        return ""
    if spec.expected is not None:
        stated, where = spec.expected, spec.label
    else:
        found = _stated_count(con, spec.pattern or "")
        if found is None:
            return f"no {spec.label} stated in the file to cross-check"
        stated, where = found[0], repr(found[1][:80])
    if stated != records:
        raise FileRejected(
            relpath,
            f"the report states {stated:,} records ({where}) but {records:,} were read{detail}; "
            "the file is truncated or was edited after the export",
            hint="download the report again from the vendor and deliver it unedited",
        )
    return f"{spec.label} {stated:,} matches"
