"""Configuration, read in one place: environment variables over an optional settings file.

Precedence: explicit arguments (CLI flags) > environment (``FUNNEL_*``) > settings file
(``FUNNEL_SETTINGS`` or ``./funnel.yml``) > defaults. Secrets (Postgres URL, webhook URL/secret,
PII key) come only from the environment and are never printed: ``describe()`` masks them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
SECRET_FIELDS = {"postgres_url", "webhook_url", "webhook_secret", "pii_key"}


class SettingsError(ValueError):
    """A setting is missing or invalid; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    landing_dir: Path = Path("landing")
    out_dir: Path = Path("out")
    warehouse_path: Path | None = None  # private warehouse; default <out>/private/warehouse.duckdb
    reporting_timezone: str = "UTC"
    schedule_cron: str = "0 2 * * *"
    schedule_timezone: str = "Asia/Shanghai"
    # Dagster freshness policy of the marts and published outputs: materialized within the 24 h
    # before each tick of this cron (schedule_timezone). 06:00 leaves the 02:00 build four hours.
    marts_fresh_by_cron: str = "0 6 * * *"
    base_currency: str = "USD"
    duckdb_memory_limit: str = "3GB"
    duckdb_threads: int = 2
    # DuckDB's memory limit while files load (staging spills beyond it): orchestration/ingest/memory.py
    ingest_memory_limit: str = "1GB"
    # How the quality gate evaluates row-wise expectations: sql (one DuckDB pass) or gx (pandas chunks)
    validation_engine: str = "sql"
    keep_versions: int = 7
    postgres_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    pii_key: str | None = None
    as_of: str | None = None  # pin "now" for ages of open stages (tests, backfills); default: build time

    @property
    def private_dir(self) -> Path:
        return (self.warehouse_path.parent if self.warehouse_path else self.out_dir / "private")

    @property
    def warehouse(self) -> Path:
        return self.warehouse_path or self.out_dir / "private" / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.out_dir / "funnel.duckdb"

    def describe(self) -> dict[str, str]:
        """Every setting as text, secrets masked — safe to log."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = ("***set***" if v else "not set") if f.name in SECRET_FIELDS else str(v)
        return out

    def export_env(self) -> None:
        """Expose the paths dbt needs (profiles.yml reads them with env_var())."""
        os.environ["FUNNEL_WAREHOUSE_PATH"] = str(self.warehouse.resolve())
        os.environ["FUNNEL_DUCKDB_MEMORY_LIMIT"] = self.duckdb_memory_limit
        os.environ["FUNNEL_INGEST_MEMORY_LIMIT"] = self.ingest_memory_limit
        os.environ["FUNNEL_VALIDATION_ENGINE"] = self.validation_engine
        os.environ["FUNNEL_REPORTING_TIMEZONE"] = self.reporting_timezone
        os.environ["FUNNEL_BASE_CURRENCY"] = self.base_currency
        if self.pii_key:
            os.environ["FUNNEL_PII_KEY"] = self.pii_key
        if self.as_of:
            os.environ["FUNNEL_AS_OF"] = self.as_of
        # dbt writes its file log (the invocation's target folder) at debug level by default: every
        # SQL statement of every node, ~10 times the events of the info stream Dagster reads, and
        # ~3.5 s of dbt's CPU per nightly invocation at 470 nodes (docs/benchmarks.md). Info keeps
        # each node's start, result and error; DBT_LOG_LEVEL_FILE=debug brings the SQL back.
        os.environ.setdefault("DBT_LOG_LEVEL_FILE", "info")


_ENV = {
    "landing_dir": "FUNNEL_LANDING_DIR",
    "out_dir": "FUNNEL_OUT_DIR",
    "warehouse_path": "FUNNEL_WAREHOUSE_PATH",
    "reporting_timezone": "FUNNEL_REPORTING_TIMEZONE",
    "schedule_cron": "FUNNEL_SCHEDULE_CRON",
    "schedule_timezone": "FUNNEL_SCHEDULE_TIMEZONE",
    "marts_fresh_by_cron": "FUNNEL_MARTS_FRESH_BY_CRON",
    "base_currency": "FUNNEL_BASE_CURRENCY",
    "duckdb_memory_limit": "FUNNEL_DUCKDB_MEMORY_LIMIT",
    "duckdb_threads": "FUNNEL_DUCKDB_THREADS",
    "ingest_memory_limit": "FUNNEL_INGEST_MEMORY_LIMIT",
    "validation_engine": "FUNNEL_VALIDATION_ENGINE",
    "keep_versions": "FUNNEL_KEEP_VERSIONS",
    "postgres_url": "FUNNEL_POSTGRES_URL",
    "webhook_url": "FUNNEL_WEBHOOK_URL",
    "webhook_secret": "FUNNEL_WEBHOOK_SECRET",
    "pii_key": "FUNNEL_PII_KEY",
    "as_of": "FUNNEL_AS_OF",
}


def _coerce(name: str, value) -> object:
    if value is None:
        return None
    if name in ("landing_dir", "out_dir", "warehouse_path"):
        return Path(str(value)).expanduser()
    if name in ("duckdb_threads", "keep_versions"):
        try:
            return int(value)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, got {value!r}") from None
    return str(value)


def load_settings(settings_file: Path | None = None, **overrides) -> Settings:
    """Build Settings from the file, the environment and explicit overrides, then validate."""
    values: dict[str, object] = {}
    path = settings_file or (Path(os.environ["FUNNEL_SETTINGS"]) if os.environ.get("FUNNEL_SETTINGS") else Path("funnel.yml"))
    if path.is_file():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise SettingsError(f"{path}: expected a mapping of setting: value")
        unknown = set(data) - set(_ENV) 
        if unknown:
            raise SettingsError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(_ENV)}")
        secrets = set(data) & SECRET_FIELDS
        if secrets:
            raise SettingsError(f"{path}: {', '.join(sorted(secrets))} must come from the environment, not a file")
        values.update({k: _coerce(k, v) for k, v in data.items()})
    for name, env in _ENV.items():
        if os.environ.get(env):
            values[name] = _coerce(name, os.environ[env])
    values.update({k: _coerce(k, v) for k, v in overrides.items() if v is not None})
    settings = replace(Settings(), **values)
    validate(settings)
    return settings


def validate(s: Settings) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    for name in ("reporting_timezone", "schedule_timezone"):
        try:
            ZoneInfo(getattr(s, name))
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"{name} {getattr(s, name)!r} is not an IANA time zone (e.g. 'Asia/Shanghai', 'UTC')") from None
    for name in ("schedule_cron", "marts_fresh_by_cron"):
        if len(getattr(s, name).split()) != 5:
            raise SettingsError(f"{name} {getattr(s, name)!r} must have 5 fields, e.g. '0 2 * * *'")
    if not (len(s.base_currency) == 3 and s.base_currency.isalpha() and s.base_currency.isupper()):
        raise SettingsError(f"base_currency {s.base_currency!r} must be an ISO 4217 code such as 'USD' or 'CNY'")
    from orchestration.ingest.memory import parse_size

    if parse_size(s.ingest_memory_limit) is None:
        raise SettingsError(f"ingest_memory_limit {s.ingest_memory_limit!r} must be a size such as 256MB or 1GB")
    if s.validation_engine not in ("sql", "gx"):
        raise SettingsError(f"validation_engine {s.validation_engine!r} must be 'sql' (one DuckDB pass) or 'gx' (Great Expectations)")
    if s.keep_versions < 1:
        raise SettingsError("keep_versions must be at least 1")
