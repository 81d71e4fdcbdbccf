"""The dbt layer as Dagster assets: every model, seed and snapshot, with dbt tests as asset checks."""


import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.resources import WRITER_POOL
from orchestration.transform.project import DBT_PROJECT, ensure_manifest
from orchestration.transform.translator import FunnelDbtTranslator

DBT_MANIFEST = ensure_manifest()


def dbt_build_args(full_refresh: bool = False) -> list[str]:
    """Arguments for the nightly ``dbt build`` (a pure function so tests can check it)."""
    args = ["build"]
    if full_refresh:
        args.append("--full-refresh")
    return args


@dbt_assets(manifest=DBT_MANIFEST, project=DBT_PROJECT, dagster_dbt_translator=FunnelDbtTranslator(),
            pool=WRITER_POOL)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Seeds, staging, intermediate and marts, built and tested in one dbt invocation.

    One invocation (not one per model) because each dbt start-up costs seconds on 2 cores; dbt
    runs models in dependency order and its tests gate the models downstream of them. No automatic
    retry: a failed dbt build is a data or model error, and a retry could start while the failed
    dbt process still holds the warehouse lock. Re-execute from failure instead.
    """
    yield from dbt.cli(dbt_build_args(), context=context).stream()
