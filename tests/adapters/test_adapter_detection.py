"""Files are recognised by their content (header signature), never by their name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestration.ingest.run import ingest_landing
from tests.conftest import FIXTURES

EXPECTED = {
    "salesforce_demo_org/Opportunity.csv": {"salesforce_export/Opportunity"},
    "salesforce_export_extras/Task.csv": {"salesforce_export/Task"},
    "salesforce_export_extras/Event.csv": {"salesforce_export/Event"},
    "salesforce_report/pipeline_by_owner.csv": {"salesforce_report"},
    "salesforce_report/open_and_won_opportunities.xlsx": {"salesforce_report"},
    "hubspot/hubspot-crm-exports-all-contacts-2026-03-05.csv": {"hubspot/contacts"},
    "hubspot/hubspot-crm-exports-all-deals-2026-03-05.csv": {"hubspot/deals", "hubspot/deal_stage_history"},
    "maven_crm/sales_pipeline.csv": {"mapping:maven_crm/sales_pipeline"},
    "cn_crm_xiaoshouyi/商机列表_20240310.csv": {"mapping:cn_crm_xiaoshouyi/opportunities"},
    "typeform/responses-Z7kq3PLx-2024-03-08.csv": {"web_form/typeform"},
    "google_forms/Contact us (Responses) - Form Responses 1.csv": {"web_form/google_forms"},
    "tally/tally_demo-request_submissions.csv": {"web_form/tally"},
    "google_ads/campaign_report.csv": {"google_ads_report"},
    "google_ads_ui_day/campaign_day_report_2024-03-01_2024-03-07.csv": {"google_ads_report"},
    "google_ads_editor/Example-SaaS-Account_export.csv": {"google_ads_editor"},
    "meta_ads/Example-SaaS-Campaigns-Mar-1-2024-Mar-5-2024.csv": {"meta_ads/en"},
    "meta_ads/Example-SaaS-Campañas-1-mar-2024-31-mar-2024.csv": {"meta_ads/es"},
    "linkedin_ads/campaign_performance_report_utf16.csv": {"linkedin_ads"},
    "microsoft_ads/Campaign_performance_-_daily_2024-03-08.csv": {"microsoft_ads"},
    "baidu_ads/推广计划报告_20240301-20240307.csv": {"baidu_ads"},
    "ocean_engine/巨量引擎_广告计划数据_20240301-20240305.csv": {"ocean_engine"},
}


@pytest.mark.parametrize("fixture,adapters", EXPECTED.items(), ids=[Path(k).parent.name + "/" + Path(k).name[:24] for k in EXPECTED])
def test_each_export_is_recognised_under_a_meaningless_name(warehouse, landing, fixture, adapters):
    suffix = Path(fixture).suffix
    shutil.copy(FIXTURES / fixture, landing / f"download (7){suffix}")
    report = ingest_landing(warehouse, landing)
    assert not report.errors, report.errors
    assert {r.adapter for r in report.results} == adapters


def test_an_unrecognised_file_says_what_was_tried_and_how_to_write_a_mapping(warehouse, landing):
    (landing / "mystery.csv").write_text("Kunde;Umsatz;Quartal\nACME;1000;Q1\n", encoding="utf-8")
    report = ingest_landing(warehouse, landing)
    assert len(report.errors) == 1
    text = str(report.errors[0])
    for name in ("salesforce_export", "hubspot", "salesforce_report", "microsoft_ads", "google_ads_editor",
                 "google_ads_report", "meta_ads", "linkedin_ads", "baidu_ads", "ocean_engine", "web_form",
                 "mapping:maven_crm", "mapping:cn_crm_xiaoshouyi"):
        assert name in text
    assert "Kunde;Umsatz;Quartal" in text
    assert "docs/adapters.md" in text and "_mappings/" in text and "FUNNEL_MAPPINGS_DIR" in text
