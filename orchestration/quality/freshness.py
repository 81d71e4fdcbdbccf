"""Is every source still delivering? Each source system's latest load of a raw table, against its cadence.

A nightly build runs whether or not a source sent anything, and ingest materializes every raw asset
each time, so Dagster's own freshness (time of the asset's last materialization) never goes stale.
What goes stale is a *source*: the Salesforce export that stopped arriving while Google Ads kept
coming. So freshness is judged per source system and table, from ``raw._load_manifest`` (the time
of the newest load of each), against a cadence read from the ``freshness:`` section of
``expectations/config.yml`` — data an analyst edits, no code. A file delivered again unchanged
adds no load, so it does not count as a new delivery.

The most specific cadence wins: ``sources.<system>.tables.<table>`` > ``sources.<system>.max_age_hours``
(or ``sources.<system>: <hours>``) > ``tables.<table>`` > ``max_age_hours``. A table listed under a
source is *expected* from it: never delivered counts as stale. Severity ``warning`` shows as WARN in
Dagster, ``critical`` as ERROR. Either way the check never blocks or fails the build: old data is
still the best data there is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import duckdb

from orchestration.canonical import RAW_SCHEMA, TABLES
from orchestration.quality.suites import (
    CONFIG_FILE,
    DEFAULT_EXPECTATIONS_DIR,
    SEVERITIES,
    SuiteError,
    _check_keys,
    _read_yaml,
)
from orchestration.warehouse import MANIFEST_TABLE

SECTION = "freshness"
# Manifest statuses that are a delivery ('ignored' files fed no table).
DELIVERY_STATUSES = ("loaded", "replaced")
# Shipped defaults when config.yml has no freshness section at all.
DEFAULT_MAX_AGE_HOURS = 48.0
DEFAULT_SEVERITY = "warning"


@dataclass(frozen=True)
class SourceCadence:
    """The ``sources.<system>`` entry: hours for all its tables and/or per table, and a severity."""

    max_age_hours: float | None = None
    severity: str | None = None
    tables: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Cadence:
    max_age_hours: float
    severity: str
    origin: str  # the config entry it came from, e.g. "freshness.tables.crm_leads"


@dataclass(frozen=True)
class FreshnessConfig:
    path: Path | None = None
    max_age_hours: float = DEFAULT_MAX_AGE_HOURS
    severity: str = DEFAULT_SEVERITY
    tables: Mapping[str, float] = field(default_factory=dict)
    sources: Mapping[str, SourceCadence] = field(default_factory=dict)

    def cadence(self, source_system: str, table: str) -> Cadence:
        src = self.sources.get(source_system)
        severity = (src.severity if src and src.severity else None) or self.severity
        if src and table in src.tables:
            return Cadence(src.tables[table], severity, f"{SECTION}.sources.{source_system}.tables.{table}")
        if src and src.max_age_hours is not None:
            return Cadence(src.max_age_hours, severity, f"{SECTION}.sources.{source_system}.max_age_hours")
        if table in self.tables:
            return Cadence(self.tables[table], severity, f"{SECTION}.tables.{table}")
        return Cadence(self.max_age_hours, severity, f"{SECTION}.max_age_hours")

    def expected_sources(self, table: str) -> tuple[str, ...]:
        """Source systems that list ``table``: they must have delivered it at least once."""
        return tuple(sorted(s for s, c in self.sources.items() if table in c.tables))


# ---------------------------------------------------------------------------------------------
# reading the config


def _hours(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise SuiteError(f"{where}: expected a number of hours above 0, e.g. 36, got {value!r}")
    return float(value)


def _severity(value: Any, where: str) -> str:
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text not in SEVERITIES:
        raise SuiteError(f"{where}: severity {value!r} must be one of {', '.join(SEVERITIES)}")
    return text


def _table_hours(raw: Any, where: str) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise SuiteError(f"{where}: expected a mapping of table: hours, e.g. {{crm_leads: 36}}")
    out = {}
    for name, hours in raw.items():
        if name not in TABLES:
            raise SuiteError(f"{where}: {name!r} is not a canonical table; known: {', '.join(sorted(TABLES))}")
        out[name] = _hours(hours, f"{where}.{name}")
    return out


def _source_cadence(raw: Any, where: str) -> SourceCadence:
    if not isinstance(raw, dict):
        return SourceCadence(max_age_hours=_hours(raw, where))
    _check_keys(raw, ("max_age_hours", "severity", "tables"), where)
    return SourceCadence(
        max_age_hours=_hours(raw["max_age_hours"], f"{where}.max_age_hours") if "max_age_hours" in raw else None,
        severity=_severity(raw["severity"], f"{where}.severity") if "severity" in raw else None,
        tables=_table_hours(raw.get("tables") or {}, f"{where}.tables"),
    )


def parse_freshness(raw: Any, path: Path | None = None) -> FreshnessConfig:
    """Check and read the ``freshness:`` mapping; every mistake names the entry and what was expected."""
    where = f"{path}: {SECTION}" if path else SECTION
    if raw is None:
        return FreshnessConfig(path=path)
    if not isinstance(raw, dict):
        raise SuiteError(f"{where}: expected a mapping with keys max_age_hours, severity, tables, sources")
    _check_keys(raw, ("max_age_hours", "severity", "tables", "sources"), where)
    sources_raw = raw.get("sources") or {}
    if not isinstance(sources_raw, dict):
        raise SuiteError(f"{where}.sources: expected a mapping of source system: hours or settings")
    return FreshnessConfig(
        path=path,
        max_age_hours=_hours(raw.get("max_age_hours", DEFAULT_MAX_AGE_HOURS), f"{where}.max_age_hours"),
        severity=_severity(raw.get("severity", DEFAULT_SEVERITY), f"{where}.severity"),
        tables=_table_hours(raw.get("tables") or {}, f"{where}.tables"),
        sources={
            str(name).strip().lower(): _source_cadence(value, f"{where}.sources.{name}")
            for name, value in sources_raw.items()
        },
    )


def load_freshness_config(expectations_dir: Path | None = None) -> FreshnessConfig:
    """The ``freshness:`` section of ``expectations/config.yml`` (defaults when it has none)."""
    path = Path(expectations_dir or DEFAULT_EXPECTATIONS_DIR) / CONFIG_FILE
    raw = _read_yaml(path) or {}
    if not isinstance(raw, dict):
        raise SuiteError(f"{path}: expected a mapping of settings at the top level")
    return parse_freshness(raw.get(SECTION), path)


# ---------------------------------------------------------------------------------------------
# evaluating


@dataclass(frozen=True)
class SourceFreshness:
    source_system: str
    table: str
    latest_loaded_at: datetime | None  # None: expected but never delivered
    age_hours: float | None
    cadence: Cadence

    @property
    def is_fresh(self) -> bool:
        return self.age_hours is not None and self.age_hours <= self.cadence.max_age_hours

    @property
    def message(self) -> str:
        expected = f"expected at least every {self.cadence.max_age_hours:g} h ({self.cadence.origin})"
        if self.latest_loaded_at is None:
            return f"{self.source_system}: no delivery of raw.{self.table} recorded yet; {expected}"
        verdict = "fresh" if self.is_fresh else "STALE"
        return (f"{self.source_system}: {verdict}, latest delivery {self.latest_loaded_at:%Y-%m-%d %H:%M} UTC, "
                f"{self.age_hours:.1f} h ago; {expected}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_system": self.source_system,
            "latest_loaded_at": self.latest_loaded_at.isoformat(sep=" ") if self.latest_loaded_at else None,
            "age_hours": None if self.age_hours is None else round(self.age_hours, 2),
            "max_age_hours": self.cadence.max_age_hours,
            "severity": self.cadence.severity,
            "cadence_from": self.cadence.origin,
            "fresh": self.is_fresh,
        }


@dataclass(frozen=True)
class FreshnessResult:
    table: str
    checked_at: datetime
    sources: tuple[SourceFreshness, ...]

    @property
    def stale(self) -> tuple[SourceFreshness, ...]:
        return tuple(s for s in self.sources if not s.is_fresh)

    @property
    def passed(self) -> bool:
        return not self.stale

    @property
    def severity(self) -> str | None:
        """'critical' if a stale source is configured critical, 'warning' if only warnings, else None."""
        if not self.stale:
            return None
        return "critical" if any(s.cadence.severity == "critical" for s in self.stale) else "warning"

    @property
    def description(self) -> str:
        if not self.sources:
            return f"raw.{self.table}: no delivery recorded and none expected; nothing to judge"
        if self.passed:
            return f"raw.{self.table}: every source delivered within its cadence ({', '.join(s.source_system for s in self.sources)})"
        return f"raw.{self.table}: {len(self.stale)} stale source(s): " + "; ".join(s.message for s in self.stale)

    def to_markdown(self) -> str:
        rows = ["| source | latest delivery (UTC) | age h | max age h | severity | result |", "|---|---|---|---|---|---|"]
        for s in self.sources:
            latest = f"{s.latest_loaded_at:%Y-%m-%d %H:%M}" if s.latest_loaded_at else "never"
            age = "" if s.age_hours is None else f"{s.age_hours:.1f}"
            result = "fresh" if s.is_fresh else "**STALE**"
            rows.append(f"| {s.source_system} | {latest} | {age} | {s.cadence.max_age_hours:g} | {s.cadence.severity} | {result} |")
        return "\n".join(rows)


def _as_utc_naive(now: datetime) -> datetime:
    """Load times are naive UTC; compare like with like."""
    return now.astimezone(timezone.utc).replace(tzinfo=None) if now.tzinfo is not None else now


def evaluate_freshness(
    con: duckdb.DuckDBPyConnection, table_name: str, *, now: datetime, config: FreshnessConfig
) -> FreshnessResult:
    """Age of each source system's latest load of ``raw.<table_name>`` at ``now``, against its cadence.

    A load time after ``now`` (a clock pinned in the past with FUNNEL_AS_OF) counts as age 0.
    """
    if table_name not in TABLES:
        raise ValueError(f"no canonical table {table_name!r}; known: {', '.join(sorted(TABLES))}")
    now = _as_utc_naive(now)
    statuses = ", ".join("?" for _ in DELIVERY_STATUSES)
    rows = con.execute(
        f"""
        select coalesce(nullif(lower(trim(source_system)), ''), nullif(trim(adapter), ''), 'unknown') as source_system,
               max(loaded_at) as latest_loaded_at
        from {MANIFEST_TABLE}
        where lower(trim(target_table)) in (?, ?) and lower(trim(status)) in ({statuses})
        group by 1
        """,
        [table_name, f"{RAW_SCHEMA}.{table_name}", *DELIVERY_STATUSES],
    ).fetchall()
    latest: dict[str, datetime | None] = {source: loaded_at for source, loaded_at in rows}
    for source in config.expected_sources(table_name):
        latest.setdefault(source, None)
    sources = []
    for source, loaded_at in sorted(latest.items()):
        age = None if loaded_at is None else max(0.0, (now - loaded_at).total_seconds() / 3600)
        sources.append(SourceFreshness(source, table_name, loaded_at, age, config.cadence(source, table_name)))
    return FreshnessResult(table=table_name, checked_at=now, sources=tuple(sources))


def freshness_clock(as_of: str | None = None) -> datetime:
    """"Now" for freshness: ``as_of`` (FUNNEL_AS_OF, for tests and backfills) if given, else UTC now."""
    if not as_of:
        return datetime.now(timezone.utc).replace(tzinfo=None)
    try:
        return _as_utc_naive(datetime.fromisoformat(as_of.strip()))
    except ValueError:
        raise ValueError(f"FUNNEL_AS_OF {as_of!r} is not a date-time like '2026-07-01 00:00:00'") from None
