"""Settings: precedence, validation with clear errors, secrets never printed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestration.settings import SettingsError, load_settings


def test_environment_overrides_file_and_flags_override_environment(tmp_path, monkeypatch):
    f = tmp_path / "funnel.yml"
    f.write_text("landing_dir: /from/file\nbase_currency: CNY\nreporting_timezone: Asia/Shanghai\n")
    monkeypatch.setenv("FUNNEL_LANDING_DIR", "/from/env")
    s = load_settings(f, out_dir=tmp_path / "cli")
    assert s.landing_dir == Path("/from/env")
    assert s.base_currency == "CNY"
    assert s.out_dir == tmp_path / "cli"
    assert s.published == tmp_path / "cli" / "funnel.duckdb"
    assert s.warehouse == tmp_path / "cli" / "private" / "warehouse.duckdb"


@pytest.mark.parametrize("content,message", [
    ("reporting_timezone: Mars/Olympus\n", "IANA time zone"),
    ("base_currency: dollars\n", "ISO 4217"),
    ("schedule_cron: every night\n", "5 fields"),
    ("ingest_memory_limit: a little\n", "must be a size"),
    ("landing: x\n", "unknown setting"),
    ("postgres_url: postgresql://u:p@h/db\n", "must come from the environment"),
])
def test_invalid_settings_fail_with_a_message_naming_the_setting(tmp_path, content, message):
    f = tmp_path / "funnel.yml"
    f.write_text(content)
    with pytest.raises(SettingsError, match=message):
        load_settings(f)


def test_describe_masks_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("FUNNEL_POSTGRES_URL", "postgresql://user:hunter2@db/x")
    monkeypatch.setenv("FUNNEL_WEBHOOK_SECRET", "s3cr3t")
    text = str(load_settings(tmp_path / "none.yml").describe())
    assert "hunter2" not in text and "s3cr3t" not in text
    assert "***set***" in text


def test_the_ingest_memory_budget_comes_from_the_file_and_reaches_the_ingest(tmp_path, monkeypatch):
    from orchestration.ingest.memory import ingest_memory_limit

    f = tmp_path / "funnel.yml"
    f.write_text("ingest_memory_limit: 512MB\n")
    settings = load_settings(f)
    assert settings.ingest_memory_limit == "512MB"
    monkeypatch.delenv("FUNNEL_INGEST_MEMORY_LIMIT", raising=False)
    settings.export_env()
    try:
        assert ingest_memory_limit() == "512MB"
    finally:
        monkeypatch.delenv("FUNNEL_INGEST_MEMORY_LIMIT", raising=False)
        for name in ("FUNNEL_WAREHOUSE_PATH", "FUNNEL_DUCKDB_MEMORY_LIMIT", "FUNNEL_REPORTING_TIMEZONE",
                     "FUNNEL_BASE_CURRENCY"):
            monkeypatch.delenv(name, raising=False)


def test_dbt_file_log_defaults_to_info_and_a_users_level_wins(monkeypatch):
    # debug (dbt's default) logs every SQL statement of every node: ~3.5 s of dbt CPU a night
    monkeypatch.delenv("DBT_LOG_LEVEL_FILE", raising=False)
    load_settings().export_env()
    assert os.environ["DBT_LOG_LEVEL_FILE"] == "info"
    monkeypatch.setenv("DBT_LOG_LEVEL_FILE", "debug")
    load_settings().export_env()
    assert os.environ["DBT_LOG_LEVEL_FILE"] == "debug"
