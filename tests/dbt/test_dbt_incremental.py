"""Incremental models over event-like data, night by night, against what a full rebuild gives.

Hand-written deliveries (expected values are the delivery facts, not model output):

- night 1 (load-1): lead L1 (created 02-01) has two calls, 03-01 10:00 and 12:00; lead L2 one call
  on 01-10; lead L3; Google Ads spend on 02-01 (100 CNY) and 02-28 (50 CNY); one form submission.
- night 2 (load-2): a late call on L1 at 02-29 09:00 (earlier than both), the 02-28 spend restated
  to 60 CNY, a second submission, and lead L0: same email and company as L1, created 01-25, so L1
  is now a duplicate of L0 (int_leads__merged) and its calls belong to L0; L3 re-delivered deleted;
  L2's first call C1 (01-08, before B1) re-delivered as a call on opportunity O1.

After night 2 the late call must be the first touch and L1's stored calls must have moved to L0
and been renumbered, and B1 must be L2's first touch now that C1 left it; the restated spend must replace the old row; every incremental table must
equal a build of both deliveries from scratch. Then the lookback and backfill mechanics: a stored
row made stale by hand is repaired by a plain night when it is inside the lookback window, only
by a backfill of its dates when it is older, and by a full refresh in any case.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from dbt_harness import DbtBuild, build_night, connect, load_raw, run_dbt

NIGHT_1 = datetime(2024, 3, 2, 2, 0)
NIGHT_2 = datetime(2024, 3, 3, 2, 0)
CNY_TO_USD = 0.14084507042253522  # seed fx_rates, constant rate
INCREMENTAL_MODELS = ["stg_crm__activities", "stg_ads__ad_spend", "stg_forms__submissions", "base_crm__leads",
                      "stg_crm__campaign_members", "int_activities__sequenced"]
SELECTION = ["+int_activities__sequenced", "+int_ad_spend__attributed", "stg_forms__submissions",
             "stg_crm__campaign_members"]


def _lineage(load: str, night: datetime, row: int) -> dict:
    return {"_source_system": "test", "_source_file": f"{load}/file.csv", "_source_row": row,
            "_load_id": load, "_loaded_at": night}


def _call(activity_id: str, at: datetime, load: str, night: datetime, row: int, lead: str = "L1") -> dict:
    return {"activity_id": activity_id, "entity_type": "lead", "entity_id": lead, "activity_type": "call",
            "occurred_at": at, "owner_id": "u1", **_lineage(load, night, row)}


def _spend(day: date, amount: float, load: str, night: datetime, row: int) -> dict:
    return {"platform": "google_ads", "account_id": "123", "campaign_id": "c1", "campaign_name": "Spring Sale",
            "ad_group": None, "date": day, "impressions": 1000, "clicks": 10, "spend": amount, "currency": "CNY",
            **_lineage(load, night, row)}


def _submission(submission_id: str, at: datetime, load: str, night: datetime, row: int) -> dict:
    return {"submission_id": submission_id, "email": f"{submission_id.lower()}@example.com", "form_name": "Demo",
            "submitted_at": at, **_lineage(load, night, row)}


def _member(member_id: str | None, lead: str, status: str, load: str, night: datetime, row: int) -> dict:
    return {"member_id": member_id, "campaign_id": "c1", "lead_id": lead, "status": status,
            "has_responded": status == "Responded", "created_at": datetime(2024, 2, 1), **_lineage(load, night, row)}


def _lead(lead_id: str, email: str, created: datetime, load: str, night: datetime, row: int,
          deleted: bool = False) -> dict:
    return {"lead_id": lead_id, "email": email, "company": "Acme", "status": "Open", "created_at": created,
            "is_deleted": deleted, **_lineage(load, night, row)}


NIGHT_1_ROWS = {
    "crm_leads": [_lead("L1", "l1@example.com", datetime(2024, 2, 1), "load-1", NIGHT_1, 1),
                  _lead("L2", "l2@example.com", datetime(2024, 1, 5), "load-1", NIGHT_1, 2),
                  _lead("L3", "l3@example.com", datetime(2024, 1, 6), "load-1", NIGHT_1, 3)],
    "crm_activities": [_call("A1", datetime(2024, 3, 1, 10), "load-1", NIGHT_1, 1),
                       _call("A2", datetime(2024, 3, 1, 12), "load-1", NIGHT_1, 2),
                       _call("B1", datetime(2024, 1, 10, 9), "load-1", NIGHT_1, 3, lead="L2"),
                       _call("C1", datetime(2024, 1, 8, 9), "load-1", NIGHT_1, 4, lead="L2")],
    "ad_spend": [_spend(date(2024, 2, 1), 100.0, "load-1", NIGHT_1, 1),
                 _spend(date(2024, 2, 28), 50.0, "load-1", NIGHT_1, 2)],
    "form_submissions": [_submission("S1", datetime(2024, 2, 20), "load-1", NIGHT_1, 1)],
    "crm_campaign_members": [_member("M1", "L1", "Sent", "load-1", NIGHT_1, 1),
                             _member(None, "L2", "Sent", "load-1", NIGHT_1, 2)],
}
NIGHT_2_ROWS = {
    "crm_leads": [_lead("L0", "l1@example.com", datetime(2024, 1, 25), "load-2", NIGHT_2, 1),
                  _lead("L3", "l3@example.com", datetime(2024, 1, 6), "load-2", NIGHT_2, 2, deleted=True)],
    "crm_activities": [_call("A0", datetime(2024, 2, 29, 9), "load-2", NIGHT_2, 1),
                       {**_call("C1", datetime(2024, 1, 8, 9), "load-2", NIGHT_2, 2),
                        "entity_type": "opportunity", "entity_id": "O1"}],
    "ad_spend": [_spend(date(2024, 2, 28), 60.0, "load-2", NIGHT_2, 1)],
    "form_submissions": [_submission("S2", datetime(2024, 3, 2, 8), "load-2", NIGHT_2, 1)],
    # a nightly snapshot: both memberships again, L2's (keyed campaign|lead) now responded
    "crm_campaign_members": [_member("M1", "L1", "Sent", "load-2", NIGHT_2, 1),
                             _member(None, "L2", "Responded", "load-2", NIGHT_2, 2)],
}


def _dbt(build: DbtBuild, *extra: str, night: datetime, dbt_vars: dict | None = None,
         select: list[str] = SELECTION) -> None:
    build_night(build, *extra, night=night, select=select, dbt_vars=dbt_vars)


def _table(build: DbtBuild, model: str) -> list[tuple]:
    schema = "intermediate" if model.startswith("int_") else "staging"
    return sorted(build.query(f"select * exclude (_loaded_at) from {schema}.{model}"), key=repr)


def _spend_rows(build: DbtBuild) -> dict[date, tuple[float, float]]:
    return {d: (amount, rate) for d, amount, rate in build.query(
        "select spend_date, spend_amount, fx_rate_to_base from intermediate.int_ad_spend__attributed")}


def _touches(build: DbtBuild) -> dict[str, tuple[str, int]]:
    return {a: (entity, n) for a, entity, n in build.query(
        "select activity_id, entity_id, touch_number from intermediate.int_activities__sequenced")}


def _make_stale(build: DbtBuild, activity_id: str) -> None:
    with connect(build.warehouse) as con:
        con.execute("update intermediate.int_activities__sequenced set touch_number = 99 where activity_id = ?",
                    [activity_id])


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> dict[str, DbtBuild]:
    root = tmp_path_factory.mktemp("incremental")
    builds = {name: DbtBuild(warehouse=root / f"{name}.duckdb", target_path=root / f"target_{name}")
              for name in ("nightly", "scratch")}
    nightly, scratch = builds["nightly"], builds["scratch"]
    load_raw(nightly.warehouse, NIGHT_1_ROWS)
    _dbt(nightly, night=NIGHT_1)
    load_raw(nightly.warehouse, NIGHT_2_ROWS)
    _dbt(nightly, night=NIGHT_2)
    load_raw(scratch.warehouse, NIGHT_1_ROWS)
    load_raw(scratch.warehouse, NIGHT_2_ROWS)
    _dbt(scratch, night=NIGHT_2)
    return builds


def test_the_second_night_equals_a_rebuild_of_both_deliveries(nights):
    for model in INCREMENTAL_MODELS:
        assert _table(nights["nightly"], model) == _table(nights["scratch"], model), model


def test_a_re_delivered_membership_replaces_the_stored_one(nights):
    rows = nights["nightly"].query(
        "select member_key, member_status, has_responded, _load_id from staging.stg_crm__campaign_members order by 1")
    assert rows == [("M1", "sent", False, "load-2"), ("c1|L2|", "responded", True, "load-2")]


def test_a_lead_deleted_on_the_second_night_is_kept_flagged_in_base_and_gone_from_staging(nights):
    nightly = nights["nightly"]
    assert nightly.query("select lead_id, is_deleted, _load_id from staging.base_crm__leads order by 1") == [
        ("L0", False, "load-2"), ("L1", False, "load-1"), ("L2", False, "load-1"), ("L3", True, "load-2")]
    assert [r for (r,) in nightly.query("select lead_id from staging.stg_crm__leads order by 1")] == ["L0", "L1", "L2"]


def test_a_late_activity_and_a_lead_merge_renumber_the_records(nights):
    assert _touches(nights["nightly"]) == {"A0": ("L0", 1), "A1": ("L0", 2), "A2": ("L0", 3), "B1": ("L2", 1),
                                           "C1": ("O1", 1)}
    follow_ups = dict(nights["nightly"].query(
        "select activity_id, is_follow_up from intermediate.int_activities__sequenced"))
    assert follow_ups == {"A0": False, "A1": True, "A2": True, "B1": False, "C1": False}


def test_a_restated_day_of_spend_replaces_the_stored_row(nights):
    rows = _spend_rows(nights["nightly"])
    assert rows == {date(2024, 2, 1): (100.0, CNY_TO_USD), date(2024, 2, 28): (60.0, CNY_TO_USD)}
    stored_loads = nights["nightly"].query("select spend_date, _load_id from staging.stg_ads__ad_spend order by 1")
    assert stored_loads == [(date(2024, 2, 1), "load-1"), (date(2024, 2, 28), "load-2")]


def test_the_second_night_reads_only_the_new_loads(nights):
    """The staged rows of load-1 were written on night 1 and not rewritten on night 2: DuckDB gives
    rows it appends after existing ones higher rowids, so night 1's rows keep the lowest ones."""
    rows = [a for a, _ in nights["nightly"].query(
        "select activity_id, rowid from staging.stg_crm__activities order by rowid")]
    assert set(rows[:3]) == {"A1", "A2", "B1"} and set(rows[3:]) == {"A0", "C1"}  # C1 re-delivered


