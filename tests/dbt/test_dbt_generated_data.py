"""mart_campaign_performance and lead attribution on generated exports, against the generator's truth.

The generator writes Google Ads reports (USD and CNY accounts) whose spend per campaign and month is
in .truth/planted_truth.json ('spend'); one Ads campaign (Search-Competitor-Conquest) only matches
its Salesforce campaign (Competitor Conquesting 2026) through seed campaign_mapping. Only the
models upstream of the mart are built (no data tests): this checks matching and FX, not the
whole graph (tests/e2e does that).
"""

from __future__ import annotations

import csv
from datetime import date

import pytest

from orchestration.generate import generate
from orchestration.ingest.run import ingest_landing
from orchestration.warehouse import connect

from dbt_harness import DbtBuild, run_dbt

AS_OF = "2026-07-01 00:00:00"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("dbt_generated")
    landing, warehouse, target = root / "landing", root / "warehouse.duckdb", root / "target"
    truth = generate(landing, leads=400, seed=7)
    con = connect(warehouse)
    try:
        report = ingest_landing(con, landing)
    finally:
        con.close()
    assert not report.errors, report.summary()
    proc = run_dbt(["build", "--select", "+mart_campaign_performance", "+fct_leads", "--resource-type", "seed", "snapshot", "model"], warehouse=warehouse, target_path=target, as_of=AS_OF)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return truth, DbtBuild(warehouse=warehouse, target_path=target, output=proc.stdout)


def test_spend_per_campaign_and_month_equals_the_planted_spend(generated):
    truth, build = generated
    cny_per_usd = truth["fx"]["CNY_per_USD"]
    crm_id_of_ads_name = {c["ads_campaign_name"]: c["sf_campaign_id"] for c in truth["campaigns"] if c["ads_campaign_name"]}
    got = {(r["campaign_key"], r["period_month"]): r for r in build.query_dicts(
        "select * from marts.mart_campaign_performance where attribution_model = 'first_touch' and not is_total")}
    planted = [s for s in truth["spend"] if s["listed_in_report"]]
    assert planted
    for s in planted:
        month = date.fromisoformat(s["month"] + "-01")
        row = got[(crm_id_of_ads_name[s["campaign_name"]], month)]
        assert row["spend_original_currency"] == s["currency"], s
        assert row["spend_original_amount"] == pytest.approx(s["spend"], abs=0.005), s
        expected_usd = s["spend"] / cny_per_usd if s["currency"] == "CNY" else s["spend"]
        assert row["spend_base_amount"] == pytest.approx(expected_usd, abs=0.005), s
        assert (row["impressions"], row["clicks"]) == (s["impressions"], s["clicks"]), s
    # nothing else carries spend: every spent dollar is on a planted campaign-month
    spent = {k for k, r in got.items() if r["spend_base_amount"]}
    assert spent == {(crm_id_of_ads_name[s["campaign_name"]], date.fromisoformat(s["month"] + "-01")) for s in planted}


def test_renamed_ads_campaign_matches_through_the_mapping_seed(generated):
    truth, build = generated
    (conquest,) = [c for c in truth["campaigns"] if c["ads_campaign_name"] == "Search-Competitor-Conquest"]
    assert not conquest["normalized_names_match"]
    rows = build.query(
        "select campaign_key, match_method from intermediate.int_campaigns__references "
        "where source in ('ad_platform', 'utm') and reference_name = 'Search-Competitor-Conquest'")
    assert sorted(rows) == [(conquest["sf_campaign_id"], "mapping_seed")] * 2
    total = build.query_dicts(
        "select * from marts.mart_campaign_performance where is_total and attribution_model = 'first_touch' "
        "and campaign_key = ?", [conquest["sf_campaign_id"]])[0]
    assert total["campaign_name"] == "Competitor Conquesting 2026"
    assert total["spend_base_amount"] == pytest.approx(
        sum(s["spend"] for s in truth["spend"] if s["campaign_name"] == "Search-Competitor-Conquest"), abs=0.01)
    assert total["lead_count"] > 0 and total["inquiry_count"] > 0


# The channel each generated LeadSource stands for (Web leads come from the display remarketing
# campaign or straight from the website).
CHANNELS_OF_LEAD_SOURCE = {
    "Paid Search": {"paid_search"}, "Paid Social": {"paid_social"}, "Email": {"email"},
    "Event": {"events"}, "Partner Referral": {"partner", "referral"}, "Phone Inquiry": {"direct"},
    "Web": {"direct", "display"},
}


def test_each_leads_first_touch_channel_is_the_channel_its_lead_source_names(generated):
    """Salesforce campaign type `Advertisement` spans search and social: it must not relabel them."""
    truth, build = generated
    with open(build.warehouse.parent / "landing" / "salesforce" / "Lead.csv", newline="", encoding="utf-8") as f:
        source_of = {r["Id"]: r["LeadSource"] for r in csv.DictReader(f) if r["IsDeleted"] == "0"}
    got = dict(build.query("select lead_id, first_touch_channel_key from marts.fct_leads"))
    checked = {lead: channel for lead, channel in got.items() if lead in source_of}
    assert len(checked) > 300
    wrong = {lead: (source_of[lead], channel) for lead, channel in checked.items()
             if channel not in CHANNELS_OF_LEAD_SOURCE[source_of[lead]]}
    assert not wrong, f"{len(wrong)} of {len(checked)} leads on another channel, e.g. {list(wrong.items())[:5]}"
