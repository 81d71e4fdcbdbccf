"""run_quality_suite on hand-made deliveries: every expected count below is counted by hand."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from dq_helpers import ALL_TABLES, NOW, good_row, insert_delivery, record_manifest

from orchestration.quality.suites import load_suite

FILE = "landing/2025-06-30/export.csv"


def deliver(con, table, rows, load_id="load-new", source_file=FILE, **kw):
    insert_delivery(con, table, rows, load_id=load_id, source_file=source_file, **kw)
    return [load_id]


def good_rows(table, n=4):
    return [good_row(table, i) for i in range(n)]


# --- a clean delivery ------------------------------------------------------------------------


@pytest.mark.parametrize("table", ALL_TABLES)
def test_clean_delivery_passes_every_expectation(con, run, table):
    ids = deliver(con, table, good_rows(table))
    result = run(table, ids)
    assert [r.message for r in result.failures] == []
    assert result.passed and result.severity is None
    assert result.row_count == 4 and result.source_files == (FILE,)
    assert len(result.results) == len(load_suite(table).expectations)
    stored = con.execute(
        "select count(*), bool_and(success) from quality.dq_results where run_id = 'run-1' and table_name = ?", [table]
    ).fetchone()
    assert stored == (len(result.results), True)


# --- one broken delivery per critical, row-level expectation ------------------------------------
# (table, expectation name, {row index: column overrides}, unexpected rows counted by hand)

FUTURE = NOW + timedelta(days=3)  # beyond the 24 h tolerance
OLD = datetime(1999, 12, 31)

ROW_CASES = [
    ("crm_leads", "lead_id_not_null", {1: {"lead_id": None}}, 1),
    ("crm_leads", "lead_id_unique_within_delivery", {0: {"lead_id": "DUP"}, 3: {"lead_id": "DUP"}}, 2),
    ("crm_leads", "created_at_not_null", {2: {"created_at": None, "converted_at": None}}, 1),
    ("crm_leads", "created_at_in_date_range", {0: {"created_at": OLD}, 1: {"created_at": FUTURE, "converted_at": None}}, 2),
    ("crm_leads", "email_well_formed", {3: {"email": "person3.example.com"}}, 1),
    ("crm_opportunities", "opportunity_id_not_null", {0: {"opportunity_id": None}}, 1),
    ("crm_opportunities", "opportunity_id_unique_within_delivery", {1: {"opportunity_id": "O0"}}, 2),
    ("crm_opportunities", "created_at_not_null", {1: {"created_at": None}}, 1),
    ("crm_opportunities", "created_at_in_date_range", {2: {"created_at": datetime(1970, 1, 1), "close_date": None}}, 1),
    ("crm_opportunities", "amount_non_negative", {0: {"amount": -100.0}, 2: {"amount": -0.01}}, 2),
    ("crm_opportunities", "currency_iso_4217", {0: {"currency": "usd"}, 1: {"currency": "XXX"}, 2: {"currency": "EURO"}}, 3),
    ("crm_opportunities", "probability_between_0_and_100", {0: {"probability": 150.0}, 3: {"probability": -1.0}}, 2),
    ("crm_stage_history", "entity_type_not_null", {0: {"entity_type": None}}, 1),
    ("crm_stage_history", "entity_type_known", {1: {"entity_type": "deal"}}, 1),
    ("crm_stage_history", "entity_id_not_null", {2: {"entity_id": None}}, 1),
    ("crm_stage_history", "stage_not_null", {3: {"stage": None}}, 1),
    ("crm_stage_history", "entered_at_not_null", {0: {"entered_at": None}}, 1),
    ("crm_stage_history", "history_id_unique_within_delivery", {0: {"history_id": "H9"}, 1: {"history_id": "H9"}, 2: {"history_id": "H9"}}, 3),
    ("crm_stage_history", "entered_at_in_date_range", {1: {"entered_at": OLD, "exited_at": None}}, 1),
    ("crm_stage_history", "amount_non_negative", {1: {"amount": -1.0}}, 1),
    ("crm_stage_history", "probability_between_0_and_100", {1: {"probability": 100.5}}, 1),
    ("crm_accounts", "account_id_not_null", {0: {"account_id": None}, 1: {"account_id": None}}, 2),
    ("crm_accounts", "account_id_unique_within_delivery", {2: {"account_id": "A0"}}, 2),
    ("crm_users", "user_id_not_null", {3: {"user_id": None}}, 1),
    ("crm_users", "user_id_unique_within_delivery", {0: {"user_id": "U1"}, 2: {"user_id": "U3"}}, 4),
    ("crm_activities", "activity_id_not_null", {1: {"activity_id": None}}, 1),
    ("crm_activities", "activity_id_unique_within_delivery", {3: {"activity_id": "T2"}}, 2),
    ("crm_activities", "occurred_at_not_null", {0: {"occurred_at": None}}, 1),
    ("crm_activities", "occurred_at_not_before_floor", {0: {"occurred_at": OLD}}, 1),
    ("crm_campaigns", "campaign_id_not_null", {0: {"campaign_id": None}}, 1),
    ("crm_campaigns", "campaign_id_unique_within_delivery", {1: {"campaign_id": "C0"}}, 2),
    ("crm_campaigns", "budget_non_negative", {1: {"budget": -5.0}}, 1),
    ("crm_campaigns", "actual_cost_non_negative", {1: {"actual_cost": -5.0}, 2: {"actual_cost": -6.0}}, 2),
    ("crm_campaigns", "currency_iso_4217", {3: {"currency": "US$"}}, 1),
    ("crm_campaign_members", "campaign_id_not_null", {2: {"campaign_id": None}}, 1),
    ("crm_campaign_members", "member_id_unique_within_delivery", {2: {"member_id": "M3"}}, 2),
    ("form_submissions", "submission_id_not_null", {0: {"submission_id": None}}, 1),
    ("form_submissions", "submission_id_unique_within_delivery", {0: {"submission_id": "S1"}}, 2),
    ("form_submissions", "submitted_at_not_null", {3: {"submitted_at": None}}, 1),
    ("form_submissions", "submitted_at_in_date_range", {3: {"submitted_at": FUTURE}}, 1),
    ("ad_spend", "platform_not_null", {0: {"platform": None}}, 1),
    ("ad_spend", "campaign_name_not_null", {1: {"campaign_name": None}}, 1),
    # same platform, campaign, ad group and day twice (null ad groups compare equal)
    ("ad_spend", "row_key_unique_within_delivery",
     {0: {"campaign_name": "Brand", "ad_group": None, "date": date(2025, 3, 1)},
      1: {"campaign_name": "Brand", "ad_group": None, "date": date(2025, 3, 1)}}, 2),
    ("ad_spend", "date_in_date_range", {2: {"date": date(1999, 1, 1)}}, 1),
    ("ad_spend", "spend_non_negative", {2: {"spend": -12.5}}, 1),
    ("ad_spend", "impressions_non_negative", {2: {"impressions": -1, "clicks": None}}, 1),
    ("ad_spend", "clicks_non_negative", {2: {"clicks": -1}}, 1),
    ("ad_spend", "clicks_not_above_impressions", {3: {"impressions": 10, "clicks": 11}}, 1),
    ("ad_spend", "currency_iso_4217", {0: {"currency": "RMB"}}, 1),
]


def test_row_cases_cover_every_critical_row_level_expectation():
    covered = {(t, n) for t, n, _, _ in ROW_CASES} | {(t, n) for t, n, *_ in TYPE_CASES}
    covered |= {(t, "columns_present") for t, _ in DROP_CASES}
    critical = {(t, s.name) for t in ALL_TABLES for s in load_suite(t).expectations if s.severity == "critical"}
    assert critical - covered == set()


@pytest.mark.parametrize(("table", "name", "overrides", "expected"), ROW_CASES, ids=[f"{c[0]}.{c[1]}" for c in ROW_CASES])
def test_broken_delivery_fails_the_right_critical_expectation(con, run, table, name, overrides, expected):
    rows = good_rows(table)
    for i, change in overrides.items():
        rows[i].update(change)
    result = run(table, deliver(con, table, rows))

    assert not result.passed and result.severity == "critical"
    r = result.result(name)
    assert r.severity == "critical" and not r.success
    assert r.unexpected_count == expected
    assert r.element_count == 4
    assert f"{name} (critical) failed on export.csv: {expected} of 4 rows unexpected" in r.message
    assert name in result.description and "export.csv" in result.description
    assert [f.name for f in result.critical_failures] == [name]


# --- schema: types and columns ----------------------------------------------------------------
# (table, expectation, column, DuckDB type the column is altered to, observed pandas type)
TYPE_CASES = [
    ("crm_leads", "lead_id_typed", "lead_id", "BIGINT", "int64"),
    ("crm_leads", "created_at_typed", "created_at", "VARCHAR", "str"),
    ("crm_opportunities", "opportunity_id_typed", "opportunity_id", "BIGINT", "int64"),
    ("crm_opportunities", "created_at_typed", "created_at", "VARCHAR", "str"),
    ("crm_stage_history", "entity_type_typed", "entity_type", "BIGINT", "int64"),
    ("crm_stage_history", "entity_id_typed", "entity_id", "BIGINT", "int64"),
    ("crm_stage_history", "stage_typed", "stage", "BIGINT", "int64"),
    ("crm_stage_history", "entered_at_typed", "entered_at", "VARCHAR", "str"),
    ("crm_accounts", "account_id_typed", "account_id", "BIGINT", "int64"),
    ("crm_users", "user_id_typed", "user_id", "BIGINT", "int64"),
    ("crm_activities", "activity_id_typed", "activity_id", "BIGINT", "int64"),
    ("crm_activities", "occurred_at_typed", "occurred_at", "VARCHAR", "str"),
    ("crm_campaigns", "campaign_id_typed", "campaign_id", "BIGINT", "int64"),
    ("crm_campaign_members", "campaign_id_typed", "campaign_id", "BIGINT", "int64"),
    ("form_submissions", "submission_id_typed", "submission_id", "BIGINT", "int64"),
    ("form_submissions", "submitted_at_typed", "submitted_at", "VARCHAR", "str"),
    ("ad_spend", "platform_typed", "platform", "BIGINT", "int64"),
    ("ad_spend", "campaign_name_typed", "campaign_name", "BIGINT", "int64"),
]


@pytest.mark.parametrize(("table", "name", "column", "new_type", "observed"), TYPE_CASES, ids=[f"{c[0]}.{c[1]}" for c in TYPE_CASES])
def test_column_of_the_wrong_type_fails(con, run, table, name, column, new_type, observed):
    con.execute(f'alter table raw."{table}" alter "{column}" type {new_type}')
    rows = good_rows(table)
    for i, row in enumerate(rows):
        if new_type == "BIGINT":
            row[column] = 100 + i
    result = run(table, deliver(con, table, rows))
    r = result.result(name)
    assert not r.success and r.is_critical and not result.passed
    assert r.observed_value == observed
    assert "export.csv" in r.message and name in r.message


DROP_CASES = [(t, c) for t, c in [
    ("crm_leads", "title"), ("crm_opportunities", "product"), ("crm_stage_history", "exited_at"),
    ("crm_accounts", "segment"), ("crm_users", "team"), ("crm_activities", "activity_type"),
    ("crm_campaigns", "channel"), ("crm_campaign_members", "contact_id"), ("form_submissions", "referrer"),
    ("ad_spend", "account_id"),
]]


@pytest.mark.parametrize(("table", "column"), DROP_CASES)
def test_missing_column_fails_columns_present(con, run, table, column):
    con.execute(f'alter table raw."{table}" drop column "{column}"')
    rows = [{k: v for k, v in r.items() if k != column} for r in good_rows(table)]
    result = run(table, deliver(con, table, rows))
    r = result.result("columns_present")
    assert not r.success and not result.passed
    assert r.observed_value["details"]["mismatched"]["missing"] == [column]
    assert {f.name for f in result.critical_failures} == {"columns_present"}


# --- warnings, samples, chunks, load ids --------------------------------------------------------


def test_warning_failure_is_recorded_and_does_not_block(con, run):
    rows = good_rows("crm_leads")
    rows[1]["phone"] = "call me"  # 1 of 4 malformed: 25% > 5% allowed
    result = run("crm_leads", deliver(con, "crm_leads", rows), run_id="run-w")
    r = result.result("phone_well_formed")
    assert not r.success and r.severity == "warning" and r.unexpected_count == 1
    assert result.passed and result.severity == "warning" and result.critical_failures == ()
    assert [w.name for w in result.warnings] == ["phone_well_formed"]
    stored = con.execute(
        "select severity, success, unexpected_count, element_count, load_ids, source_files, sample_values, message "
        "from quality.dq_results where run_id = 'run-w' and expectation = 'phone_well_formed'"
    ).fetchall()
    assert stored == [("warning", False, 1, 4, ["load-new"], [FILE], ["***"], r.message)]


def test_rerun_with_same_run_id_replaces_its_rows(con, run):
    ids = deliver(con, "crm_users", good_rows("crm_users"))
    run("crm_users", ids, run_id="r")
    result = run("crm_users", ids, run_id="r")
    n = con.execute("select count(*) from quality.dq_results where run_id = 'r'").fetchone()[0]
    assert n == len(result.results)


@pytest.mark.parametrize("engine", ["gx", "sql"])
def test_uniqueness_and_counts_span_chunk_boundaries(con, run, expectations_copy, engine):
    exp = expectations_copy(chunk=("chunk_rows: 50000", "chunk_rows: 2"))
    rows = good_rows("crm_leads", 20)
    rows[0]["lead_id"] = rows[19]["lead_id"] = "SAME"  # chunk 1 and chunk 10
    rows[4]["lead_id"] = None  # chunk 3
    rows[9]["lead_id"] = None  # chunk 5
    rows[12]["email"] = "not-an-email"  # 1 of 20 = 5%: within mostly 0.95 overall, though 50% of its chunk
    result = run("crm_leads", deliver(con, "crm_leads", rows), expectations_dir=exp, engine=engine)
    assert result.chunk_count == (10 if engine == "gx" else 0)  # the SQL engine reads no chunks
    unique = result.result("lead_id_unique_within_delivery")
    assert (unique.success, unique.unexpected_count) == (False, 2)
    assert unique.sample_values == ("SAME ×2",) and unique.sample_locations == ("export.csv:1 and export.csv:20",)
    not_null = result.result("lead_id_not_null")
    assert (not_null.unexpected_count, not_null.element_count) == (2, 20)
    email = result.result("email_well_formed")
    assert email.success and email.unexpected_count == 1 and email.unexpected_percent == pytest.approx(5.0)


def test_pii_samples_are_masked_everywhere(con, run):
    rows = good_rows("crm_leads")
    rows[0]["email"] = "john.doe@example"  # no dot in the domain
    rows[1]["email"] = "jane smith@example.com"  # a space
    rows[2]["phone"] = "4155550199 please"
    result = run("crm_leads", deliver(con, "crm_leads", rows))
    email = result.result("email_well_formed")
    assert email.unexpected_count == 2
    assert set(email.sample_values) == {"j***@example", "j***@example.com"}
    assert result.result("phone_well_formed").sample_values == ("***99",)
    secrets = ["john.doe", "jane smith", "4155550199"]
    stored = json.dumps(con.execute("select * from quality.dq_results").fetchall(), default=str)
    for text in [result.message, json.dumps(result.to_metadata(), default=str), result.to_markdown(), stored]:
        assert not any(s in text for s in secrets)


def test_unknown_stage_values_are_listed_by_name(con, run):
    rows = good_rows("crm_opportunities", 6)
    rows[0]["stage"] = "  closed won "  # trimmed, case-insensitive: known
    rows[1]["stage"] = "Legal Review"
    rows[2]["stage"] = "Legal Review"
    rows[3]["stage"] = "Verbal Yes"
    rows[4]["stage"] = "NEGOTIATION/REVIEW"  # mapped for any source system ('*')
    result = run("crm_opportunities", deliver(con, "crm_opportunities", rows))
    r = result.result("stage_in_stage_mapping")
    assert not r.success and r.severity == "warning" and result.passed
    assert r.unexpected_count == 3
    assert [u["value"] for u in r.observed_value["unknown_values"]] == ["Legal Review", "Verbal Yes"]
    assert "'Legal Review' (opportunity, salesforce) ×2" in r.message and "'Verbal Yes'" in r.message


def test_stage_values_are_mapped_per_source_system(con, run):
    rows = good_rows("crm_opportunities", 2)  # 'Prospecting' is mapped for salesforce only
    result = run("crm_opportunities", deliver(con, "crm_opportunities", rows, source_system="hubspot"))
    assert result.result("stage_in_stage_mapping").unexpected_count == 2


def test_stage_history_uses_each_rows_entity_type(con, run):
    rows = good_rows("crm_stage_history", 3)
    rows[0].update(entity_type="lead", stage="Working - Contacted")  # a lead status: known for leads
    rows[1].update(entity_type="lead", stage="Prospecting")  # an opportunity stage: unknown for leads
    result = run("crm_stage_history", deliver(con, "crm_stage_history", rows))
    r = result.result("stage_in_stage_mapping")
    assert r.unexpected_count == 1 and r.observed_value["unknown_values"][0]["entity_type"] == "lead"


def test_missing_seed_is_reported(con, run, tmp_path):
    result = run("crm_leads", deliver(con, "crm_leads", good_rows("crm_leads")), seeds_dir=tmp_path / "nowhere")
    r = result.result("status_in_stage_mapping")
    assert not r.success and r.error and "stage_mapping.csv" in r.error and "not found" in r.error
    assert "could not be evaluated" in r.message
    assert result.passed  # a warning


def test_only_the_given_load_ids_are_validated(con, run):
    old = good_rows("crm_leads")
    old[0]["lead_id"] = None
    old[1]["lead_id"] = old[2]["lead_id"] = "L2"
    old[3]["created_at"] = OLD
    insert_delivery(con, "crm_leads", old, load_id="load-old", source_file="landing/old.csv",
                    loaded_at=datetime(2025, 6, 29, 2))
    new = good_rows("crm_leads")  # L0..L3 again: same ids as the old delivery is fine
    result = run("crm_leads", deliver(con, "crm_leads", new))
    assert result.passed and result.failures == ()
    assert result.row_count == 4 and result.source_files == (FILE,)
    assert run("crm_leads", ["load-old"], run_id="run-old").passed is False


def test_a_delivery_of_several_files(con, run):
    insert_delivery(con, "crm_leads", good_rows("crm_leads", 2), load_id="a", source_file="landing/a.csv")
    b = [good_row("crm_leads", i) for i in (1, 5)]  # L1 again, in the other file
    insert_delivery(con, "crm_leads", b, load_id="b", source_file="landing/b.csv")
    result = run("crm_leads", ["a", "b"])
    r = result.result("lead_id_unique_within_delivery")
    assert r.unexpected_count == 2 and r.sample_locations == ("a.csv:2 and b.csv:1",)
    assert "a.csv, b.csv" in r.message
    assert result.source_files == ("landing/a.csv", "landing/b.csv")


def test_successive_snapshots_in_dated_folders_may_repeat_ids(con, run):
    """A rebuild from scratch validates every night's full export at once: that is not a duplicate."""
    insert_delivery(con, "crm_leads", good_rows("crm_leads", 3), load_id="n1",
                    source_file="landing/2026-07-01/salesforce/Lead.csv")
    insert_delivery(con, "crm_leads", good_rows("crm_leads", 3), load_id="n2",
                    source_file="landing/2026-08-01/salesforce/Lead.csv")
    result = run("crm_leads", ["n1", "n2"])
    assert result.result("lead_id_unique_within_delivery").unexpected_count == 0
    assert result.passed
    twice = [good_row("crm_leads", i) for i in (0, 0)]  # but twice in one night's export still fails
    insert_delivery(con, "crm_leads", twice, load_id="n3", source_file="landing/2026-09-01/salesforce/Lead.csv")
    r = run("crm_leads", ["n1", "n2", "n3"], run_id="run-2").result("lead_id_unique_within_delivery")
    assert r.unexpected_count == 2 and r.sample_locations == ("Lead.csv:1 and Lead.csv:2",)


