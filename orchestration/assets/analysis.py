"""The Python analysis layer: ``marts.mart_root_cause``, between two dbt invocations.

The root-cause ranking needs more than SQL (significance tests, FDR control, a greedy search), so it
runs in Python over dbt's leaf counts (``intermediate.int_root_cause__leaves``) and writes back into
the warehouse. ``mart_alerts`` (dbt) reads it as the source ``analysis.mart_root_cause``, so dbt
runs twice: everything else first, then ``mart_alerts`` and what depends on it.
"""

import time

import dagster as dg

from orchestration.resources import WRITER_POOL, WarehouseResource

LEAVES = dg.AssetKey(["intermediate", "int_root_cause__leaves"])
ROOT_CAUSE = dg.AssetKey(["marts", "mart_root_cause"])


@dg.asset(key=ROOT_CAUSE, deps=[LEAVES], group_name="marts", kinds={"duckdb", "python"}, pool=WRITER_POOL,
          owners=["team:analytics-engineering"],
          description="Root cause of each monitored rate's change between consecutive months: exact mix/rate "
                      "decomposition per dimension value and ranked significant causes (docs/root_cause.md).")
def mart_root_cause(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from orchestration.analysis import build_root_cause_tables

    started = time.monotonic()
    with warehouse.connect() as con:
        build = build_root_cause_tables(con, "intermediate.int_root_cause__leaves", "marts")
        preview = con.execute(
            "select metric, period_to, dimension_1, value_1, dimension_2, value_2, kind, round(contribution, 4) "
            "from marts.mart_root_cause where row_type = 'candidate' order by period_to desc, rank limit 10").fetchall()
    table = "| metric | period | dimension | value | kind | contribution |\n|---|---|---|---|---|---|\n" + "\n".join(
        f"| {m} | {p} | {d}{'×' + d2 if d2 else ''} | {v}{'×' + v2 if v2 else ''} | {k} | {c} |"
        for m, p, d, v, d2, v2, k, c in preview)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": build.rows,
        "decomposition_rows": build.decomposition_rows,
        "candidate_rows": build.candidate_rows,
        "period_pairs": build.period_pairs,
        "period_pairs_with_significant_change": build.period_pairs_with_change,
        "preview": dg.MetadataValue.md(table),
        "build_id": context.run.run_id,
        "duration_s": round(time.monotonic() - started, 2),
    })
