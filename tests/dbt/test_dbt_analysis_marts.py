"""The analysis marts on the hand-written warehouse: every expected figure is derived in the
docstring of dbt_fixture_data.py or computed here with Python's math/statistics, never read from
the models."""

from __future__ import annotations

import json
import math
from datetime import date
from statistics import NormalDist

import pytest

Z95 = NormalDist().inv_cdf(0.975)


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    p = k / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def two_proportion_p(k0: int, n0: int, k1: int, n1: int) -> float:
    pooled = (k0 + k1) / (n0 + n1)
    z = (k1 / n1 - k0 / n0) / math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
    return 2 * (1 - NormalDist().cdf(abs(z)))


# --- mart_campaign_performance ----------------------------------------------------------------------

def campaign_rows(dbt_build, model="first_touch"):
    return dbt_build.query_dicts(
        "select * from marts.mart_campaign_performance where attribution_model = ? order by campaign_key, period_month",
        [model])


def test_campaign_cac_roas_roi_by_hand(dbt_build):
    rows = {(r["campaign_key"], r["period_month"]): r for r in campaign_rows(dbt_build)}
    jan = rows[("C1", date(2024, 1, 1))]
    # 120 (the corrected re-delivery of 01-01) + 150 USD
    assert jan["spend_base_amount"] == pytest.approx(270.0)
    assert jan["base_currency"] == "USD"
    assert (jan["spend_original_currency"], jan["spend_original_amount"]) == ("USD", pytest.approx(270.0))
    assert (jan["impressions"], jan["clicks"], jan["inquiry_count"]) == (3000, 130, 1)
    assert (jan["lead_count"], jan["qualified_count"], jan["opportunity_count"], jan["won_count"]) == (2, 2, 2, 1)
    assert jan["revenue_base_amount"] == pytest.approx(50000.0)
    assert jan["click_through_rate"] == pytest.approx(130 / 3000)
    assert jan["cost_per_click"] == pytest.approx(270 / 130)
    assert jan["cost_per_lead"] == pytest.approx(135.0)
    assert jan["customer_acquisition_cost"] == pytest.approx(270.0)
    assert jan["return_on_ad_spend"] == pytest.approx(50000 / 270)
    assert jan["return_on_investment"] == pytest.approx((50000 - 270) / 270)
    # S3 (February) carries the campaign's UTM but never became a lead
    feb = rows[("C1", date(2024, 2, 1))]
    assert (feb["inquiry_count"], feb["lead_count"], feb["spend_base_amount"]) == (1, 0, 0.0)
    assert feb["cost_per_lead"] is None and feb["return_on_investment"] is None
    total = rows[("C1", None)]
    assert total["is_total"] and total["inquiry_count"] == 2 and total["lead_count"] == 2
    assert total["return_on_investment"] == pytest.approx((50000 - 270) / 270)


def test_campaign_unattributed_leads_and_last_touch(dbt_build):
    first = {(r["campaign_key"], r["period_month"]): r for r in campaign_rows(dbt_build)}
    # the 7 other canonical leads have no campaign touch: L2, L4, L5 (Jan), L6, L7 (Feb), L9, L10
    unattributed = first[("unattributed", None)]
    assert (unattributed["lead_count"], unattributed["campaign_name"], unattributed["spend_base_amount"]) == \
        (7, "(unattributed)", 0.0)
    assert first[("unattributed", date(2024, 1, 1))]["lead_count"] == 3
    last = {(r["campaign_key"], r["period_month"]): r for r in campaign_rows(dbt_build, "last_touch")}
    # L1's last campaign touch before converting (01-10) is its lead record (C1); L3's too
    assert last[("C1", date(2024, 1, 1))]["lead_count"] == 2
    assert last[("C1", date(2024, 1, 1))]["spend_base_amount"] == pytest.approx(270.0)


# --- mart_opportunity_scores --------------------------------------------------------------------------

