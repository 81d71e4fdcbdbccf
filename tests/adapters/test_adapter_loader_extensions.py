"""Loader guarantees with the extensions: several tables per file, wide → long, footers, line numbers."""

from __future__ import annotations

import csv
import shutil

from orchestration.ingest.adapters.base import Col, ReadPlan, Unpivot, unpivot_col
from orchestration.ingest.run import ingest_landing
from tests.adapters.adapter_helpers import assert_identity, manifest
from tests.conftest import FIXTURES

WIDE = "id,name,created,Step A,Step B,Step C\n1,Ann,2024-01-01,2024-01-02,,2024-01-05\n2,Bob,2024-01-03,,,\n3,Cy,2024-01-04,2024-01-04,2024-01-06,\n"


class TwoTables:
    """A test adapter: leads from every line, and one stage entry per non-empty 'Step' cell."""

    name = "two_tables"

    def __init__(self, broken_second: bool = False):
        self.broken_second = broken_second

    def plan(self, sample):
        if not sample.lines or not sample.lines[0].startswith("id,name"):
            return None
        leads = ReadPlan(adapter="two/leads", source_system="test", target_table="crm_leads", columns={
            "lead_id": Col("id", "id", required=True), "name": Col("name"), "created_at": Col("created", "timestamp")})
        history = ReadPlan(adapter="two/history", source_system="test", target_table="crm_stage_history", columns={
            "entity_type": Col(const="lead"), "entity_id": Col("id", "id"),
            "stage": Col(unpivot_col("step"), required=True), "entered_at": Col(unpivot_col("value"), "timestamp"),
            "amount": Col("missing column" if self.broken_second else "id", "number", required=self.broken_second)},
            unpivot=Unpivot(pattern=r"Step (?P<step>\w+)"))
        return [leads, history]


def test_one_file_feeds_two_tables_with_a_load_id_each(warehouse, landing):
    (landing / "wide.csv").write_text(WIDE, encoding="utf-8")
    report = ingest_landing(warehouse, landing, adapters=[TwoTables()])
    assert not report.errors
    m = manifest(warehouse, "wide.csv")
    assert m["crm_leads"]["rows_read"] == 3
    assert m["crm_stage_history"]["rows_read"] == 4  # non-empty Step cells, not lines
    assert m["crm_leads"]["load_id"] != m["crm_stage_history"]["load_id"]
    assert warehouse.execute("select entity_id, stage, entered_at::date::varchar, _source_row from raw.crm_stage_history "
                             "order by 1, 2").fetchall() == [
        ("1", "A", "2024-01-02", 1), ("1", "C", "2024-01-05", 1), ("3", "A", "2024-01-04", 3), ("3", "B", "2024-01-06", 3)]
    assert_identity(warehouse)


def test_when_one_plan_of_a_file_fails_nothing_of_the_file_is_loaded(warehouse, landing):
    (landing / "wide.csv").write_text(WIDE, encoding="utf-8")
    report = ingest_landing(warehouse, landing, adapters=[TwoTables(broken_second=True)])
    assert len(report.errors) == 1 and "missing column" in str(report.errors[0])
    assert warehouse.execute("select count(*) from raw.crm_leads").fetchone()[0] == 0
    assert warehouse.execute("select count(*) from raw._load_manifest").fetchone()[0] == 0


def test_a_changed_file_that_no_longer_feeds_a_table_retires_its_earlier_rows(warehouse, landing):
    (landing / "wide.csv").write_text(WIDE, encoding="utf-8")
    ingest_landing(warehouse, landing, adapters=[TwoTables()])
    (landing / "wide.csv").write_text("id,name,created\n1,Ann,2024-01-01\n", encoding="utf-8")
    report = ingest_landing(warehouse, landing, adapters=[TwoTables()])
    # the new version still yields a (now empty) history plan: its earlier rows are replaced, not kept
    assert warehouse.execute("select count(*) from raw.crm_stage_history").fetchone()[0] == 0
    assert warehouse.execute("select count(*) from raw.crm_leads").fetchone()[0] == 1
    assert {r.status for r in report.results} == {"loaded"}


