"""Quality checks on each raw table: the Great Expectations suite (blocking) and freshness (not).

The GX check validates only the load ids the latest ingest materialization recorded (the night's
delta), so its cost follows the delivery size, not the history. A critical failure blocks every
asset downstream of that table; warnings are recorded in ``quality.dq_results`` and shown here.

The freshness check compares each source system's latest delivery of the table with its expected
cadence (``orchestration.quality.freshness``). It never blocks: stale data is still the best there is.
"""


import json
import os

import dagster as dg

from orchestration.assets.ingest import RAW_KEYS
from orchestration.resources import WRITER_POOL, WarehouseResource


def _delivery_load_ids(context: dg.AssetCheckExecutionContext, key: dg.AssetKey) -> list[str]:
    event = context.instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        return []
    raw = event.asset_materialization.metadata.get("load_ids")
    return json.loads(raw.value) if raw is not None else []


def _build_check(table_name: str, key: dg.AssetKey) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=key, name="gx_delivery_suite", blocking=True, pool=WRITER_POOL,
                    description=f"Great Expectations suite expectations/{table_name}.yml on the new delivery.")
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        from orchestration.quality import run_quality_suite

        load_ids = _delivery_load_ids(context, key)
        if not load_ids:
            return dg.AssetCheckResult(passed=True, metadata={"load_ids": "[]", "note": "no new delivery"})
        with warehouse.connect() as con:
            result = run_quality_suite(con, table_name, load_ids, context.run.run_id)
        metadata = result.to_metadata()
        if "summary" in metadata:
            metadata["summary"] = dg.MetadataValue.md(str(metadata["summary"]))
        # Warnings fail the check with WARN severity: visible in the UI, never blocking.
        return dg.AssetCheckResult(
            passed=not result.failures,
            severity=dg.AssetCheckSeverity.ERROR if result.severity == "critical" else dg.AssetCheckSeverity.WARN,
            metadata=metadata,
            description=result.message,
        )

    _check.__name__ = f"gx_{table_name}"
    return _check


QUALITY_CHECKS = [_build_check(name, key) for name, key in RAW_KEYS.items()]


def _build_freshness_check(table_name: str, key: dg.AssetKey) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=key, name="freshness", blocking=False, pool=WRITER_POOL,
                    description=f"Each source system's latest delivery of raw.{table_name} is within its expected "
                                f"cadence (freshness: in expectations/config.yml).")
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        from orchestration.quality.freshness import evaluate_freshness, freshness_clock, load_freshness_config
        from orchestration.quality.suites import SuiteError

        try:
            config = load_freshness_config()
            now = freshness_clock(os.environ.get("FUNNEL_AS_OF"))
        except (SuiteError, ValueError) as e:  # a config mistake is reported, never blocks the build
            return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR,
                                       description=f"freshness could not be judged: {e}", metadata={"error": str(e)})
        with warehouse.connect() as con:
            result = evaluate_freshness(con, table_name, now=now, config=config)
        return dg.AssetCheckResult(
            passed=result.passed,
            severity=dg.AssetCheckSeverity.ERROR if result.severity == "critical" else dg.AssetCheckSeverity.WARN,
            description=result.description,
            metadata={
                "checked_at": result.checked_at.isoformat(sep=" "),
                "stale_sources": dg.MetadataValue.json([s.source_system for s in result.stale]),
                "sources": dg.MetadataValue.json([s.to_dict() for s in result.sources]),
                "summary": dg.MetadataValue.md(result.to_markdown()),
            },
        )

    _check.__name__ = f"freshness_{table_name}"
    return _check


FRESHNESS_CHECKS = [_build_freshness_check(name, key) for name, key in RAW_KEYS.items()]