def test_volume_band_against_history(con, run):
    for day, n in [(25, 100), (26, 120), (27, 80), (28, 100)]:
        record_manifest(con, "crm_accounts", f"h{day}", f"landing/{day}/Account.csv", n, datetime(2025, 6, day, 2))
    # a corrected re-delivery of the same file on the 28th replaced the first one: counted once
    record_manifest(con, "crm_accounts", "h28-old", "landing/28/Account.csv", 5000, datetime(2025, 6, 28, 1), status="replaced")
    record_manifest(con, "crm_accounts", "h-failed", "landing/x/Account.csv", 9000, datetime(2025, 6, 28, 3), status="unchanged")
    small = run("crm_accounts", deliver(con, "crm_accounts", good_rows("crm_accounts", 4)))
    r = small.result("row_count_within_history_band")
    assert not r.success and r.severity == "warning" and small.passed
    assert r.observed_value["median"] == 100 and r.observed_value["band"] == [50, 200]
    assert [h["rows"] for h in r.observed_value["history"]] == [100, 80, 120, 100]


def test_volume_band_needs_history(con, run):
    record_manifest(con, "crm_users", "h1", "landing/Users.csv", 1000, datetime(2025, 6, 20))
    result = run("crm_users", deliver(con, "crm_users", good_rows("crm_users")))
    r = result.result("row_count_within_history_band")
    assert r.success and "not judged" in r.observed_value["note"]