def test_scorecard_tiers_on_hand_made_opportunities(dbt_build):
    rows = {r["opportunity_id"]: r for r in dbt_build.query_dicts("select * from marts.mart_opportunity_scores")}
    assert sorted(rows) == ["O3", "O4", "O6"]  # the open deals
    o4, o3, o6 = rows["O4"], rows["O3"], rows["O6"]
    assert (o4["deal_amount_score"], o4["win_probability_score"], o4["total_score"], o4["score_tier"]) == (5, 5, 82.0, "high")
    assert (o3["deal_amount_score"], o3["win_probability_score"], o3["total_score"], o3["score_tier"]) == (4, 4, 71.0, "medium")
    assert o6["win_probability"] == pytest.approx(0.2)  # no CRM probability: discovery default
    assert (o6["deal_amount_score"], o6["win_probability_score"], o6["total_score"], o6["score_tier"]) == (1, 2, 43.0, "low")
    assert o4["defaulted_inputs"] == "strategic_value,follow_up_cost,payment_cycle"
    assert o6["defaulted_inputs"] == "win_probability,strategic_value,follow_up_cost,payment_cycle"
    assert o4["score_tier_label_zh"] == "高优先级"


# --- mart_conversion_by_dimension -----------------------------------------------------------------------

def conversion(dbt_build, metric, dimension, value, month):
    rows = dbt_build.query_dicts(
        """select * from marts.mart_conversion_by_dimension
           where metric_key = ? and dimension = ? and dimension_value = ? and period_month = ?""",
        [metric, dimension, value, month])
    assert len(rows) == 1, (metric, dimension, value, month, rows)
    return rows[0]


def test_wilson_interval_and_change_p_value_against_python(dbt_build):
    jan = conversion(dbt_build, "lead_to_qualified", "overall", "all", date(2024, 1, 1))
    # January cohort: 5 leads, 3 qualified (L1, L3, L5)
    assert (jan["entity_count"], jan["converted_count"]) == (5, 3)
    lower, upper = wilson(3, 5)
    assert jan["rate_ci_lower"] == pytest.approx(lower, abs=1e-9)
    assert jan["rate_ci_upper"] == pytest.approx(upper, abs=1e-9)
    assert jan["previous_entity_count"] == 0 and jan["change_p_value"] is None
    # February cohort: L6, L7 -> L7 qualified: 1 of 2, vs 3 of 5
    feb = conversion(dbt_build, "lead_to_qualified", "overall", "all", date(2024, 2, 1))
    assert (feb["entity_count"], feb["converted_count"]) == (2, 1)
    assert feb["rate_change_pp"] == pytest.approx((1 / 2 - 3 / 5) * 100)
    assert feb["change_p_value"] == pytest.approx(two_proportion_p(3, 5, 1, 2), abs=5e-7)
    assert not feb["is_change_significant"] and feb["is_small_segment"] and feb["priority"] == "low"


def test_conversion_by_owner_team_edges_and_share(dbt_build):
    # January: East (u1) owns L1, L3, L5 -> 3 of 3 qualified; West (u2) owns L2, L4 -> 0 of 2
    east = conversion(dbt_build, "lead_to_qualified", "owner_team", "East", date(2024, 1, 1))
    west = conversion(dbt_build, "lead_to_qualified", "owner_team", "West", date(2024, 1, 1))
    assert (east["conversion_rate"], east["rate_ci_upper"]) == (1.0, 1.0)
    assert east["rate_ci_lower"] == pytest.approx(wilson(3, 3)[0], abs=1e-9)
    assert (west["conversion_rate"], west["rate_ci_lower"]) == (0.0, 0.0)
    assert west["rate_ci_upper"] == pytest.approx(wilson(0, 2)[1], abs=1e-9)
    assert (east["share_of_volume"], west["share_of_volume"]) == (pytest.approx(0.6), pytest.approx(0.4))
    assert east["dimension_label_zh"] == "销售团队" and east["metric_label_zh"] == "线索→初步筛选转化率"


def test_win_rate_counts_deals_closed_in_the_month(dbt_build):
    # February: O1 won (02-15), O2 lost (02-20); O3 lost in March but re-opened: not closed
    feb = conversion(dbt_build, "win_rate", "overall", "all", date(2024, 2, 1))
    assert (feb["entity_count"], feb["converted_count"]) == (2, 1)
    assert dbt_build.query(
        "select count(*) from marts.mart_conversion_by_dimension where metric_key = 'win_rate' "
        "and period_month = '2024-03-01'") == [(0,)]
    # product and customer segment are opportunity dimensions: present for win_rate only
    assert conversion(dbt_build, "win_rate", "customer_segment", "Enterprise", date(2024, 2, 1))["entity_count"] == 1
    assert dbt_build.query(
        "select count(*) from marts.mart_conversion_by_dimension where metric_key = 'lead_to_qualified' "
        "and dimension in ('product', 'customer_segment')") == [(0,)]


