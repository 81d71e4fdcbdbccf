"""The Dagster side: definitions, schedule, sensors and the failure alert (real HTTP on loopback)."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import dagster as dg
import pytest

from orchestration.alerts.webhook import WebhookError, build_payload, dingtalk_signed_url, send_webhook
from orchestration.sensors import failure_alert_sensor, landing_sensor, pending_files
from orchestration.settings import load_settings
from tests.webhook_server import recording_server


@pytest.fixture(scope="module")
def defs():
    from orchestration.definitions import build_definitions

    return build_definitions(load_settings(Path("/nonexistent/funnel.yml")))


def test_asset_groups_mirror_the_layers(defs):
    graph = defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {"ingest", "seeds", "staging", "intermediate", "marts", "publish"} <= groups
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"raw/crm_leads", "marts/fct_stage_events", "marts/mart_funnel_cohort", "publish/funnel_duckdb"} <= keys


def test_every_duckdb_writer_runs_in_one_pool(defs):
    job = defs.resolve_job_def("nightly_build")
    pools = {node.name: node.definition.pool for node in job.graph.nodes}
    writers = [n for n in pools if n.startswith(("ingest_landing", "dbt_", "publish", "marts__mart_root_cause")) or "gx_" in n]
    assert writers and all(pools[n] == "duckdb_writer" for n in writers)


def test_nightly_schedule_defaults_to_two_am_shanghai(defs):
    schedule = defs.resolve_schedule_def("nightly_build_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"


def test_schedule_follows_settings(monkeypatch):
    from orchestration.jobs import nightly_schedule

    monkeypatch.setenv("FUNNEL_SCHEDULE_CRON", "30 1 * * 1-5")
    monkeypatch.setenv("FUNNEL_SCHEDULE_TIMEZONE", "Europe/Berlin")
    schedule = nightly_schedule(load_settings(Path("/nonexistent/funnel.yml")))
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 1 * * 1-5", "Europe/Berlin")


def test_marts_and_published_outputs_carry_the_freshness_policy_and_nothing_else_does(defs):
    graph = defs.resolve_asset_graph()
    policies = {k.to_user_string(): graph.get(k).freshness_policy for k in graph.get_all_asset_keys()}
    promised = {k for k, p in policies.items() if p is not None}
    assert {"marts/mart_funnel_cohort", "marts/mart_root_cause", "marts/mart_alerts", "publish/funnel_duckdb"} <= promised
    assert all(k.startswith(("marts/", "publish/")) for k in promised)
    assert len(promised) == sum(k.startswith(("marts/", "publish/")) for k in policies)
    policy = policies["marts/mart_funnel_cohort"]
    assert (policy.deadline_cron, policy.timezone) == ("0 6 * * *", "Asia/Shanghai")
    assert policy.lower_bound_delta.total_seconds() == 24 * 3600


def test_freshness_deadline_follows_settings(monkeypatch):
    from orchestration.definitions import marts_freshness_policy
    from orchestration.settings import SettingsError

    monkeypatch.setenv("FUNNEL_MARTS_FRESH_BY_CRON", "30 7 * * 1-5")
    monkeypatch.setenv("FUNNEL_SCHEDULE_TIMEZONE", "Europe/Berlin")
    policy = marts_freshness_policy(load_settings(Path("/nonexistent/funnel.yml")))
    assert (policy.deadline_cron, policy.timezone) == ("30 7 * * 1-5", "Europe/Berlin")
    monkeypatch.setenv("FUNNEL_MARTS_FRESH_BY_CRON", "every morning")
    with pytest.raises(SettingsError, match="marts_fresh_by_cron"):
        load_settings(Path("/nonexistent/funnel.yml"))


def _age(path: Path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_landing_sensor_triggers_once_per_settled_delivery(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    settings = load_settings(Path("/nonexistent/funnel.yml"), landing_dir=landing)
    sensor = landing_sensor(settings, settle_seconds=30)

    assert isinstance(sensor(dg.build_sensor_context()), dg.SkipReason)  # empty folder

    (landing / "Lead.csv").write_text("Id\n1\n")
    (landing / "Opportunity.csv.crdownload").write_text("partial")
    result = sensor(dg.build_sensor_context())
    assert isinstance(result, dg.SkipReason) and "still being written" in result.skip_message

    _age(landing / "Lead.csv", 120)
    ctx = dg.build_sensor_context()
    request = sensor(ctx)
    assert isinstance(request, dg.RunRequest)
    assert json.loads(ctx.cursor) == {"Lead.csv": f"{(landing / 'Lead.csv').stat().st_size}:{int((landing / 'Lead.csv').stat().st_mtime)}"}

    again = sensor(dg.build_sensor_context(cursor=ctx.cursor))
    assert isinstance(again, dg.SkipReason)  # the same file triggers once

    (landing / "Lead.csv").write_text("Id\n1\n2\n")  # corrected re-delivery
    _age(landing / "Lead.csv", 120)
    second = sensor(dg.build_sensor_context(cursor=ctx.cursor))
    assert isinstance(second, dg.RunRequest) and second.run_key != request.run_key


def test_pending_files_ignores_hidden_and_partial_files(tmp_path):
    (tmp_path / ".truth").mkdir()
    (tmp_path / ".truth" / "x.json").write_text("{}")
    (tmp_path / "a.csv.part").write_text("x")
    (tmp_path / "b.csv").write_text("x")
    _age(tmp_path / "b.csv", 100)
    changed, settled = pending_files(tmp_path, {}, 10, time.time())
    assert list(changed) == ["b.csv"] and settled


@pytest.mark.parametrize("flavor,key", [("slack", "text"), ("wecom", "markdown"), ("dingtalk", "markdown")])
def test_webhook_payload_formats(flavor, key):
    with recording_server() as (url, received):
        send_webhook(url + "/hook", "funnel alert", ["win rate 21% < 30%"], flavor=flavor)
    body = received[0]["json"]
    assert key in body and "win rate 21% < 30%" in json.dumps(body, ensure_ascii=False)
    if flavor != "slack":
        assert body["msgtype"] == "markdown"


def test_dingtalk_signature_matches_the_documented_algorithm():
    import base64
    import hashlib
    import hmac
    import urllib.parse

    url = dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=t", "SEC123", now_ms=1700000000000)
    digest = hmac.new(b"SEC123", b"1700000000000\nSEC123", hashlib.sha256).digest()
    assert url.endswith("&timestamp=1700000000000&sign=" + urllib.parse.quote_plus(base64.b64encode(digest).decode()))


def test_webhook_errors_never_contain_the_url_or_secret():
    with recording_server(status=500) as (url, _):
        secret_url = url + "/hook?token=TOPSECRET"
        with pytest.raises(WebhookError) as info:
            send_webhook(secret_url, "t", ["x"], secret="HUSH", flavor="generic")
    assert "TOPSECRET" not in str(info.value) and "HUSH" not in str(info.value) and "500" in str(info.value)


@pytest.mark.parametrize("url", ["hooks.slack.com/services/T0/B0/TOPSECRET", "https://example.com/h?token=TOP SECRET",
                                 "https://exa mple.com/TOPSECRET", "ftp://example.com/TOPSECRET"])
def test_a_malformed_webhook_url_fails_without_quoting_it(url):
    """urllib quotes a URL it cannot parse in its error; the alert's error must not (it is logged)."""
    with pytest.raises(WebhookError) as info:
        send_webhook(url, "t", ["x"], secret="HUSH", flavor="generic", timeout=2)
    assert "TOPSECRET" not in str(info.value) and "SECRET" not in str(info.value) and "HUSH" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_failed_run_posts_the_failure_alert(tmp_path, monkeypatch, caplog):
    with recording_server() as (url, received):
        monkeypatch.setenv("FUNNEL_WEBHOOK_URL", url + "/alert?token=TOPSECRET")
        settings = load_settings(Path("/nonexistent/funnel.yml"), landing_dir=tmp_path / "missing", out_dir=tmp_path / "out")
        from orchestration.assets.ingest import ingest_landing_asset
        from orchestration.resources import LandingResource, WarehouseResource

        instance = dg.DagsterInstance.ephemeral()
        job = dg.define_asset_job("nightly_build", selection=dg.AssetSelection.all())
        defs = dg.Definitions(assets=[ingest_landing_asset], jobs=[job], resources={
            "warehouse": WarehouseResource(path=str(tmp_path / "w.duckdb")),
            "landing": LandingResource(path=str(tmp_path / "missing"))})
        result = defs.resolve_job_def("nightly_build").execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
        ctx = dg.build_run_status_sensor_context(sensor_name="run_failure_alert", dagster_event=failure,
                                                 dagster_instance=instance, dagster_run=result.dagster_run).for_run_failure()
        with caplog.at_level(logging.DEBUG):
            failure_alert_sensor(settings)(ctx)
    assert len(received) == 1
    assert "failed" in json.dumps(received[0]["json"])
    assert "TOPSECRET" not in caplog.text


