"""Real vendor exports (tests/fixtures, see PROVENANCE.md) load as they are, with nothing lost.

Expected figures are computed here from the files with Python's csv module, independently of
the loader (which reads them with DuckDB).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from orchestration.ingest.run import ingest_landing
from tests.conftest import FIXTURES, copy_fixture

SF = FIXTURES / "salesforce_demo_org"
SF_TABLES = {
    "Lead.csv": "crm_leads",
    "Opportunity.csv": "crm_opportunities",
    "OpportunityHistory.csv": "crm_stage_history",
    "Account.csv": "crm_accounts",
    "Campaign.csv": "crm_campaigns",
    "CampaignMember.csv": "crm_campaign_members",
}


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _google_number(text: str) -> float:
    return float(text.strip().replace(",", ""))


@pytest.fixture
def loaded(warehouse, landing):
    copy_fixture(landing, *(f"salesforce_demo_org/{n}" for n in [*SF_TABLES, "Contact.csv"]),
                 "google_ads/campaign_report.csv")
    report = ingest_landing(warehouse, landing)
    return warehouse, report


@pytest.mark.parametrize("file_name,table", SF_TABLES.items())
def test_salesforce_export_row_counts(loaded, file_name, table):
    con, report = loaded
    expected = len(_csv_rows(SF / file_name))
    got = con.execute(f"select count(*) from raw.{table} where _source_file = ?", [file_name]).fetchone()[0]
    assert got == expected
    assert not report.errors


def test_salesforce_contact_is_recognised_and_ignored_with_reason(loaded):
    con, _ = loaded
    status, message = con.execute(
        "select status, message from raw._load_manifest where source_file = 'Contact.csv'").fetchone()
    assert status == "ignored" and "Contact" in message


def test_salesforce_null_ids_become_null_and_types_are_parsed(loaded):
    con, _ = loaded
    rows = _csv_rows(SF / "Opportunity.csv")
    expected_amount = sum(float(r["Amount"]) for r in rows if r["Amount"])
    expected_null_campaigns = sum(1 for r in rows if r["CampaignId"] in ("", "000000000000000AAA"))
    amount, null_campaigns, won = con.execute(
        "select sum(amount), count(*) filter (campaign_id is null), count(*) filter (is_won) from raw.crm_opportunities"
    ).fetchone()
    assert amount == pytest.approx(expected_amount)
    assert null_campaigns == expected_null_campaigns
    assert won == sum(1 for r in rows if r["IsWon"] == "1")


def test_google_ads_spend_equals_the_reports_own_campaign_total(loaded):
    con, _ = loaded
    with open(FIXTURES / "google_ads/campaign_report.csv", newline="", encoding="utf-8") as f:
        lines = list(csv.reader(f))
    header = lines[2]
    total_row = next(r for r in lines if r[0] == "Total: Campaigns")
    expected_cost = _google_number(total_row[header.index("Cost")])
    expected_impr = _google_number(total_row[header.index("Impr.")])
    n_campaigns = sum(1 for r in lines[3:] if r and not r[0].startswith("Total:"))
    spend, impressions, n = con.execute(
        "select sum(spend), sum(impressions), count(*) from raw.ad_spend where _source_file = 'campaign_report.csv'"
    ).fetchone()
    assert n == n_campaigns == 12
    assert spend == pytest.approx(expected_cost, abs=0.005)
    assert impressions == expected_impr
    account_total = _google_number(next(r for r in lines if r[0] == "Total: Account")[header.index("Cost")])
    assert spend != pytest.approx(account_total, abs=0.005)  # Total: Account includes unlisted campaigns


def test_manifest_identity_rows_read_equals_loaded_plus_quarantined_plus_summary(loaded):
    con, _ = loaded
    rows = con.execute(
        "select source_file, rows_read, rows_loaded, rows_quarantined, rows_summary from raw._load_manifest "
        "where status = 'loaded'").fetchall()
    assert len(rows) == 7
    for name, read, loaded_, quarantined, summary in rows:
        assert read == loaded_ + quarantined + summary, name
    summary = dict(con.execute(
        "select source_file, rows_summary from raw._load_manifest where status = 'loaded'").fetchall())
    assert summary["campaign_report.csv"] == 5  # the five 'Total: …' rows


def test_loading_the_same_files_again_changes_nothing(loaded, landing):
    con, _ = loaded
    before = {t: con.execute(f"select count(*), sum(hash(t)) from (select * exclude (_loaded_at) from raw.{t}) t").fetchone()
              for t in SF_TABLES.values()}
    report = ingest_landing(con, landing)
    assert not report.loaded
    assert all(r.status == "unchanged" for r in report.results)
    after = {t: con.execute(f"select count(*), sum(hash(t)) from (select * exclude (_loaded_at) from raw.{t}) t").fetchone()
             for t in SF_TABLES.values()}
    assert before == after


def test_a_corrected_file_at_the_same_path_replaces_its_earlier_rows(loaded, landing):
    con, _ = loaded
    path = landing / "Campaign.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")  # the corrected export lost one campaign
    report = ingest_landing(con, landing)
    assert [r.source_file for r in report.loaded] == ["Campaign.csv"]
    assert con.execute("select count(*) from raw.crm_campaigns").fetchone()[0] == len(lines) - 2
    statuses = sorted(r[0] for r in con.execute(
        "select status from raw._load_manifest where source_file = 'Campaign.csv'").fetchall())
    assert statuses == ["loaded", "replaced"]
