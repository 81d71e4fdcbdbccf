"""The publish layer: the BI-facing DuckDB file, swapped in only after every check passed, and the
outputs made from it — Parquet, the optional Postgres copy and the HTML funnel report.

Every output downstream of ``publish/funnel_duckdb`` reads the published file (never the private
warehouse), so all of a night's outputs carry the build id BI tools see in ``funnel.duckdb``.
They open that file read-only and so share the ``duckdb_writer`` pool with the other DuckDB steps.
"""


import os
import time
from pathlib import Path

import dagster as dg

from orchestration.assets.analysis import ROOT_CAUSE
from orchestration.assets.transform import DBT_ASSETS
from orchestration.publish.duckdb_file import PUBLISHED_NAME, new_build_id, publish_marts
from orchestration.resources import WRITER_POOL, PublishResource, WarehouseResource

MART_KEYS = [k for assets in DBT_ASSETS for k in assets.keys if k.path[0] == "marts"] + [ROOT_CAUSE]
POSTGRES_URL_ENV = "FUNNEL_POSTGRES_URL"


class PostgresPublishResource(dg.ConfigurableResource):
    """Where the optional Postgres copy goes.

    The URL holds a password, so it is not a config field (the Dagster UI displays resource
    config): the resource names the environment variable and reads it when the step runs.
    """

    url_env: str = POSTGRES_URL_ENV
    schema_name: str = "marts"
    grant_select_to: list[str] = []

    def url(self) -> str | None:
        return os.environ.get(self.url_env) or None


def publish_resources() -> dict[str, dg.ConfigurableResource]:
    return {"postgres": PostgresPublishResource()}


def _published_path(publisher: PublishResource) -> Path:
    return Path(publisher.out_dir) / PUBLISHED_NAME


def _md_table(header: tuple[str, ...], rows: list[tuple]) -> dg.MetadataValue:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in r) + " |" for r in rows]
    return dg.MetadataValue.md("\n".join(lines))


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
    # the marts, and the tables of the marts published as views (their rows counted once)
    preview = "\n".join(f"| {t} | {n} |" for t, n in result.tables.items())
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(result.path)),
        "build_id": build_id,
        "tables": sum(1 for t in result.tables if t.startswith("marts.")),  # the marts, tables or views
        "dagster/row_count": sum(n for t, n in result.tables.items() if t.startswith("marts.")),
        "table_rows": dg.MetadataValue.md("| table | rows |\n|---|---|\n" + preview),
        "previous_version": str(result.previous_version) if result.previous_version else "none",
        # unchanged since the previous file (same digest): copied with it, not written again
        "tables_carried_over": len(result.carried_over),
        # changed, but partition-incremental: only the rows that differ replaced (rows deleted + inserted)
        "tables_patched": dg.MetadataValue.json(result.patched),
        "duration_s": round(time.monotonic() - started, 2),
    })


@dg.asset(key=["publish", "parquet"], deps=[published_warehouse], group_name="publish", kinds={"parquet"},
          owners=["team:data-engineering"], pool=WRITER_POOL, retry_policy=dg.RetryPolicy(max_retries=1, delay=5))
def published_parquet(context: dg.AssetExecutionContext, publisher: PublishResource) -> dg.MaterializeResult:
    """`<out>/parquet/<mart>/` + `manifest.json` for readers without a DuckDB driver, swapped in whole."""
    from orchestration.publish.parquet import export_parquet

    result = export_parquet(_published_path(publisher), Path(publisher.out_dir))
    context.log.info(f"Parquet export of build {result.build_id}: {len(result.marts)} marts, {result.rows} rows, "
                     f"{result.files} files in {result.seconds:.1f} s, "
                     f"{len(result.carried_over)} unchanged marts' files shared with the previous export, "
                     f"and {sum(map(len, result.partitions_carried_over.values()))} unchanged months of changed marts")
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(result.path)),
        "build_id": result.build_id,
        "marts": len(result.marts),
        "dagster/row_count": result.rows,
        "files": result.files,
        "bytes": sum(f["bytes"] for m in result.marts.values() for f in m.files),
        "partitioned_marts": dg.MetadataValue.json([m.name for m in result.marts.values() if m.partitioning]),
        "marts_carried_over": dg.MetadataValue.json(result.carried_over),
        "partitions_carried_over": dg.MetadataValue.json(result.partitions_carried_over),
        "mart_rows": _md_table(("mart", "rows", "files"), [(m.name, m.rows, len(m.files)) for m in result.marts.values()]),
        "duration_s": round(result.seconds, 2),
    })


