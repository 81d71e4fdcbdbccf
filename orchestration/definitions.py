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


def marts_freshness_policy(settings: Settings) -> dg.FreshnessPolicy:
    """The promise BI readers rely on: the marts were rebuilt within the day before the deadline.

    A cron policy, not a rolling window, because the build runs once a night: at 15:00 a mart
    built at 02:00 is as fresh as it will get, and only a missed night should turn it red.
    """
    from datetime import timedelta

    return dg.FreshnessPolicy.cron(deadline_cron=settings.marts_fresh_by_cron, lower_bound_delta=timedelta(hours=24),
                                   timezone=settings.schedule_timezone)


def _with_freshness(assets_def: dg.AssetsDefinition, policy: dg.FreshnessPolicy) -> dg.AssetsDefinition:
    return assets_def.map_asset_specs(
        lambda spec: dg.apply_freshness_policy(spec, policy) if spec.group_name in ("marts", "publish") else spec)


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or load_settings()
    policy = marts_freshness_policy(settings)
    assets = [ingest_landing_asset, *DBT_ASSETS, mart_root_cause, *PUBLISH_ASSETS]
    return dg.Definitions(
        assets=[_with_freshness(a, policy) for a in assets],
        asset_checks=[*QUALITY_CHECKS, *FRESHNESS_CHECKS],
        jobs=[nightly_build],
        schedules=[nightly_schedule(settings)],
        sensors=[landing_sensor(settings), failure_alert_sensor(settings)],
        resources={**resources_from(settings), **publish_resources()},
    )


defs = build_definitions()