# --- incremental models: how a run is told to rebuild them --------------------------------------

def test_dbt_build_args_for_a_night_a_full_refresh_and_a_backfill():
    from orchestration.assets.transform import dbt_build_args

    # unit tests run in tests/dbt, not nightly; no per-invocation manifest/run_results (Dagster has the results)
    nightly = ["build", "--no-write-json", "--exclude-resource-type", "unit_test"]
    assert dbt_build_args() == nightly
    # "now" reaches dbt as the environment's FUNNEL_AS_OF: no --vars, so no full re-parse
    assert dbt_build_args(full_refresh=True) == [*nightly, "--full-refresh"]
    args = dbt_build_args(backfill_from="2026-01-01", backfill_to="2026-01-31")
    assert args[:5] == [*nightly, "--vars"] and "--full-refresh" not in args
    assert json.loads(args[5]) == {"backfill_from": "2026-01-01", "backfill_to": "2026-01-31"}


@pytest.mark.parametrize("bounds, problem", [
    (("2026-01-01", None), "needs both"),
    (("2026-02-01", "2026-01-01"), "is after"),
    (("2026-01-01", "2026-13-01"), "YYYY-MM-DD"),
    (("2026-01-01'; drop table raw.crm_leads; --", "2026-01-02"), "YYYY-MM-DD"),
])
def test_a_bad_backfill_range_is_refused_before_anything_runs(bounds, problem):
    from orchestration.assets.transform import dbt_build_args

    with pytest.raises(ValueError, match=problem):
        dbt_build_args(backfill_from=bounds[0], backfill_to=bounds[1])


def test_funnel_backfill_refuses_a_bad_range_with_exit_code_2(tmp_path):
    from typer.testing import CliRunner

    from orchestration.cli import app

    (tmp_path / "landing").mkdir()
    result = CliRunner().invoke(app, ["backfill", "--landing", str(tmp_path / "landing"), "--out",
                                      str(tmp_path / "out"), "--from", "2026-03-01", "--to", "2026-02-01"])
    assert result.exit_code == 2
    assert "is after" in result.output
    assert not (tmp_path / "out" / "funnel.duckdb").exists()


def test_the_run_config_reaches_the_dbt_step(defs):
    """What `funnel build --full-refresh` / `funnel backfill` hand to Dagster is valid run config
    of nightly_build (checked by Dagster's own config validation, not by reading our code)."""
    from orchestration.build import _dbt_run_config

    job = defs.resolve_job_def("nightly_build")
    assert _dbt_run_config(False, None) == {}
    for config in (_dbt_run_config(True, None), _dbt_run_config(False, ("2026-01-01", "2026-01-31"))):
        assert dg.validate_run_config(job, config) is not None
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.validate_run_config(job, {"ops": {"dbt_models": {"config": {"backfill_since": "2026-01-01"}}}})
