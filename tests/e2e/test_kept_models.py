"""Nights that leave dbt models untouched: what is kept, what is rebuilt, and that it is all the same.

orchestration/transform/unchanged.py keeps (leaves out of the night's ``dbt build``) every model
whose code and sources are unchanged since it was built, unless it reads the clock. Three nights on
one out folder, each compared with a build of the same files from scratch (same FUNNEL_AS_OF):

1. the first delivery;
2. an empty night: no new file (same FUNNEL_AS_OF as night 1, so it must publish night 1's marts,
   change no table of the warehouse and carry the unchanged marts over in the publish);
3. a day later only an ad-spend file arrives, and an intermediate table was dropped by hand in
   between (compared with a rebuild from scratch).

Which nodes were kept is read from ``build_state.dbt_node_inputs`` (the run that built each one).
``mart_dq_trends`` holds one row per validation and night by design (tests/e2e/test_two_nights.py).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.build import run_build
from orchestration.generate import generate_delivery
from orchestration.publish.duckdb_file import published_select
from orchestration.settings import load_settings
from orchestration.transform.unchanged import STATE_TABLE
from tests.e2e.compare import differing_marts, published_marts

pytestmark = pytest.mark.e2e
LEADS, SEED, START, MONTHS = 200, 20260811, date(2026, 1, 1), 6
BUILD_HISTORY_MARTS = {"mart_dq_trends"}
# nodes whose tables are functions of the lead, campaign and ad-spend sources alone
LEAD_CHAIN = ("int_leads__merged", "int_leads__resolved", "int_leads__touches", "fct_leads", "stg_crm__leads")
AD_SPEND_CHAIN = ("stg_ads__ad_spend", "int_ad_spend__attributed")


def _build(landing: Path, out: Path, as_of: str):
    settings = load_settings(Path("/nonexistent/funnel.yml"), landing_dir=landing, out_dir=out, as_of=as_of)
    outcome = run_build(settings)
    assert outcome.success, outcome.failures + outcome.failed_checks
    return settings, outcome


def _built_in(settings) -> dict[str, str]:
    """dbt node name -> Dagster run id of the build that made its current table."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return {uid.rsplit(".", 1)[-1]: run for uid, run in con.execute(
            f"select unique_id, run_id from {STATE_TABLE}").fetchall()}