@dg.asset(key=["publish", "postgres"], deps=[published_warehouse], group_name="publish", kinds={"postgres"},
          owners=["team:data-engineering"], pool=WRITER_POOL,
          retry_policy=dg.RetryPolicy(max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS))
def published_postgres(context: dg.AssetExecutionContext, publisher: PublishResource,
                       postgres: PostgresPublishResource) -> dg.MaterializeResult:
    """Every mart in a Postgres schema, switched in one transaction. A no-op unless FUNNEL_POSTGRES_URL is set.

    Connection and lock failures are retried with exponential backoff (the database may be
    restarting); data and permission errors fail at once. Messages never hold the URL.
    """
    from orchestration.publish.postgres import PostgresPublishError, publish_postgres

    url = postgres.url()
    if not url:
        note = f"{postgres.url_env} is not set: nothing was published to Postgres (set it to enable this output)"
        context.log.info(note)
        return dg.MaterializeResult(metadata={"status": "skipped", "note": note})
    try:
        result = publish_postgres(_published_path(publisher), url, schema=postgres.schema_name,
                                  grant_select_to=tuple(postgres.grant_select_to))
    except PostgresPublishError as exc:
        raise dg.Failure(description=str(exc), allow_retries=exc.retryable) from None
    for note in result.notes:
        context.log.warning(note)
    return dg.MaterializeResult(metadata={
        "status": "published",
        "schema": result.schema,
        "build_id": result.build_id,
        "tables": len(result.tables),
        "dagster/row_count": result.rows,
        "table_rows": _md_table(("table", "rows"), sorted(result.tables.items())),
        "comments": result.comments,
        "swap_ms": round(result.swap_seconds * 1000, 1),
        "kept_old_schema": result.kept_old_schema or "none",
        "duration_s": round(result.seconds, 2),
    })


@dg.asset(key=["publish", "report"], deps=[published_warehouse], group_name="publish", kinds={"html"},
          owners=["team:data-engineering"], pool=WRITER_POOL, retry_policy=dg.RetryPolicy(max_retries=1, delay=5))
def published_report(context: dg.AssetExecutionContext, publisher: PublishResource) -> dg.MaterializeResult:
    """`<out>/report/funnel_report.html` (English) and `funnel_report.zh.html` (Chinese), self-contained."""
    from orchestration.report import write_report
    from orchestration.report.i18n import LANGS

    started = time.monotonic()
    results = [write_report(_published_path(publisher), Path(publisher.out_dir), lang) for lang in LANGS]
    sections = results[0].sections
    missing = {k: v for k, v in sections.items() if v != "ok"}
    if missing:
        context.log.info("report sections not available: " + "; ".join(f"{k}: {v}" for k, v in missing.items()))
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(results[0].path)),
        "files": dg.MetadataValue.json([str(r.path) for r in results]),
        "build_id": results[0].build_id,
        "sections_drawn": len(sections) - len(missing),
        "sections_not_available": dg.MetadataValue.json(missing),
        "bytes": sum(r.bytes for r in results),
        "duration_s": round(time.monotonic() - started, 2),
    })


@dg.asset(key=["publish", "alerts_webhook"], deps=[published_warehouse], group_name="publish", kinds={"python"},
          owners=["team:data-engineering"], pool=WRITER_POOL,
          retry_policy=dg.RetryPolicy(max_retries=2, delay=5))
def published_alerts(context: dg.AssetExecutionContext, publisher: PublishResource) -> dg.MaterializeResult:
    """The latest period's `mart_alerts` breaches, posted to FUNNEL_WEBHOOK_URL (Slack/WeCom/DingTalk).

    A failed delivery is recorded here and logged as a warning; it never fails the build. The URL
    and secret are read from the environment when the step runs and never logged.
    """
    from orchestration.alerts.breaches import deliver_breaches

    delivery = deliver_breaches(Path(publisher.out_dir) / PUBLISHED_NAME, os.environ.get("FUNNEL_WEBHOOK_URL"),
                                os.environ.get("FUNNEL_WEBHOOK_SECRET"))
    if delivery.status == "failed":
        context.log.warning(f"alert webhook not delivered: {delivery.detail}")
    return dg.MaterializeResult(metadata={"status": delivery.status, "breaches": delivery.breaches,
                                          "detail": delivery.detail})


PUBLISH_ASSETS = [published_warehouse, published_parquet, published_postgres, published_report, published_alerts]
