"""How dbt nodes appear in Dagster: keys and groups mirror the warehouse layers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

LAYERS = ("staging", "intermediate", "marts", "semantic")


def _layer_for(props: Mapping[str, Any]) -> str:
    if props["resource_type"] == "seed":
        return "seeds"
    if props["resource_type"] == "snapshot":
        return "snapshots"
    fqn = props.get("fqn", [])
    return next((part for part in fqn[1:-1] if part in LAYERS), "models")


class FunnelDbtTranslator(DagsterDbtTranslator):
    """``raw/<table>`` for sources (the ingest assets), ``<layer>/<model>`` for everything else."""

    def __init__(self):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            if dbt_resource_props["source_name"] == "analysis":  # written by the Python root-cause asset
                return dg.AssetKey(["marts", dbt_resource_props["name"]])
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([_layer_for(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return _layer_for(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        return ["team:analytics-engineering"]
