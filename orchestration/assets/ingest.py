"""The ingest layer: one asset per canonical raw table, materialized together from the landing folder."""


import json
import time

import dagster as dg

from orchestration.canonical import RAW_SCHEMA, TABLES
from orchestration.ingest.run import ingest_landing
from orchestration.resources import WRITER_POOL, LandingResource, WarehouseResource
from orchestration.sql import quote_ident

RAW_KEYS = {name: dg.AssetKey([RAW_SCHEMA, name]) for name in TABLES}


def _raw_specs() -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            key,
            description=f"Canonical `{RAW_SCHEMA}.{name}` ({TABLES[name].grain}), loaded from vendor exports with lineage columns.",
            group_name="ingest",
            kinds={"duckdb"},
            owners=["team:data-engineering"],
            skippable=True,
        )
        for name, key in RAW_KEYS.items()
    ]


@dg.multi_asset(specs=_raw_specs(), name="ingest_landing", pool=WRITER_POOL, can_subset=False,
                retry_policy=dg.RetryPolicy(max_retries=2, delay=5))
def ingest_landing_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource):
    """Load every new or changed export in the landing folder into the raw tables.

    Unchanged files are skipped (same path and checksum), so re-running adds nothing. A rejected
    file fails the step after the good files are loaded: nothing downstream runs on a partial
    delivery and the published warehouse keeps its previous version.
    """
    from pathlib import Path

    started = time.monotonic()
    if not Path(landing.path).is_dir():
        raise dg.Failure(description=f"landing folder {landing.path} does not exist; set FUNNEL_LANDING_DIR or --landing",
                         allow_retries=False)
    with warehouse.connect() as con:
        report = ingest_landing(con, Path(landing.path))
        context.log.info(report.summary())
        for name, key in RAW_KEYS.items():
            loads = [r for r in report.loaded if r.target_table == name]
            total = con.execute(f"select count(*) from {RAW_SCHEMA}.{quote_ident(name)}").fetchone()[0]
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "dagster/row_count": total,
                    "new_rows": sum(r.rows_loaded for r in loads),
                    "quarantined_rows": sum(r.rows_quarantined for r in loads),
                    "summary_rows_excluded": sum(r.rows_summary for r in loads),
                    "files": dg.MetadataValue.json([r.source_file for r in loads]),
                    "load_ids": json.dumps([r.load_id for r in loads]),
                    "build_id": context.run_id,
                    "duration_s": round(time.monotonic() - started, 2),
                },
            )
    if report.errors:
        raise dg.Failure(
            description=f"{len(report.errors)} file(s) rejected; fix or remove them and re-run:\n"
                        + "\n".join(f"- {e}" for e in report.errors),
            metadata={"rejected_files": dg.MetadataValue.json([e.file for e in report.errors])},
            allow_retries=False,
        )
