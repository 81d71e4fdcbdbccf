"""mart_dq_trends on quality results written by the real writer (orchestration.quality.store).

Only the models upstream of the mart are built (`dbt build --select +mart_dq_trends`), twice on
one warehouse: first before any quality check has run (quality.dq_results does not exist, as on a
first build), then after two nights of results. Every expected figure is counted by hand below.

Deliveries (raw._load_manifest):
  night 1  2025-06-01  salesforce crm_leads  L1 (Lead.csv, 100 rows)
  night 2  2025-06-02  salesforce crm_leads  L2a + L2b (Lead.csv 02:00 + Lead_extra.csv 02:05, 150 rows)
                       google_ads ad_spend   G1 (7 rows)
Results (quality.dq_results), crm_leads suite = email (critical), phone (warning, may fail 5%),
columns_present (critical, table-level), volume (warning, table-level):
  run-1   night 1: all 4 pass; phone has 2 unexpected values (2 %, within its 5 %)
  run-2a  night 2, first check: all 4 pass (superseded: the check was re-executed)
  run-2b  night 2, re-executed check: email fails 9 of 150 (6 %), phone fails 30 (20 %), volume
          fails (no row count), columns_present passes
          -> 4 evaluated, 3 failed (1 critical, 2 warning), pass rate 1/4, 39 unexpected values;
             worst: email (critical before warning, although phone and volume have larger shares)
             change vs night 1: pass rate 0.25 - 1.0 = -0.75, failed +3, unexpected +37, rows +50
  run-2a  ad_spend G1: spend_non_negative (critical) passes on 7 rows
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from dbt_harness import load_raw, run_dbt
from orchestration.quality.results import ExpectationResult, SuiteResult
from orchestration.quality.store import save_results
from orchestration.warehouse import MANIFEST_TABLE

MART = "marts.mart_dq_trends"


def _manifest(con, load_id: str, table: str, source_system: str, adapter: str, file: str, rows: int, at: datetime):
    con.execute(
        f"insert into {MANIFEST_TABLE} (load_id, source_file, file_name, adapter, source_system, target_table, "
        "rows_read, rows_loaded, rows_quarantined, status, loaded_at) values (?, ?, ?, ?, ?, ?, ?, ?, 0, 'loaded', ?)",
        [load_id, file, Path(file).name, adapter, source_system, table, rows, rows, at],
    )


def _rows_check(name: str, severity: str, rows: int, unexpected: int, mostly: float = 1.0) -> ExpectationResult:
    share_ok = (rows - unexpected) / rows
    return ExpectationResult(
        table="crm_leads", name=name, expectation="expect_column_values_to_match_regex", severity=severity,
        success=share_ok >= mostly, element_count=rows, unexpected_count=unexpected,
        unexpected_percent=100.0 * unexpected / rows, mostly=mostly,
    )


def _table_check(table: str, name: str, severity: str, rows: int, success: bool) -> ExpectationResult:
    return ExpectationResult(table=table, name=name, expectation="expect_table_columns_to_match_set",
                             severity=severity, success=success, element_count=rows)


def _leads_suite(run_id: str, load_ids: tuple[str, ...], rows: int, at: datetime, *, email: int, phone: int,
                 volume_ok: bool) -> SuiteResult:
    return SuiteResult(
        table="crm_leads", run_id=run_id, load_ids=load_ids, source_files=(), row_count=rows, checked_at=at,
        results=(
            _rows_check("email", "critical", rows, email),
            _rows_check("phone", "warning", rows, phone, mostly=0.95),
            _table_check("crm_leads", "columns_present", "critical", rows, True),
            _table_check("crm_leads", "volume", "warning", rows, volume_ok),
        ),
    )


def write_two_nights(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        _manifest(con, "L1", "crm_leads", "salesforce", "salesforce_export/Lead", "sf/Lead.csv", 100,
                  datetime(2025, 6, 1, 2, 0))
        _manifest(con, "L2a", "crm_leads", "salesforce", "salesforce_export/Lead", "sf/Lead.csv", 120,
                  datetime(2025, 6, 2, 2, 0))
        _manifest(con, "L2b", "crm_leads", "salesforce", "salesforce_export/Lead", "sf/Lead_extra.csv", 30,
                  datetime(2025, 6, 2, 2, 5))
        _manifest(con, "G1", "ad_spend", "google_ads", "google_ads", "ads/campaigns.csv", 7,
                  datetime(2025, 6, 2, 2, 0))
        save_results(con, _leads_suite("run-1", ("L1",), 100, datetime(2025, 6, 1, 2, 10),
                                       email=0, phone=2, volume_ok=True))
        save_results(con, _leads_suite("run-2a", ("L2b", "L2a"), 150, datetime(2025, 6, 2, 2, 10),
                                       email=0, phone=0, volume_ok=True))
        save_results(con, _leads_suite("run-2b", ("L2a", "L2b"), 150, datetime(2025, 6, 2, 3, 0),
                                       email=9, phone=30, volume_ok=False))
        save_results(con, SuiteResult(
            table="ad_spend", run_id="run-2a", load_ids=("G1",), source_files=(), row_count=7,
            checked_at=datetime(2025, 6, 2, 2, 10),
            results=(ExpectationResult(table="ad_spend", name="spend_non_negative",
                                       expectation="expect_column_values_to_be_between", severity="critical",
                                       success=True, element_count=7, unexpected_count=0, unexpected_percent=0.0),),
        ))
    finally:
        con.close()


def _build(warehouse: Path, target: Path) -> None:
    proc = run_dbt(["build", "--select", "+mart_dq_trends"], warehouse=warehouse, target_path=target)
    if proc.returncode != 0:
        pytest.fail("dbt build failed:\n" + "\n".join((proc.stdout + proc.stderr).splitlines()[-40:]))


def _query(warehouse: Path, sql: str) -> list[dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


@pytest.fixture(scope="module")
def trends(tmp_path_factory):
    root = tmp_path_factory.mktemp("dq_trends")
    warehouse, target = root / "warehouse.duckdb", root / "target"
    load_raw(warehouse, {})  # raw tables and the manifest, as after a first ingest of nothing
    _build(warehouse, target)
    first_build = _query(warehouse, f"select * from {MART}")
    write_two_nights(warehouse)
    _build(warehouse, target)
    rows = {r["dq_trend_id"]: r for r in _query(warehouse, f"select * from {MART}")}
    return first_build, rows, warehouse


def test_first_build_without_quality_results_gives_an_empty_mart(trends):
    first_build, _, _ = trends
    assert first_build == []


def test_a_clean_night_counts_rows_expectations_and_passes(trends):
    _, rows, _ = trends
    night1 = rows["salesforce:crm_leads:2025-06-01"]
    assert (night1["source_system"], night1["table_name"], night1["delivery_date"]) == \
        ("salesforce", "crm_leads", date(2025, 6, 1))
    assert (night1["delivery_count"], night1["validated_row_count"]) == (1, 100)
    assert (night1["evaluated_expectation_count"], night1["evaluated_critical_count"],
            night1["evaluated_warning_count"]) == (4, 2, 2)
    assert (night1["failed_expectation_count"], night1["has_critical_failure"]) == (0, False)
    assert night1["unexpected_row_count"] == 2  # phone's 2 %, within its mostly
    assert night1["pass_rate"] == 1.0
    assert night1["worst_expectation_name"] is None
    assert night1["previous_delivery_date"] is None and night1["pass_rate_change"] is None
    assert (night1["adapter_names"], night1["last_run_id"]) == ("salesforce_export/Lead", "run-1")


def test_a_failing_night_counts_failures_by_severity_and_the_change(trends):
    _, rows, _ = trends
    night2 = rows["salesforce:crm_leads:2025-06-02"]
    # the re-executed check (run-2b) replaces run-2a's validation of the same two files
    assert (night2["delivery_count"], night2["validated_row_count"], night2["last_run_id"]) == (1, 150, "run-2b")
    assert night2["evaluated_expectation_count"] == 4
    assert (night2["failed_expectation_count"], night2["failed_critical_count"], night2["failed_warning_count"]) == (3, 1, 2)
    assert night2["has_critical_failure"] is True
    assert night2["unexpected_row_count"] == 9 + 30
    assert night2["pass_rate"] == pytest.approx(1 / 4)
    assert (night2["worst_expectation_name"], night2["worst_expectation_severity"]) == ("email", "critical")
    assert (night2["worst_unexpected_count"], night2["worst_unexpected_percent"]) == (9, pytest.approx(6.0))
    assert night2["previous_delivery_date"] == date(2025, 6, 1)
    assert night2["previous_pass_rate"] == 1.0
    assert night2["pass_rate_change"] == pytest.approx(-0.75)
    assert night2["failed_expectation_count_change"] == 3
    assert night2["unexpected_row_count_change"] == 37
    assert night2["validated_row_count_change"] == 50


def test_each_source_and_table_has_its_own_trend(trends):
    _, rows, _ = trends
    assert sorted(rows) == ["google_ads:ad_spend:2025-06-02", "salesforce:crm_leads:2025-06-01",
                            "salesforce:crm_leads:2025-06-02"]
    ads = rows["google_ads:ad_spend:2025-06-02"]
    assert (ads["validated_row_count"], ads["evaluated_expectation_count"], ads["pass_rate"]) == (7, 1, 1.0)
    assert ads["previous_delivery_date"] is None  # the first google_ads delivery, whatever salesforce did


def test_the_mart_is_published_with_the_other_marts(trends, tmp_path):
    from orchestration.publish.duckdb_file import publish_marts

    _, _, warehouse = trends
    result = publish_marts(warehouse, tmp_path / "out", "test-build")
    assert result.tables["marts.mart_dq_trends"] == 3