# --- mart_stage_loss_reasons ------------------------------------------------------------------------------

def test_loss_reasons_shares_categories_and_unspecified(dbt_build):
    rows = {(r["period_month"], r["stage_key"], r["loss_reason"]): r
            for r in dbt_build.query_dicts("select * from marts.mart_stage_loss_reasons")}
    assert set(rows) == {
        (date(2024, 1, 1), "lead", "unspecified"),  # L4: no disqualify reason, still counted
        (date(2024, 4, 1), "lead", "价格太高"),  # L9
        (date(2024, 2, 1), "negotiation", "Price"),  # O2
    }
    l4 = rows[(date(2024, 1, 1), "lead", "unspecified")]
    assert (l4["entered_count"], l4["lost_count"], l4["loss_rate"]) == (5, 1, 0.2)
    assert (l4["loss_category"], l4["reason_share"], l4["reason_rank"]) == ("unspecified", 1.0, 1)
    l9 = rows[(date(2024, 4, 1), "lead", "价格太高")]
    assert (l9["loss_category"], l9["loss_category_label_zh"], l9["entered_count"]) == ("price_budget", "价格/预算", 1)
    o2 = rows[(date(2024, 2, 1), "negotiation", "Price")]
    assert (o2["entered_count"], o2["lost_count"], o2["loss_rate"], o2["reason_share"]) == (2, 1, 0.5, 1.0)


# --- targets, forecast, segments --------------------------------------------------------------------------

def test_pipeline_forecast_weights_with_crm_or_stage_probability(dbt_build):
    rows = {r["expected_close_month"]: r for r in dbt_build.query_dicts("select * from marts.mart_pipeline_forecast")}
    # O3 (June, 600,000 × 0.7), O4 (July, 1,500,000 × 0.9), O6 (July, 10,000 × discovery default 0.2)
    assert rows[date(2024, 6, 1)]["weighted_pipeline_base_amount"] == pytest.approx(420000.0)
    july = rows[date(2024, 7, 1)]
    assert (july["open_opportunity_count"], july["default_probability_count"]) == (2, 1)
    assert july["pipeline_base_amount"] == pytest.approx(1510000.0)
    assert july["weighted_pipeline_base_amount"] == pytest.approx(1350000.0 + 2000.0)
    assert july["target_base_amount"] is None and july["weighted_coverage_ratio"] is None  # no 2024 targets


def test_customer_segments_quadrants(dbt_build):
    rows = {r["customer_key"]: r for r in dbt_build.query_dicts("select * from marts.mart_customer_segments")}
    # A2: O4 + O6 = 1,510,000 in negotiation; A3: O3 600,000 in negotiation -> both key accounts
    assert sorted(rows) == ["A2", "A3"]
    assert rows["A2"]["open_pipeline_base_amount"] == pytest.approx(1510000.0)
    assert {r["quadrant"] for r in rows.values()} == {"key_account"}
    assert rows["A3"]["quadrant_label_zh"] == "重点客户" and rows["A3"]["follow_up_cadence_days"] == 2


# --- mart_alerts ----------------------------------------------------------------------------------------

def test_alert_with_top_three_root_causes(dbt_build):
    alerts = dbt_build.query_dicts("select * from marts.mart_alerts")
    # only January's first-contact SLA (2 of 5 = 0.4 < 0.9) has the minimum volume of 5 behind it
    assert [a["alert_id"] for a in alerts] == ["first_contact_sla_low:2024-01-01"]
    alert = alerts[0]
    assert (alert["observed_value"], alert["threshold"], alert["volume"], alert["severity"]) == (0.4, 0.9, 5, "warning")
    assert alert["root_cause_period"] == date(2024, 1, 1) and alert["root_cause_candidate_count"] == 3
    assert alert["top_root_causes_text"] == (
        "1. owner_team=West (rate, contribution -1.5); "
        "2. channel=direct × industry=Manufacturing (mix, contribution -0.8); "
        '3. region=CA "North" (rate, contribution -0.3)')
    candidates = json.loads(alert["top_root_causes_json"])
    assert [(c["rank"], c["dimension_1"], c["value_1"], c["dimension_2"]) for c in candidates] == [
        (1, "owner_team", "West", None), (2, "channel", "direct", "industry"), (3, "region", 'CA "North"', None)]
    assert candidates[0]["contribution"] == -1.5 and candidates[0]["rate_after"] == 0.4
