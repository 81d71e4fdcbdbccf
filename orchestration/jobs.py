"""The nightly job and its schedule."""

from __future__ import annotations

import dagster as dg

from orchestration.settings import Settings

nightly_build = dg.define_asset_job(
    "nightly_build",
    selection=dg.AssetSelection.all(),
    description="Ingest the landing folder, validate, build the dbt project and publish the marts.",
    tags={"dagster/max_retries": 1},
)


def nightly_schedule(settings: Settings) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="nightly_build_schedule",
        job=nightly_build,
        cron_schedule=settings.schedule_cron,
        execution_timezone=settings.schedule_timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Nightly build at '{settings.schedule_cron}' ({settings.schedule_timezone}).",
    )
