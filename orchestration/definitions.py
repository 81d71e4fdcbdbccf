"""The Dagster code location: assets, checks, resources, jobs and schedules, assembled."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.ingest import ingest_landing_asset
from orchestration.assets.publish import PUBLISH_ASSETS, publish_resources
from orchestration.assets.quality import FRESHNESS_CHECKS, QUALITY_CHECKS
from orchestration.assets.analysis import mart_root_cause
from orchestration.assets.transform import DBT_ASSETS
from orchestration.jobs import nightly_build, nightly_schedule
from orchestration.resources import resources_from
from orchestration.sensors import failure_alert_sensor, landing_sensor
from orchestration.settings import Settings, load_settings


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or load_settings()
    return dg.Definitions(
        assets=[ingest_landing_asset, *DBT_ASSETS, mart_root_cause, *PUBLISH_ASSETS],
        asset_checks=[*QUALITY_CHECKS, *FRESHNESS_CHECKS],
        jobs=[nightly_build],
        schedules=[nightly_schedule(settings)],
        sensors=[landing_sensor(settings), failure_alert_sensor(settings)],
        resources={**resources_from(settings), **publish_resources()},
    )


defs = build_definitions()