def test_hubspot_deals_without_stage_columns_retire_the_old_stage_history(warehouse, landing):
    src = FIXTURES / "hubspot/hubspot-crm-exports-all-deals-2026-03-05.csv"
    shutil.copy(src, landing / "deals.csv")
    ingest_landing(warehouse, landing)
    assert warehouse.execute("select count(*) from raw.crm_stage_history").fetchone()[0] == 21
    rows = list(csv.reader(src.open(encoding="utf-8")))
    keep = [i for i, h in enumerate(rows[0]) if not h.startswith(("Date entered", "Date exited"))]
    with (landing / "deals.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([[r[i] for i in keep] for r in rows])
    report = ingest_landing(warehouse, landing)
    assert [r.target_table for r in report.loaded] == ["crm_opportunities"]
    assert warehouse.execute("select count(*) from raw.crm_stage_history").fetchone()[0] == 0
    assert sorted(warehouse.execute("select target_table, status from raw._load_manifest").fetchall()) == [
        ("crm_opportunities", "loaded"), ("crm_opportunities", "replaced"), ("crm_stage_history", "replaced")]


def test_a_table_added_later_for_the_same_file_loads_only_that_table(warehouse, landing):
    (landing / "wide.csv").write_text(WIDE, encoding="utf-8")

    class LeadsOnly(TwoTables):
        def plan(self, sample):
            plans = super().plan(sample)
            return plans[:1] if plans else None

    ingest_landing(warehouse, landing, adapters=[LeadsOnly()])
    report = ingest_landing(warehouse, landing, adapters=[TwoTables()])
    assert {(r.target_table, r.status) for r in report.results} == {("crm_leads", "unchanged"), ("crm_stage_history", "loaded")}
    assert warehouse.execute("select count(*) from raw.crm_leads").fetchone()[0] == 3


def test_a_malformed_line_below_a_preamble_is_quarantined_with_its_real_line_number(warehouse, landing):
    lines = (FIXTURES / "google_ads_ui_day/campaign_day_report_2024-03-01_2024-03-07.csv").read_text(
        encoding="utf-8").splitlines(keepends=True)
    lines[5] = '2024-03-01,"Brand - Search - US",20931457821\n'  # cut short by a broken download
    (landing / "report.csv").write_text("".join(lines), encoding="utf-8")
    # the total no longer matches, so check the quarantine through a plan without the total check
    from orchestration.ingest.adapters.google_ads import GoogleAdsReportAdapter

    class NoTotal(GoogleAdsReportAdapter):
        def plan(self, sample):
            plan = super().plan(sample)
            plan.total_check = None
            return plan

    report = ingest_landing(warehouse, landing, adapters=[NoTotal()])
    assert not report.errors
    got = warehouse.execute("select line_number, raw_text, reason from raw._quarantine").fetchall()
    assert len(got) == 1 and got[0][0] == 6 and got[0][1].startswith("2024-03-01") and "MISSING COLUMNS" in got[0][2]
    assert_identity(warehouse)


def test_an_unknown_footer_line_is_quarantined_not_silently_dropped(warehouse, landing):
    text = (FIXTURES / "microsoft_ads/Campaign_performance_-_daily_2024-03-08.csv").read_text(encoding="utf-8")
    (landing / "report.csv").write_text(text + '"Printed by the night shift"\r\n', encoding="utf-8")
    report = ingest_landing(warehouse, landing)
    assert not report.errors
    assert warehouse.execute("select raw_text from raw._quarantine").fetchall() == [('"Printed by the night shift"',)]
    m = manifest(warehouse, "report.csv")["ad_spend"]
    assert (m["rows_loaded"], m["rows_quarantined"], m["rows_summary"]) == (14, 1, 2)


def test_a_stated_record_count_counts_unknown_lines_and_says_so(warehouse, landing):
    text = (FIXTURES / "salesforce_report/pipeline_by_owner.csv").read_text(encoding="utf-8")
    (landing / "report.csv").write_text(text + '"Printed by the night shift"\r\n', encoding="utf-8")
    report = ingest_landing(warehouse, landing)
    assert len(report.errors) == 1
    assert "states 12 records" in str(report.errors[0]) and "13 were read (of which 1 malformed line(s))" in str(report.errors[0])


def test_a_loaded_file_whose_adapter_was_removed_stays_unchanged(warehouse, landing):
    (landing / "wide.csv").write_text(WIDE, encoding="utf-8")
    ingest_landing(warehouse, landing, adapters=[TwoTables()])
    report = ingest_landing(warehouse, landing, adapters=[])
    assert not report.errors and {r.status for r in report.results} == {"unchanged"}
    assert warehouse.execute("select count(*) from raw.crm_leads").fetchone()[0] == 3
