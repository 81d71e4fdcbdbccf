"""The publish layer: the BI-facing DuckDB file, swapped in only after every check passed."""


import time
from pathlib import Path

import dagster as dg

from orchestration.assets.transform import dbt_models
from orchestration.publish.duckdb_file import new_build_id, publish_marts
from orchestration.resources import WRITER_POOL, PublishResource, WarehouseResource

MART_KEYS = [k for k in dbt_models.keys if k.path[0] == "marts"]


@dg.asset(key=["publish", "funnel_duckdb"], deps=MART_KEYS, group_name="publish", kinds={"duckdb"},
          owners=["team:data-engineering"], pool=WRITER_POOL,
          retry_policy=dg.RetryPolicy(max_retries=2, delay=5))
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                        publisher: PublishResource) -> dg.MaterializeResult:
    """`<out>/funnel.duckdb`: the marts only (no raw data, no PII), replaced atomically per build."""
    started = time.monotonic()
    build_id = new_build_id(context.run_id)
    result = publish_marts(Path(warehouse.path), Path(publisher.out_dir), build_id,
                           keep_versions=publisher.keep_versions, extra_info={"run_id": context.run_id})
    preview = "\n".join(f"| marts.{t.split('.', 1)[1]} | {n} |" for t, n in result.tables.items())
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(result.path)),
        "build_id": build_id,
        "tables": len(result.tables),
        "dagster/row_count": sum(result.tables.values()),
        "table_rows": dg.MetadataValue.md("| table | rows |\n|---|---|\n" + preview),
        "previous_version": str(result.previous_version) if result.previous_version else "none",
        "duration_s": round(time.monotonic() - started, 2),
    })
