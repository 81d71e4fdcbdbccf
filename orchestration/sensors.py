"""Sensors: start a build when a complete delivery lands; alert when a run fails.

A delivery is *complete* when none of its files changed for ``settle_seconds`` (browsers and sync
tools write in several steps) and no partial-download names are present. The cursor remembers
each file's size and mtime, so a file triggers once; a corrected re-delivery (new size or mtime)
triggers again.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import dagster as dg

from orchestration.ingest.files import discover_files
from orchestration.jobs import nightly_build
from orchestration.settings import Settings

DEFAULT_SETTLE_SECONDS = 60


def pending_files(landing: Path, seen: dict[str, str], settle_seconds: float, now: float) -> tuple[dict[str, str], bool]:
    """Files new or changed since the cursor, and whether all of them have settled."""
    if not landing.is_dir():
        return {}, False
    changed: dict[str, str] = {}
    settled = True
    for path in discover_files(landing):
        st = path.stat()
        rel = path.relative_to(landing.resolve()).as_posix() if path.is_relative_to(landing.resolve()) else path.name
        signature = f"{st.st_size}:{int(st.st_mtime)}"
        if seen.get(rel) != signature:
            changed[rel] = signature
            if now - st.st_mtime < settle_seconds:
                settled = False
    return changed, settled


def landing_sensor(settings: Settings, settle_seconds: float = DEFAULT_SETTLE_SECONDS) -> dg.SensorDefinition:
    @dg.sensor(name="landing_folder_sensor", job=nightly_build, minimum_interval_seconds=60,
               default_status=dg.DefaultSensorStatus.STOPPED,
               description=f"Starts nightly_build when new exports in {settings.landing_dir} have settled "
                           f"for {settle_seconds:.0f} s.")
    def _sensor(context: dg.SensorEvaluationContext):
        seen = json.loads(context.cursor) if context.cursor else {}
        changed, settled = pending_files(Path(settings.landing_dir), seen, settle_seconds, time.time())
        if not changed:
            return dg.SkipReason("no new or changed files")
        if not settled:
            return dg.SkipReason(f"{len(changed)} file(s) still being written; waiting for them to settle")
        run_key = hashlib.sha256(json.dumps(sorted(changed.items())).encode()).hexdigest()[:16]
        context.update_cursor(json.dumps({**seen, **changed}, sort_keys=True))
        return dg.RunRequest(run_key=run_key, tags={"funnel/trigger": "landing", "funnel/files": str(len(changed))})

    return _sensor


def failure_alert_sensor(settings: Settings) -> dg.RunFailureSensorDefinition:
    @dg.run_failure_sensor(name="run_failure_alert", monitored_jobs=[nightly_build],
                           default_status=dg.DefaultSensorStatus.RUNNING)
    def _alert(context: dg.RunFailureSensorContext):
        from orchestration.alerts import WebhookError, send_webhook

        if not settings.webhook_url:
            return
        error = context.failure_event.message or "run failed"
        lines = [f"run `{context.dagster_run.run_id[:8]}` of `{context.dagster_run.job_name}` failed",
                 error[:1500]]
        try:
            send_webhook(settings.webhook_url, "funnel-warehouse build failed", lines, secret=settings.webhook_secret)
        except WebhookError as exc:
            context.log.warning(f"failure alert not delivered: {exc}")

    return _alert
