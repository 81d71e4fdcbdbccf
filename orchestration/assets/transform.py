"""The dbt layer as Dagster assets: every model, seed and snapshot, with dbt tests as asset checks."""


import json
import os

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.resources import WRITER_POOL
from orchestration.transform.project import DBT_PROJECT, ensure_manifest
from orchestration.transform.translator import FunnelDbtTranslator

DBT_MANIFEST = ensure_manifest()


def dbt_build_args(full_refresh: bool = False, as_of: str | None = None) -> list[str]:
    """Arguments for the nightly ``dbt build`` (a pure function so tests can check it).

    ``as_of`` pins "now" for ages of open stages; unset, dbt uses the build time, so a rebuild on
    unchanged data differs only in those ages.
    """
    args = ["build"]
    if full_refresh:
        args.append("--full-refresh")
    if as_of:
        args += ["--vars", json.dumps({"as_of": as_of})]
    return args


ALERTS_SELECTION = "mart_alerts+"


def _has_model(manifest_path, name: str) -> bool:
    nodes = json.loads(manifest_path.read_text(encoding="utf-8"))["nodes"].values()
    return any(n["resource_type"] == "model" and n["name"] == name for n in nodes)


HAS_ALERTS = _has_model(DBT_MANIFEST, "mart_alerts")


@dbt_assets(manifest=DBT_MANIFEST, project=DBT_PROJECT, dagster_dbt_translator=FunnelDbtTranslator(),
            exclude=ALERTS_SELECTION if HAS_ALERTS else "", pool=WRITER_POOL)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Seeds, staging, intermediate and marts, built and tested in one dbt invocation.

    One invocation (not one per model) because each dbt start-up costs seconds on 2 cores; dbt
    runs models in dependency order and its tests gate the models downstream of them. No automatic
    retry: a failed dbt build is a data or model error, and a retry could start while the failed
    dbt process still holds the warehouse lock. Re-execute from failure instead.
    """
    yield from dbt.cli(dbt_build_args(as_of=os.environ.get("FUNNEL_AS_OF")), context=context).stream()


DBT_ASSETS = [dbt_models]

if HAS_ALERTS:

    @dbt_assets(manifest=DBT_MANIFEST, project=DBT_PROJECT, dagster_dbt_translator=FunnelDbtTranslator(),
                select=ALERTS_SELECTION, name="dbt_alerts", pool=WRITER_POOL)
    def dbt_alerts(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        """``mart_alerts``: a second, small dbt invocation after the Python root-cause asset it reads."""
        yield from dbt.cli(dbt_build_args(as_of=os.environ.get("FUNNEL_AS_OF")), context=context).stream()

    DBT_ASSETS.append(dbt_alerts)
