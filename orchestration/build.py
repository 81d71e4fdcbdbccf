"""Run the whole asset graph once, in process — what ``funnel build`` and the tests call.

Dagster is the engine in every path (CLI, schedule, sensor, UI), so the CLI cannot drift from what
the nightly schedule runs. Failures are collected into a :class:`BuildOutcome` whose message names
the step, the file and the check, for a person reading a terminal or an alert.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.settings import Settings

# Checks that never block (freshness: stale data is still published): an ERROR result is reported
# as a critical warning, not as a failed build.
NON_BLOCKING_CHECKS = frozenset({"freshness"})


@dataclass
class BuildOutcome:
    success: bool
    run_id: str
    seconds: float
    published: Path | None
    failures: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # asset key ("marts/fct_leads") -> metadata of its materialization in this run
    materializations: dict[str, dict] = field(default_factory=dict)


def failed_check_kind(check_name: str, severity: str) -> str:
    """'warning' (WARN), 'critical warning' (ERROR of a check that never blocks) or 'failed'."""
    if severity == "WARN":
        return "warning"
    return "critical warning" if check_name in NON_BLOCKING_CHECKS else "failed"


def _failure_text(data) -> str:
    """The message a person needs: a dg.Failure's description, else the root exception."""
    if data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description.strip()
    err = data.error
    if err is None:
        return "unknown error"
    while err.cause is not None:
        err = err.cause
    text = err.message.strip()
    prefix = f"{err.cls_name}: " if err.cls_name else ""
    return prefix + text.removeprefix(prefix)


def run_build(settings: Settings, *, log_level: str = "WARNING", full_refresh: bool = False,
              backfill: tuple[str, str] | None = None) -> BuildOutcome:
    """Run nightly_build once in this process and collect what failed, for people to read.

    ``full_refresh`` rebuilds dbt's incremental models from every raw row; ``backfill`` (from, to)
    makes them also recompute the rows dated in that range (both: DbtBuildConfig).
    """
    from orchestration.lock import build_lock

    saved_env = dict(os.environ)
    try:
        with build_lock(settings.private_dir):
            return _run_build(settings, log_level, _dbt_run_config(full_refresh, backfill))
    finally:  # export_env() is for dbt's subprocess; don't leak it into the caller's process
        os.environ.clear()
        os.environ.update(saved_env)


def _dbt_run_config(full_refresh: bool, backfill: tuple[str, str] | None) -> dict:
    """Run config of the dbt_models step; empty for a plain nightly run."""
    config: dict = {}
    if full_refresh:
        config["full_refresh"] = True
    if backfill:
        from orchestration.assets.transform import validate_backfill_range

        validate_backfill_range(*backfill)
        config |= {"backfill_from": backfill[0], "backfill_to": backfill[1]}
    return {"ops": {"dbt_models": {"config": config}}} if config else {}


def _run_build(settings: Settings, log_level: str, dbt_run_config: dict | None = None) -> BuildOutcome:
    import dagster as dg

    settings.export_env()
    from orchestration.definitions import build_definitions

    started = time.monotonic()
    defs = build_definitions(settings)
    job = defs.resolve_job_def("nightly_build")
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}, **(dbt_run_config or {})},
        )
        failures, failed_checks, warnings, materializations = [], [], [], {}
        for event in result.all_events:
            if event.event_type_value == "ASSET_MATERIALIZATION":
                mat = event.event_specific_data.materialization
                materializations[mat.asset_key.to_user_string()] = {
                    k: getattr(v, "value", v) for k, v in mat.metadata.items()}
            elif event.event_type_value == "STEP_FAILURE":
                failures.append(f"{event.step_key}: {_failure_text(event.step_failure_data)}")
            elif event.event_type_value == "ASSET_CHECK_EVALUATION":
                ev = event.event_specific_data
                if not ev.passed:
                    line = f"{ev.asset_key.to_user_string()} · {ev.check_name}: {ev.description or 'failed'}"
                    kind = failed_check_kind(ev.check_name, ev.severity.value)
                    if kind == "failed":
                        failed_checks.append(line)
                    else:
                        warnings.append(f"critical: {line}" if kind == "critical warning" else line)
        published = settings.published if settings.published.exists() else None
        return BuildOutcome(result.success and not failed_checks, result.run_id, time.monotonic() - started,
                            published, failures, failed_checks, warnings, materializations)