def _warehouse_tables(settings) -> dict[str, tuple]:
    """Row count and sum of row hashes of every table of the warehouse (but the build's own records)."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
            "and table_schema not in ('quality', 'build_state') order by 1, 2").fetchall()
        return {f"{schema}.{name}": con.execute(
            f'select count(*), coalesce(sum(hash(t)), 0) from "{schema}"."{name}" t').fetchone()
            for schema, name in tables}


def _published_vs_warehouse(settings) -> dict:
    """Per published mart: (count, hash sum) in the published file and of the warehouse's published
    columns; and the columns of fct_leads in each (the warehouse also holds internal ones)."""
    out = {}
    with duckdb.connect(str(settings.published), read_only=True) as published, \
            duckdb.connect(str(settings.warehouse), read_only=True) as warehouse:
        database = warehouse.execute("select current_database()").fetchone()[0]
        for (name,) in published.execute(  # tables and views (orchestration/publish/live_views.py)
                "select table_name from information_schema.tables where table_schema = 'marts'").fetchall():
            out[name] = (
                published.execute(f'select count(*), coalesce(sum(hash(t)), 0) from marts."{name}" t').fetchone(),
                warehouse.execute(f"select count(*), coalesce(sum(hash(t)), 0) "
                                  f"from ({published_select(warehouse, database, 'marts', name)}) t").fetchone())
        columns = "select column_name from duckdb_columns() where schema_name = 'marts' and table_name = 'fct_leads'"
        out["fct_leads columns"] = ({c for (c,) in published.execute(columns).fetchall()},
                                    {c for (c,) in warehouse.execute(columns).fetchall()})
    return out


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    root = tmp_path_factory.mktemp("kept")
    landing, out = root / "landing", root / "out"
    generate_delivery(landing, 0, leads=LEADS, seed=SEED, start=START, months=MONTHS)
    first, first_outcome = _build(landing, out, "2026-07-01 02:00:00")
    after_first = _built_in(first)
    first_marts = published_marts(first.published)  # the first night is a build from scratch

    # same "now" as the first night, so the nights must publish the same numbers
    tables_before_empty = _warehouse_tables(first)
    empty, empty_outcome = _build(landing, out, "2026-07-01 02:00:00")
    after_empty = _built_in(empty)
    empty_marts = published_marts(empty.published)
    empty_night = {"tables": (tables_before_empty, _warehouse_tables(empty)),
                   "materializations": empty_outcome.materializations,
                   "published_vs_warehouse": _published_vs_warehouse(empty)}

    ads_only = generate_delivery(landing, 1, leads=LEADS, seed=SEED, start=START, months=MONTHS)
    for path in sorted(ads_only.rglob("*"), reverse=True):
        if path.is_file() and path.name != "google_ads_campaign_daily.csv" and ".truth" not in path.parts:
            path.unlink()
    with duckdb.connect(str(first.warehouse)) as con:
        con.execute('drop table intermediate."int_leads__resolved"')
    ads, ads_outcome = _build(landing, out, "2026-07-02 02:00:00")
    ads_scratch, _ = _build(landing, root / "scratch_ads", "2026-07-02 02:00:00")
    return {"runs": (first_outcome.run_id, empty_outcome.run_id, ads_outcome.run_id),
            "after_first": after_first, "after_empty": after_empty, "after_ads": _built_in(ads),
            "empty": (empty_marts, first_marts), "empty_night": empty_night,
            "ads": (published_marts(ads.published), published_marts(ads_scratch.published))}


def test_the_first_build_records_every_node_it_built(nights):
    first_run = nights["runs"][0]
    assert len(nights["after_first"]) >= 80
    assert set(nights["after_first"].values()) == {first_run}


def test_an_empty_night_keeps_the_lead_chain_and_rebuilds_what_reads_the_clock(nights):
    first_run, empty_run, _ = nights["runs"]
    after = nights["after_empty"]
    kept = {name for name, run in after.items() if run == first_run}
    rebuilt = {name for name, run in after.items() if run == empty_run}
    assert set(LEAD_CHAIN + AD_SPEND_CHAIN) <= kept
    # days in stage and days in the current stage are counted up to "now"; the entries they are
    # counted on (int_stage_events__sequenced) are not
    assert {"fct_stage_events", "fct_opportunities", "mart_stage_velocity"} <= rebuilt
    assert "int_stage_events__sequenced" in kept
    assert "int_opportunities__facts" in kept  # fct_opportunities' facts but the age
    # nothing was delivered, so nothing was validated: the quality results (a source) are unchanged
    assert "mart_dq_trends" in kept
    assert len(kept) >= 50


def test_an_empty_night_publishes_what_the_first_night_published(nights):
    built, scratch = nights["empty"]
    assert sorted(built) == sorted(scratch) and len(built) >= 20
    assert differing_marts(built, scratch, skip=BUILD_HISTORY_MARTS) == {}


def test_an_empty_night_changes_no_table_and_carries_the_unchanged_marts_over(nights):
    before, after = nights["empty_night"]["tables"]
    assert before == after and len(before) >= 50
    # the night's materializations say so: no row came from a new load, no table changed size
    materializations = nights["empty_night"]["materializations"]
    incremental = {k: m for k, m in materializations.items() if "new_rows" in m}
    assert {"staging/base_crm__leads", "staging/stg_forms__submissions"} <= incremental.keys()
    assert all(m["new_rows"] == 0 for m in incremental.values()), incremental
    assert all(m["row_change"] == 0 for m in materializations.values() if "row_change" in m)
    # the publish carried the unchanged marts over from the previous file and its Parquet export,
    # and what BI tools read still equals the warehouse, mart by mart
    assert materializations["publish/funnel_duckdb"]["tables_carried_over"] >= 10
    assert "fct_leads" in materializations["publish/parquet"]["marts_carried_over"]
    compared = dict(nights["empty_night"]["published_vs_warehouse"])
    published_columns, warehouse_columns = compared.pop("fct_leads columns")
    assert {"fct_leads", "fct_stage_events", "mart_funnel_cohort"} <= compared.keys()
    assert {name: pair for name, pair in compared.items() if pair[0] != pair[1]} == {}
    assert warehouse_columns - published_columns == {"_partition_digest"}  # internal, never published


def test_a_new_ad_spend_file_rebuilds_its_chain_and_a_dropped_table_is_rebuilt(nights):
    first_run, _, ads_run = nights["runs"]
    after = nights["after_ads"]
    assert {name: after[name] for name in AD_SPEND_CHAIN} == dict.fromkeys(AD_SPEND_CHAIN, ads_run)
    assert after["int_leads__resolved"] == ads_run  # dropped by hand: rebuilt although unchanged
    assert {name: after[name] for name in ("int_leads__merged", "stg_crm__leads")} == \
        dict.fromkeys(("int_leads__merged", "stg_crm__leads"), first_run)


def test_after_the_ad_spend_night_every_mart_equals_a_rebuild_from_scratch(nights):
    built, scratch = nights["ads"]
    assert differing_marts(built, scratch, skip=BUILD_HISTORY_MARTS) == {}
    # and the new file did reach the marts: campaign performance moved since the empty night
    assert built["mart_campaign_performance"] != nights["empty"][0]["mart_campaign_performance"]
