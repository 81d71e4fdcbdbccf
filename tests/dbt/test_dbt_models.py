"""The dbt project built on the hand-written fixture (fixture_data.py): every expected value below
is counted by hand from the fixture's docstring, not read from the models."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import duckdb
import pytest

import dbt_fixture_data as fixture_data



def test_build_ran_every_model_unit_test_and_data_test(dbt_build):
    statuses = {r["unique_id"]: r["status"] for r in dbt_build.results}
    unit_tests = [u for u in statuses if u.startswith("unit_test.")]
    assert len(unit_tests) >= 7
    assert all(statuses[u] == "pass" for u in unit_tests)
    failing = {u: s for u, s in statuses.items() if s in ("error", "fail")}
    assert failing == {}
    # the only warning is the unmapped-stage report, on purpose (Recycled, Verbal Commit)
    warned = [u for u, s in statuses.items() if s == "warn"]
    assert warned == ["test.funnel_warehouse.assert_stage_values_mapped"]


def test_layers_land_in_exact_schema_names(dbt_build):
    schemas = {r[0] for r in dbt_build.query("select distinct table_schema from information_schema.tables")}
    assert {"raw", "seeds", "staging", "intermediate", "marts"} <= schemas
    assert not any(s.startswith("main_") for s in schemas)


# --- staging ------------------------------------------------------------------------------------

def test_staging_keeps_latest_delivery_and_drops_deleted(dbt_build):
    rows = dict(dbt_build.query("select lead_id, status from staging.stg_crm__leads"))
    assert rows["L2"] == "Working - Contacted"  # load-2 beats load-1
    assert "L11" not in rows  # deleted in the latest delivery
    assert len(rows) == 10
    spend = dbt_build.query("select spend_date, spend from staging.stg_ads__ad_spend order by spend_date")
    assert spend == [(date(2024, 1, 1), 120.0), (date(2024, 1, 2), 150.0)]


def test_staging_normalizes_email_and_phone(dbt_build):
    rows = {r[0]: r[1:] for r in dbt_build.query("select lead_id, email, phone from staging.stg_crm__leads")}
    assert rows["L1"] == ("ann@example.com", "+14155550101")
    assert rows["L8"][0] == "carl@example.com"
    assert rows["L6"][1] == "+8613800138000"  # Chinese mobile, no country given
    sub = dict(dbt_build.query("select submission_id, phone from staging.stg_forms__submissions"))
    assert sub["S2"] == "+14155550102"


def test_staging_maps_statuses_and_keeps_unmapped_visible(dbt_build):
    lead_stages = dict(dbt_build.query("select lead_id, stage_key from staging.stg_crm__leads"))
    assert lead_stages["L1"] == "qualified"  # Closed - Converted
    assert lead_stages["L4"] == "lost"  # Unqualified
    assert lead_stages["L10"] is None  # Recycled: no mapping, still there
    opp_stages = dict(dbt_build.query("select opportunity_id, stage_key from staging.stg_crm__opportunities"))
    assert opp_stages == {"O1": "won", "O2": "lost", "O3": "negotiation", "O4": "negotiation",
                          "O5": "won", "O6": None}
    unmapped = dbt_build.query(
        "select entity_type, raw_value, record_count from intermediate.int_unmapped_stage_values order by 1"
    )
    assert unmapped == [("lead", "Recycled", 1), ("opportunity", "Verbal Commit", 1)]


# --- identity resolution ------------------------------------------------------------------------

def test_duplicate_leads_are_merged_within_window(dbt_build):
    merged = {r[0]: r[1:] for r in dbt_build.query(
        "select lead_id, canonical_lead_id, is_duplicate from intermediate.int_leads__merged")}
    assert merged["L8"] == ("L7", True)  # 15 days after L7
    assert merged["L9"] == ("L9", False)  # 65 days after the kept L7: outside the 30-day window
    assert sum(1 for v in merged.values() if v[1]) == 1


def test_match_key_hash_groups_leads_by_email_and_company_regardless_of_case(dbt_build):
    """base_crm__leads' match_key_hash (what int_leads__merged groups by) against the rule written
    out here: same normalized email, same company trimmed and lowercased; null without an email."""
    rows = dbt_build.query("select lead_id, email, company, match_key_hash from staging.stg_crm__leads")
    keys = {lead_id: f"{email}|{(company or '').strip().lower()}" if email else None
            for lead_id, email, company, _ in rows}
    hashes = {lead_id: key_hash for lead_id, _, _, key_hash in rows}
    assert {lead_id for lead_id, key in keys.items() if key is None} == \
        {lead_id for lead_id, key_hash in hashes.items() if key_hash is None}
    for a in keys:
        for b in keys:
            if keys[a] is not None and keys[b] is not None:
                assert (keys[a] == keys[b]) == (hashes[a] == hashes[b]), (a, b)
    assert hashes["L7"] == hashes["L8"]  # the fixture's duplicate pair


def test_content_hash_covers_every_column_of_the_lead_but_its_load_lineage(dbt_build):
    """int_leads__resolved finds changed leads by content_hash alone: a column missing from it would
    let a change of that column go unseen. The columns are read from the table, not the model."""
    not_content = {"_source_file", "_source_row", "_load_id", "_loaded_at", "match_key_hash", "content_hash"}
    columns = [c for (c,) in dbt_build.query(
        "select column_name from duckdb_columns() where schema_name = 'staging' "
        "and table_name = 'base_crm__leads' order by column_index") if c not in not_content]
    assert {"lead_id", "email", "status", "converted_at", "is_deleted", "_source_system"} <= set(columns)
    rows, stale, distinct = dbt_build.query(
        f"select count(*), count(*) filter (where content_hash is distinct from hash({', '.join(columns)})), "
        f"count(distinct content_hash) from staging.base_crm__leads")[0]
    assert rows == 11 and stale == 0 and distinct == rows


def test_submissions_match_by_email_then_phone(dbt_build):
    rows = {r[0]: r[1:] for r in dbt_build.query(
        "select submission_id, lead_id, match_method from intermediate.int_submissions__matched_to_leads")}
    assert rows == {"S1": ("L1", "email"), "S2": ("L2", "phone"), "S3": (None, None), "S4": ("L7", "email")}
    rates = {(r[0], r[1]): r[2] for r in dbt_build.query(
        "select link_type, match_method, record_count from intermediate.int_identity__match_rates")}
    assert rates[("submission_to_lead", "email")] == 2
    assert rates[("submission_to_lead", "phone")] == 1
    assert rates[("submission_to_lead", "unmatched")] == 1
    assert rates[("opportunity_to_lead", "lead_converted_opportunity_id")] == 2  # O1, O2
    assert rates[("opportunity_to_lead", "opportunity_lead_id")] == 1  # O3 (via duplicate L8)
    assert rates[("opportunity_to_lead", "unmatched")] == 3  # O4, O5, O6


# --- fct_stage_events ---------------------------------------------------------------------------

def events(dbt_build, entity_id):
    return dbt_build.query_dicts(
        "select * from marts.fct_stage_events where entity_id = ? order by event_sequence", [entity_id])


def test_skipped_stage_is_synthesized_with_later_entry_time(dbt_build):
    o1 = events(dbt_build, "O1")
    assert [(e["stage_key"], e["is_skipped_stage"]) for e in o1] == [
        ("discovery", False), ("proposal", False), ("negotiation", True), ("won", False)]
    negotiation = o1[2]
    assert negotiation["entered_at"] == datetime(2024, 2, 15, 10, 0)  # = won's entry
    assert negotiation["days_in_stage"] == 0
    assert o1[3]["is_current_stage"] and o1[3]["exited_at"] is None


def test_identical_history_timestamps_follow_file_row_and_reopened_lost_is_not_final(dbt_build):
    o3 = events(dbt_build, "O3")
    assert [e["stage_key"] for e in o3] == ["discovery", "proposal", "lost", "negotiation"]
    assert o3[0]["entered_at"] == o3[1]["entered_at"] == datetime(2024, 3, 1, 12, 0)
    assert o3[0]["days_in_stage"] == 0
    assert o3[1]["exited_at"] == datetime(2024, 3, 20, 12, 0)  # Id. Decision Makers collapsed into proposal
    lost = o3[2]
    assert not lost["is_current_stage"] and lost["exited_at"] == datetime(2024, 4, 2, 12, 0)
    assert o3[3]["is_current_stage"]
    # days in the current stage run to as_of (2024-06-30 00:00)
    assert o3[3]["days_in_stage"] == pytest.approx(88.5)


def test_lost_after_negotiation_is_current_outcome(dbt_build):
    o2 = events(dbt_build, "O2")
    assert [e["stage_key"] for e in o2] == ["discovery", "proposal", "negotiation", "lost"]
    assert o2[0]["exited_at"] == datetime(2024, 1, 25, 10, 0)  # Needs Analysis collapsed into discovery
    assert o2[3]["is_current_stage"] and o2[2]["days_in_stage"] == 19


def test_opportunity_without_history_is_synthesized_from_current_state(dbt_build):
    o5 = events(dbt_build, "O5")
    assert [(e["stage_key"], e["event_source"], e["entered_at"]) for e in o5] == [
        ("discovery", "opportunity_created", datetime(2024, 3, 1, 10, 0)),
        ("proposal", "skipped_stage", datetime(2024, 4, 1)),
        ("negotiation", "skipped_stage", datetime(2024, 4, 1)),
        ("won", "current_stage", datetime(2024, 4, 1)),
    ]
    assert events(dbt_build, "A1")[0]["stage_key"] == "repeat"


def test_lead_events_conversion_status_and_handoff(dbt_build):
    l1 = events(dbt_build, "L1")
    assert [(e["stage_key"], e["entered_at"]) for e in l1] == [
        ("lead", datetime(2024, 1, 5, 10, 0)), ("qualified", datetime(2024, 1, 10, 9, 0))]
    assert not l1[-1]["is_current_stage"]  # handed off to O1
    l4 = events(dbt_build, "L4")
    assert [e["stage_key"] for e in l4] == ["lead", "lost"] and l4[-1]["is_current_stage"]
    l7 = events(dbt_build, "L7")  # qualified through its merged duplicate L8
    assert [(e["stage_key"], e["entered_at"]) for e in l7] == [
        ("lead", datetime(2024, 2, 10, 10, 0)), ("qualified", datetime(2024, 2, 25, 10, 0))]
    assert events(dbt_build, "L8") == []  # merged: no events of its own


def test_every_entity_has_at_most_one_current_stage(dbt_build):
    dupes = dbt_build.query(
        "select entity_id from marts.fct_stage_events where is_current_stage group by 1 having count(*) > 1")
    assert dupes == []


# --- mart_funnel_cohort -------------------------------------------------------------------------

def cohort(dbt_build, month):
    return {r["stage_key"]: r for r in dbt_build.query_dicts(
        "select * from marts.mart_funnel_cohort where cohort_month = ?", [month])}


def test_january_cohort_reached_counts_and_rates(dbt_build):
    jan = cohort(dbt_build, date(2024, 1, 1))
    assert list(jan) and all(r["entities_in_cohort"] == 5 for r in jan.values())
    reached = {k: r["reached_count"] for k, r in jan.items()}
    assert reached == {"lead": 5, "qualified": 3, "discovery": 2, "proposal": 2,
                       "negotiation": 2, "won": 1, "repeat": 1}
    assert jan["lead"]["stage_conversion_rate"] == pytest.approx(0.6)
    assert jan["qualified"]["stage_conversion_rate"] == pytest.approx(2 / 3)
    assert jan["negotiation"]["stage_conversion_rate"] == pytest.approx(0.5)
    assert jan["negotiation"]["loss_rate"] == pytest.approx(0.5)  # L3 lost after negotiation
    assert jan["won"]["overall_conversion_rate"] == pytest.approx(0.2)
    assert jan["repeat"]["stage_conversion_rate"] is None
    assert jan["lead"]["stage_label_zh"] == "线索获取"
    assert jan["lead"]["conversion_window_days"] is None


def test_february_cohort_counts_merged_duplicate_once_and_reopened_deal(dbt_build):
    feb = cohort(dbt_build, date(2024, 2, 1))
    reached = {k: r["reached_count"] for k, r in feb.items()}
    # L6 (02-29 20:00 UTC) and L7 (+ its duplicate L8); L7 reached negotiation through re-opened O3
    assert reached == {"lead": 2, "qualified": 1, "discovery": 1, "proposal": 1,
                       "negotiation": 1, "won": 0, "repeat": 0}
    months = [r[0] for r in dbt_build.query("select distinct cohort_month from marts.mart_funnel_cohort order by 1")]
    assert months == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 4, 1), date(2024, 5, 1)]


# --- PII ----------------------------------------------------------------------------------------

PII_VALUES = ["ann@example.com", "Ann@Example.com", "+14155550101", "(415) 555-0101", "Person L1",
              "carl@example.com", "Alice Smith", "alice@corp.com", "Visitor S1", "+8613800138000"]


def test_no_raw_pii_in_any_mart(dbt_build):
    with duckdb.connect(str(dbt_build.warehouse), read_only=True) as con:
        columns = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and data_type = 'VARCHAR'").fetchall()
        assert columns
        placeholders = ",".join("?" for _ in PII_VALUES)
        for table, column in columns:
            found = con.execute(
                f'select count(*) from marts."{table}" where "{column}" in ({placeholders})', PII_VALUES
            ).fetchone()[0]
            assert found == 0, f"PII value in marts.{table}.{column}"


def test_hash_pii_is_keyed_sha256_of_normalized_value(dbt_build):
    expected = hashlib.sha256((fixture_data.PII_KEY + "ann@example.com").encode()).hexdigest()
    got = dbt_build.query(
        "select email_hash from marts.fct_leads where lead_id = 'L1'")
    assert got == [(expected,)]


# --- fct_leads / fct_opportunities ---------------------------------------------------------------

def test_fct_leads_attribution_outcome_and_sla(dbt_build):
    rows = {r["lead_id"]: r for r in dbt_build.query_dicts("select * from marts.fct_leads")}
    assert sorted(rows) == ["L1", "L10", "L2", "L3", "L4", "L5", "L6", "L7", "L9"]  # L8 merged, L11 deleted
    # L1: the webinar response (01-04) precedes the form (01-05): first touch = events / C1
    assert (rows["L1"]["first_touch_channel_key"], rows["L1"]["first_touch_campaign_id"]) == ("events", "C1")
    # L2: linkedin / social form, then the Web lead record
    assert (rows["L2"]["first_touch_channel_key"], rows["L2"]["last_touch_channel_key"]) == ("organic_social", "direct")
    assert rows["L1"]["is_won"] and rows["L1"]["has_reached_repeat"]
    assert rows["L3"]["is_lost"] and rows["L3"]["has_reached_negotiation"] and not rows["L3"]["has_reached_won"]
    assert rows["L4"]["is_lost"] and rows["L4"]["lead_current_stage_key"] == "lost"
    assert not rows["L7"]["is_lost"] and rows["L7"]["merged_lead_count"] == 2  # re-opened O3 is open
    assert rows["L1"]["negotiation_reached_at"] == datetime(2024, 2, 15, 10, 0)  # skipped -> won's time
    sla = {k: (r["hours_to_first_activity"], r["is_contacted_within_sla"]) for k, r in rows.items()
           if k in ("L1", "L2", "L3", "L4", "L5")}
    assert sla == {"L1": (5.0, True), "L2": (48.0, False), "L3": (2.0, True), "L4": (None, False),
                   "L5": (30.0, False)}


def test_fct_opportunities_outcomes(dbt_build):
    rows = {r["opportunity_id"]: r for r in dbt_build.query_dicts("select * from marts.fct_opportunities")}
    assert rows["O3"]["lead_id"] == "L7" and rows["O3"]["was_reopened"] and not rows["O3"]["is_lost"]
    assert rows["O3"]["current_stage_key"] == "negotiation"
    assert rows["O2"]["is_lost"] and rows["O2"]["lost_at"] == datetime(2024, 2, 20, 10, 0)
    assert rows["O1"]["won_at"] == datetime(2024, 2, 15, 10, 0)
    assert rows["O1"]["sales_cycle_days"] == pytest.approx(41.0)  # L1 created 01-05 10:00
    assert rows["O5"]["sales_cycle_days"] == pytest.approx(30 + 14 / 24)  # no lead: from deal creation
    assert rows["O5"]["is_repeat_business"]
    assert rows["O6"]["stage_key"] is None and rows["O6"]["current_stage_key"] == "discovery"


# --- period, velocity, stalled, rep activity ------------------------------------------------------

def test_period_funnel_counts_entries_per_month(dbt_build):
    got = {(r[0], r[1]): (r[2], r[3]) for r in dbt_build.query(
        "select period_month, stage_key, entered_count, entered_by_skip_count from marts.mart_funnel_period")}
    jan, feb, mar, apr = (date(2024, m, 1) for m in (1, 2, 3, 4))
    assert got[(jan, "inquiry")] == (2, 0)
    assert got[(jan, "lead")] == (5, 0)
    assert got[(jan, "qualified")] == (3, 0)
    assert got[(jan, "negotiation")] == (0, 0)
    assert got[(jan, "lost")] == (1, 0)  # L4
    assert got[(feb, "negotiation")] == (2, 1)  # O2 directly, O1 by skip
    assert got[(mar, "discovery")] == (3, 0)  # O3, O4, O5
    assert got[(apr, "repeat")] == (1, 0)  # A1
    assert got[(apr, "lead")] == (1, 0)  # L9


def test_stage_velocity_percentiles(dbt_build):
    row = dbt_build.query_dicts(
        "select * from marts.mart_stage_velocity where entered_month = '2024-01-01' and stage_key = 'proposal'")[0]
    # O1 proposal 26 days, O2 proposal 7 days
    assert row["entry_count"] == 2 and row["median_days_in_stage"] == pytest.approx(16.5)
    assert row["p90_days_in_stage"] == pytest.approx(7 + 0.9 * 19)
    assert dbt_build.query(
        "select count(*) from marts.mart_stage_velocity where stage_key in ('won', 'lost', 'repeat')") == [(0,)]


def test_stalled_opportunities_use_closed_won_p75(dbt_build):
    rows = {r["opportunity_id"]: r for r in dbt_build.query_dicts("select * from marts.mart_stalled_opportunities")}
    assert sorted(rows) == ["O3", "O4", "O6"]  # the open ones
    # closed-won discovery durations: O1 10 d 1 h, O5 30 d 14 h -> p75 = 10.0417 + 0.75 * 20.5417
    o6 = rows["O6"]
    assert o6["stalled_threshold_days"] == pytest.approx(10 + 1 / 24 + 0.75 * (20 + 13 / 24))
    assert o6["is_stalled"] and o6["days_in_current_stage"] == pytest.approx(59 + 14 / 24)
    # nobody ever won through an observed negotiation entry: no basis, not flagged
    assert not rows["O3"]["is_stalled"] and rows["O3"]["stalled_threshold_days"] is None


def test_rep_activity_sla_and_follow_ups(dbt_build):
    got = {(r["aggregation_level"], r["owner_id"] or r["team"]): r for r in dbt_build.query_dicts(
        "select * from marts.mart_rep_activity where period_month = '2024-01-01'")}
    u1, u2 = got[("rep", "u1")], got[("rep", "u2")]
    assert (u1["leads_created_count"], u1["leads_contacted_within_sla_count"]) == (3, 2)
    assert u1["first_contact_sla_rate"] == pytest.approx(2 / 3)
    assert u1["median_hours_to_first_activity"] == pytest.approx(5.0)  # 2, 5, 30
    assert (u1["activity_count"], u1["follow_up_activity_count"]) == (5, 1)
    assert (u2["leads_created_count"], u2["first_contact_sla_rate"], u2["activity_count"]) == (2, 0.0, 1)
    assert got[("team", "East")]["leads_contacted_within_sla_count"] == 2


def test_dimensions(dbt_build):
    assert dbt_build.query("select count(*) from marts.dim_stage") == [(9,)]
    assert dbt_build.query("select count(*) from marts.dim_channel where channel_key = 'other'") == [(1,)]
    assert dbt_build.query(
        "select campaign_key, channel_key, ad_platform from marts.dim_campaign") == [("C1", "events", "google_ads")]
    assert dbt_build.query(
        "select account_id from marts.dim_account where has_repeat_purchase") == [("A1",)]
    assert dbt_build.query(
        "select team from marts.dim_owner where owner_id = 'u1'") == [("East",)]
    assert dbt_build.query(
        "select month_label_zh, iso_day_of_week from marts.dim_date where date_day = '2024-06-30'") == [("2024年6月", 7)]