def test_lookback_then_backfill_then_full_refresh(nights):
    """A2 (03-01) is within 3 days of the newest stored activity, B1 (01-10) is not."""
    nightly = nights["nightly"]
    correct = _touches(nightly)
    activities_only = ["int_activities__sequenced"]
    _make_stale(nightly, "A2")
    _make_stale(nightly, "B1")
    _dbt(nightly, night=NIGHT_2, select=activities_only)  # a night with no new loads
    assert _touches(nightly) == {**correct, "B1": ("L2", 99)}
    _dbt(nightly, night=NIGHT_2, select=activities_only,
         dbt_vars={"backfill_from": "2024-01-01", "backfill_to": "2024-01-31"})
    assert _touches(nightly) == correct
    _make_stale(nightly, "B1")
    _dbt(nightly, "--full-refresh", night=NIGHT_2, select=activities_only)
    assert _touches(nightly) == correct
    # a table stored by the version without crm_entity_id: a plain night renumbers it whole
    _make_stale(nightly, "B1")
    with connect(nightly.warehouse) as con:
        con.execute("alter table intermediate.int_activities__sequenced drop column crm_entity_id")
    _dbt(nightly, night=NIGHT_2, select=activities_only)
    assert _touches(nightly) == correct
    assert nightly.query("select crm_entity_id, entity_id from intermediate.int_activities__sequenced "
                         "where activity_id = 'A1'") == [("L1", "L0")]  # the CRM's lead, merged into L0