def test_volume_band_passes_within_band(con, run):
    for day in (26, 27, 28):
        record_manifest(con, "crm_users", f"h{day}", f"landing/{day}/Users.csv", 4, datetime(2025, 6, day))
    result = run("crm_users", deliver(con, "crm_users", good_rows("crm_users")))
    assert result.result("row_count_within_history_band").success


@pytest.mark.parametrize("engine", ["gx", "sql"])
def test_empty_delivery_still_checks_the_schema(con, run, engine):
    result = run("crm_campaign_members", ["no-such-load"], engine=engine)
    assert result.row_count == 0 and result.chunk_count == (1 if engine == "gx" else 0)
    assert result.passed
    assert result.result("columns_present").success


def test_metadata_is_json_and_names_failures(con, run):
    rows = good_rows("crm_opportunities")
    rows[0]["amount"] = -1.0
    result = run("crm_opportunities", deliver(con, "crm_opportunities", rows))
    meta = json.loads(json.dumps(result.to_metadata()))
    assert meta["passed"] is False and meta["critical_failures"] == ["amount_non_negative"]
    assert meta["failed"]["amount_non_negative"]["unexpected_count"] == 1
    assert meta["failed"]["amount_non_negative"]["sample_values"] == ["-1"]
    assert "**FAIL**" in meta["summary"]


def test_no_load_ids_is_an_error(con, run):
    with pytest.raises(ValueError, match="no load ids"):
        run("crm_leads", [])
