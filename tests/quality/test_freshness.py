"""Freshness: each source system's latest delivery of a raw table against its configured cadence.

The Dagster test runs the real checks after a real (empty) ingest on a DuckDB warehouse file whose
load manifest holds hand-written loads; the clock is pinned with FUNNEL_AS_OF. Ages are counted by
hand from the load times below.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg
import duckdb
import pytest

from orchestration.quality.freshness import evaluate_freshness, freshness_clock, load_freshness_config, parse_freshness
from orchestration.quality.suites import SuiteError
from orchestration.warehouse import MANIFEST_TABLE, connect, ensure_raw_tables

AS_OF = datetime(2025, 6, 30, 12, 0, 0)


def _load(con, load_id: str, table: str | None, source_system: str, hours_before: float, status: str = "loaded") -> None:
    con.execute(
        f"insert into {MANIFEST_TABLE} (load_id, source_file, file_name, adapter, source_system, target_table, "
        "status, loaded_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, f"{load_id}.csv", f"{load_id}.csv", source_system, source_system, table, status,
         AS_OF - timedelta(hours=hours_before)],
    )


@pytest.fixture
def manifest_con():
    con = duckdb.connect(":memory:")
    ensure_raw_tables(con)
    yield con
    con.close()


# --- through Dagster ----------------------------------------------------------------------------

def test_stale_and_fresh_sources_through_the_dagster_checks(tmp_path, monkeypatch):
    """salesforce last delivered crm_leads 40 h ago (cadence 36 h: stale, WARN); google_ads
    delivered ad_spend 20 h ago (cadence 48 h: fresh). Tables nobody delivered pass."""
    from orchestration.assets.ingest import ingest_landing_asset
    from orchestration.assets.quality import FRESHNESS_CHECKS
    from orchestration.resources import LandingResource, WarehouseResource

    warehouse = tmp_path / "warehouse.duckdb"
    con = connect(warehouse)
    ensure_raw_tables(con)
    _load(con, "sf-old", "crm_leads", "salesforce", 100)
    _load(con, "sf-new", "crm_leads", "salesforce", 40)
    _load(con, "sf-ignored", "crm_leads", "salesforce", 1, status="ignored")  # fed no table: no delivery
    _load(con, "ga", "ad_spend", "google_ads", 20)
    con.close()
    landing = tmp_path / "landing"
    landing.mkdir()
    monkeypatch.setenv("FUNNEL_AS_OF", AS_OF.isoformat(sep=" "))

    result = dg.materialize(
        [ingest_landing_asset, *FRESHNESS_CHECKS],
        resources={"warehouse": WarehouseResource(path=str(warehouse)), "landing": LandingResource(path=str(landing))},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success  # a stale source never fails the run
    evaluations = {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations() if e.check_name == "freshness"}
    assert len(evaluations) == 10

    leads = evaluations["crm_leads"]
    assert not leads.passed and leads.severity == dg.AssetCheckSeverity.WARN
    (salesforce,) = leads.metadata["sources"].value
    assert salesforce == {
        "source_system": "salesforce", "latest_loaded_at": "2025-06-28 20:00:00", "age_hours": 40.0,
        "max_age_hours": 36.0, "severity": "warning", "cadence_from": "freshness.tables.crm_leads", "fresh": False,
    }
    assert leads.metadata["stale_sources"].value == ["salesforce"]
    assert "salesforce: STALE" in leads.description and "40.0 h ago" in leads.description

    spend = evaluations["ad_spend"]
    assert spend.passed
    (google,) = spend.metadata["sources"].value
    assert (google["age_hours"], google["max_age_hours"], google["fresh"]) == (20.0, 48.0, True)

    users = evaluations["crm_users"]
    assert users.passed and users.metadata["sources"].value == []


def test_a_broken_freshness_config_is_reported_by_the_check(tmp_path, monkeypatch):
    import orchestration.quality.freshness as freshness
    from orchestration.assets.quality import FRESHNESS_CHECKS
    from orchestration.resources import WarehouseResource

    (tmp_path / "config.yml").write_text("freshness:\n  tables:\n    crm_lead: 36\n", encoding="utf-8")
    monkeypatch.setattr(freshness, "DEFAULT_EXPECTATIONS_DIR", tmp_path)
    check = next(c for c in FRESHNESS_CHECKS if c.check_key.asset_key.path[-1] == "crm_leads")
    context = dg.build_asset_check_context(resources={"warehouse": WarehouseResource(path=str(tmp_path / "w.duckdb"))})
    result = check(context)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert "freshness.tables: 'crm_lead' is not a canonical table" in result.description


# --- the evaluation -------------------------------------------------------------------------------

def test_most_specific_cadence_wins_and_expected_sources_must_deliver(manifest_con):
    config = parse_freshness({
        "max_age_hours": 48, "tables": {"crm_leads": 36},
        "sources": {
            "hubspot": {"severity": "critical", "tables": {"crm_leads": 12}},
            "linkedin_ads": 168,
            "salesforce": {"max_age_hours": 30},
            "pipedrive": {"tables": {"crm_leads": 24}},  # expected, never delivered
        },
    })
    _load(manifest_con, "hs", "crm_leads", "hubspot", 13)        # 13 h > 12 h, critical
    _load(manifest_con, "sf", "crm_leads", "salesforce", 29)     # 29 h <= 30 h
    _load(manifest_con, "zh", "crm_leads", "Xiaoshouyi ", 37)    # default for the table: 37 h > 36 h
    _load(manifest_con, "li", "ad_spend", "linkedin_ads", 100)   # weekly
    leads = evaluate_freshness(manifest_con, "crm_leads", now=AS_OF, config=config)
    by_source = {s.source_system: s for s in leads.sources}
    assert sorted(by_source) == ["hubspot", "pipedrive", "salesforce", "xiaoshouyi"]
    assert (by_source["hubspot"].cadence.max_age_hours, by_source["hubspot"].is_fresh) == (12.0, False)
    assert by_source["hubspot"].cadence.origin == "freshness.sources.hubspot.tables.crm_leads"
    assert (by_source["salesforce"].cadence.max_age_hours, by_source["salesforce"].is_fresh) == (30.0, True)
    assert (by_source["xiaoshouyi"].cadence.origin, by_source["xiaoshouyi"].is_fresh) == ("freshness.tables.crm_leads", False)
    assert by_source["pipedrive"].latest_loaded_at is None and not by_source["pipedrive"].is_fresh
    assert "no delivery of raw.crm_leads recorded yet" in by_source["pipedrive"].message
    assert leads.severity == "critical"  # hubspot is configured critical
    assert {s.source_system for s in leads.stale} == {"hubspot", "xiaoshouyi", "pipedrive"}

    ads = evaluate_freshness(manifest_con, "ad_spend", now=AS_OF, config=config)
    assert ads.passed and ads.sources[0].cadence.max_age_hours == 168.0


def test_replaced_loads_count_and_a_load_after_the_clock_is_age_zero(manifest_con):
    config = parse_freshness(None)  # no section: 48 h for everything, warning
    _load(manifest_con, "a", "raw.crm_accounts", "salesforce", 60, status="replaced")
    _load(manifest_con, "b", "crm_accounts", "salesforce", -5)  # loaded after a clock pinned in the past
    result = evaluate_freshness(manifest_con, "crm_accounts", now=AS_OF, config=config)
    assert result.passed and result.sources[0].age_hours == 0.0
    old = evaluate_freshness(manifest_con, "crm_accounts", now=AS_OF - timedelta(hours=5), config=config)
    assert old.sources[0].latest_loaded_at == AS_OF + timedelta(hours=5)


def test_shipped_cadences_are_36_hours_for_crm_and_48_for_ad_spend():
    config = load_freshness_config()
    assert config.cadence("salesforce", "crm_leads").max_age_hours == 36.0
    assert config.cadence("hubspot", "form_submissions").max_age_hours == 36.0
    assert config.cadence("google_ads", "ad_spend").max_age_hours == 48.0
    assert config.severity == "warning"


@pytest.mark.parametrize("section,message", [
    ({"tables": {"crm_lead": 36}}, "freshness.tables: 'crm_lead' is not a canonical table"),
    ({"max_age_hours": 0}, "freshness.max_age_hours: expected a number of hours above 0"),
    ({"severity": "error"}, "freshness.severity: severity 'error' must be one of critical, warning"),
    ({"sources": {"hubspot": {"max_age": 3}}}, "freshness.sources.hubspot: unknown key 'max_age'"),
    ({"sources": {"hubspot": "daily"}}, "freshness.sources.hubspot: expected a number of hours above 0"),
    ({"cadence": 3}, "freshness: unknown key 'cadence'"),
])
def test_config_mistakes_name_the_entry(section, message):
    with pytest.raises(SuiteError) as info:
        parse_freshness(section)
    assert message in str(info.value)


def test_the_clock_is_pinned_by_funnel_as_of():
    assert freshness_clock("2026-07-01 00:00:00") == datetime(2026, 7, 1)
    assert freshness_clock("2026-07-01T08:00:00+08:00") == datetime(2026, 7, 1)
    with pytest.raises(ValueError, match="FUNNEL_AS_OF 'soon'"):
        freshness_clock("soon")


def test_a_critical_freshness_failure_is_reported_but_does_not_fail_funnel_build():
    from orchestration.build import failed_check_kind

    assert failed_check_kind("freshness", "ERROR") == "critical warning"  # the build went on and published
    assert failed_check_kind("freshness", "WARN") == "warning"
    assert failed_check_kind("gx_delivery_suite", "ERROR") == "failed"