def test_a_backfill_date_that_is_not_a_date_is_refused_before_any_sql(nights):
    proc = run_dbt(["build", "--select", "int_activities__sequenced", "--vars",
                    json.dumps({"backfill_from": "2024-02-01'; drop table raw.ad_spend; --",
                                "backfill_to": "2024-02-07"})],
                   warehouse=nights["nightly"].warehouse, target_path=nights["nightly"].target_path)
    assert proc.returncode != 0
    assert "backfill dates must be YYYY-MM-DD" in proc.stdout + proc.stderr
    assert nights["nightly"].query("select count(*) from raw.ad_spend") == [(3,)]
    assert len(_touches(nights["nightly"])) == 5


def test_a_pinned_now_that_is_not_a_date_time_is_refused_before_any_sql(nights):
    """FUNNEL_AS_OF comes from the environment and is written into the SQL of the clock readers."""
    proc = run_dbt(["build", "--select", "fct_stage_events"], warehouse=nights["nightly"].warehouse,
                   target_path=nights["nightly"].target_path, as_of="2024-02-01'; drop table raw.ad_spend; --")
    assert proc.returncode != 0
    assert "as_of must be YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS], got 2024-02-01'; drop" in proc.stdout + proc.stderr
    assert nights["nightly"].query("select count(*) from raw.ad_spend") == [(3,)]
