"""How dbt nodes appear in Dagster: keys and groups mirror the warehouse layers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from orchestration.canonical import RAW_SCHEMA, TABLES

LAYERS = ("staging", "intermediate", "marts", "semantic")
# dbt sources the pipeline writes as a side effect of materializing (and checking) the raw assets:
# the load manifest (ingest) and quality.dq_results (the blocking gx_delivery_suite checks).
SIDE_EFFECT_SOURCES = ("ingest", "quality")
RAW_ASSET_KEYS = tuple(dg.AssetKey([RAW_SCHEMA, name]) for name in TABLES)


def _layer_for(props: Mapping[str, Any]) -> str:
    if props["resource_type"] == "seed":
        return "seeds"
    if props["resource_type"] == "snapshot":
        return "snapshots"
    fqn = props.get("fqn", [])
    return next((part for part in fqn[1:-1] if part in LAYERS), "models")


def _side_effect_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["_side_effect", name])


class FunnelDbtTranslator(DagsterDbtTranslator):
    """``raw/<table>`` for sources (the ingest assets), ``<layer>/<model>`` for everything else."""

    def __init__(self):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            if dbt_resource_props["source_name"] == "analysis":  # written by the Python root-cause asset
                return dg.AssetKey(["marts", dbt_resource_props["name"]])
            if dbt_resource_props["source_name"] in SIDE_EFFECT_SOURCES:  # replaced in get_asset_spec
                return _side_effect_key(dbt_resource_props["name"])
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([_layer_for(dbt_resource_props), dbt_resource_props["name"]])

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:
        """A model reading a side-effect table depends on every raw asset instead.

        Those tables are no asset of their own: they change when ``raw/<table>`` is materialized
        and checked. Depending on the raw assets puts the model after ingest and after the
        blocking quality checks (a blocking check holds back everything downstream of its asset
        until it has run), so ``mart_dq_trends`` reads tonight's results, not yesterday's.
        """
        spec = super().get_asset_spec(manifest, unique_id, project)
        if not any(dep.asset_key.path[0] == "_side_effect" for dep in spec.deps):
            return spec
        deps = [dep for dep in spec.deps if dep.asset_key.path[0] != "_side_effect"]
        have = {dep.asset_key for dep in deps}
        deps += [dg.AssetDep(key) for key in RAW_ASSET_KEYS if key not in have]
        return spec.replace_attributes(deps=deps)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return _layer_for(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        return ["team:analytics-engineering"]
