"""A small private warehouse whose marts exercise every publish path, with numbers known in advance.

- The report's marts in the shapes the report reads (the funnel numbers below are the expected
  values the browser test looks for in the rendered charts).
- ``fct_type_zoo``: every column type and awkward value a copy can get wrong — quotes, commas,
  newlines, empty vs null strings, ``\\N``, unicode, NaN/±inf, decimals, hugeint, timestamps with
  and without time zone, intervals, uuids, blobs, lists, structs, JSON, a column name with quotes.
- ``raw``/``staging`` schemas with PII that must never be published.
- ``fct_event_ages``: a view over ``intermediate.int_event_entries`` (744 - i hours open at "now").
"""

from __future__ import annotations

from pathlib import Path

import duckdb

STAGES = [  # key, order, en, zh, reached per cohort month (Jan, Feb)
    ("lead", 2, "Lead", "线索获取", (400, 300)),
    ("qualified", 3, "Qualified (MQL/SQL)", "初步筛选", (200, 120)),
    ("discovery", 4, "Needs discovery", "需求沟通", (90, 60)),
    ("proposal", 5, "Proposal", "方案提供", (50, 33)),
    ("negotiation", 6, "Negotiation", "商务谈判", (30, 21)),
    ("won", 7, "Closed won", "成交签约", (12, 9)),
]
MONTHS = ("2026-01-01", "2026-02-01")
EXPECTED_REACHED = [sum(s[4]) for s in STAGES]  # what the funnel chart must show, stage by stage
TRICKY_CAMPAIGN = "</script><img src=x onerror=alert(1)> 春季 \"promo\""

TYPE_ZOO = """
create table marts.fct_type_zoo as
select * from (values
  (1, 'plain', 'a,"b"', 12.34::decimal(18,2), 12345678901234567890123456789012345678::hugeint,
   18446744073709551615::ubigint, 0.1::double, 1.5::float, date '2026-01-31', time '13:45:00.123456',
   timestamp '2026-01-31 23:59:59.999999', timestamptz '2026-01-31 23:30:00+08', interval 3 day + interval 4 hour,
   '6a1b3f7e-0c4b-4e2a-9d6f-6a3f2b1c0d9e'::uuid, '\\xDE\\xAD\\x00\\xBE'::blob, [1, 2, 3], {'k': 'v', 'n': 7},
   '{"a": [1, {"b": null}]}'::json, true, 'multi
line', '线索获取 ✓'),
  (2, '', '', -0.01::decimal(18,2), -5::hugeint, 0::ubigint, 'nan'::double, '-inf'::float, date '1970-01-01',
   time '00:00:00', timestamp '1999-12-31 00:00:00', timestamptz '2000-01-01 00:00:00+00', interval 0 second,
   '00000000-0000-0000-0000-000000000000'::uuid, ''::blob, [], {'k': '', 'n': 0}, '[]'::json, false, '\\N', 'back\\slash'),
  (3, null, null, null, null, null, 'inf'::double, null, null, null, null, null, null, null, null, null, null,
   null, null, null, '"quoted" ; drop table x; --'),
  (4, ' lead ', '''single''', 99999999.99::decimal(18,2), 0::hugeint, 1::ubigint, 1e-300::double, 3.4e38::float,
   date '2099-12-31', time '23:59:59', timestamp '2026-06-30 12:00:00.5', timestamptz '2026-06-30 12:00:00.5-05',
   interval 1 millisecond, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid, 'abc'::blob, [null, 5], {'k': null, 'n': null},
   'null'::json, null, 'tab\there', 'emoji 🚀')
) t(id, label, quoted, amount, huge, ubig, dbl, flt, d, tm, ts, tstz, iv, uid, bin, list_col, struct_col,
    json_col, flag, multiline, "Weird ""col"", name")
"""


def create_private_warehouse(path: Path, *, build_tag: str = "b1", extra_rows: int = 0) -> None:
    """Write the fixture warehouse at ``path`` (replacing it). ``extra_rows`` enlarges fct_events."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute("set TimeZone = 'UTC'")
    con.execute("create schema raw; create table raw.crm_leads as select 'alice@example.com' as email, '+8613800000000' as phone")
    con.execute("create schema staging; create table staging.stg_crm__leads as select 'alice@example.com' as email")
    con.execute("create schema marts")
    con.execute("create table marts.dim_stage (stage_key varchar, stage_order integer, stage_label_en varchar, stage_label_zh varchar)")
    con.executemany("insert into marts.dim_stage values (?, ?, ?, ?)", [s[:4] for s in STAGES])
    con.execute("""create table marts.mart_funnel_cohort (cohort_month date, stage_order integer, stage_key varchar,
        stage_label_en varchar, stage_label_zh varchar, entities_in_cohort bigint, reached_count bigint,
        stage_conversion_rate double, overall_conversion_rate double, loss_rate double, conversion_window_days integer)""")
    for m, month in enumerate(MONTHS):
        first = STAGES[0][4][m]
        for i, (key, order, en, zh, reached) in enumerate(STAGES):
            nxt = STAGES[i + 1][4][m] if i + 1 < len(STAGES) else None
            con.execute("insert into marts.mart_funnel_cohort values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null)",
                        [month, order, key, en, zh, first, reached[m], nxt / reached[m] if nxt is not None else None,
                         reached[m] / first, (reached[m] - nxt) / reached[m] if nxt is not None else None])
    con.execute("""create table marts.mart_stage_velocity as
        select month::date as entered_month, stage_order, stage_key, stage_label_en, stage_label_zh,
               100::bigint as entry_count, 80::bigint as exited_count, 20::bigint as still_in_stage_count,
               stage_order * 2.5 as median_days_in_stage, stage_order * 4.0 as p75_days_in_stage,
               stage_order * 6.0 as p90_days_in_stage, stage_order * 3.0 as avg_days_in_stage
        from marts.dim_stage, (values ('2026-01-01'), ('2026-02-01')) m(month) where stage_key <> 'won'""")
    con.execute("""create table marts.mart_conversion_by_dimension as
        select date '2026-02-01' as period_month, 'lead_to_qualified' as metric_key, dim as dimension_name,
               val as dimension_value, n::bigint as entities_count, c::bigint as converted_count,
               c / n as conversion_rate, c / n - 0.05 as rate_ci_low, c / n + 0.05 as rate_ci_high,
               case when c / n < 0.3 then 'high' else 'low' end as priority
        from (values ('channel', 'paid_search', 200, 80), ('channel', 'organic', 150, 30), ('region', 'East', 180, 60),
                     ('region', 'West', 170, 50)) v(dim, val, n, c)""")
    con.execute("""create table marts.mart_stage_loss_reasons as
        select date '2026-02-01' as period_month, s.stage_key, s.stage_order, s.stage_label_en, s.stage_label_zh,
               r.reason as loss_reason, r.n::bigint * s.stage_order as reason_lost_count
        from marts.dim_stage s, (values ('price/budget', 9), ('competition', 5), ('no decision', 3), (null, 1)) r(reason, n)
        where s.stage_key in ('qualified', 'proposal')""")
    con.execute("create table marts.mart_campaign_performance (campaign_name varchar, period_month date, "
                "spend_amount double, revenue_amount double)")
    con.executemany("insert into marts.mart_campaign_performance values (?, ?, ?, ?)", [
        ("Spring search", "2026-01-01", 1000.0, 3000.0), ("Spring search", "2026-02-01", 1000.0, 1000.0),
        ("Spring search", None, 2000.0, 4000.0),  # total row: must not be double counted
        (TRICKY_CAMPAIGN, "2026-01-01", 500.0, 250.0)])
    con.execute("""create table marts.mart_alerts as select date '2026-02-01' as period_month, 'win_rate_low' as rule_key,
        'Win rate below 30%' as rule_label_en, '赢单率低于30%' as rule_label_zh, 0.21 as observed_value,
        0.30 as threshold_value, 'channel = organic' as top_root_cause""")
    con.execute("""create table marts.mart_root_cause as select date '2026-02-01' as period_month,
        'lead_to_qualified' as metric_key, 'channel' as dimension_name, 'organic' as dimension_value,
        -0.042 as contribution, true as is_significant""")
    con.execute(f"""create table marts.fct_events as select i as event_id, '{build_tag}' as build_tag,
        date '2026-01-01' + (i % 180)::integer as event_date, (i * 7 % 1000) / 10.0 as amount
        from range({100 + extra_rows}) r(i)""")
    con.execute(TYPE_ZOO)
    # a mart that is a view over a table of another schema, with a "now" literal (as fct_stage_events):
    # published as that view over a copy of the table (orchestration/publish/live_views.py)
    con.execute("create schema intermediate")
    con.execute("create table intermediate.int_event_entries as select i as entry_id, "
                "timestamp '2026-01-01' + to_hours(i) as entered_at from range(100) r(i)")
    con.execute("create view marts.fct_event_ages as with entries as (select * from intermediate.int_event_entries) "
                "select entry_id, date_diff('hour', entered_at, timestamp '2026-02-01') as hours_open from entries")
    con.close()


def write_dbt_manifest(path: Path) -> None:
    """A minimal dbt manifest with descriptions for two fixture marts (what Postgres comments copy)."""
    import json

    path.write_text(json.dumps({"nodes": {
        "model.x.mart_funnel_cohort": {"resource_type": "model", "schema": "marts", "name": "mart_funnel_cohort",
                                       "description": "Grain: one row per cohort month × stage. 队列漏斗",
                                       "columns": {"reached_count": {"description": "Leads that reached the stage. 到达数"}}},
        "model.x.fct_type_zoo": {"resource_type": "model", "schema": "marts", "name": "fct_type_zoo",
                                 "description": "Every type; it's \"quoted\".",
                                 "columns": {'Weird "col", name': {"description": "A column name with quotes."}}},
        "model.x.stg": {"resource_type": "model", "schema": "staging", "name": "stg_crm__leads", "description": "no"},
    }}), encoding="utf-8")


def create_tagged_warehouse(path: Path, tag: str, rows: int) -> None:
    """A two-mart warehouse for repeated-publish tests: every row carries the build's ``tag``."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute("create schema raw; create table raw.crm_leads as select 'alice@example.com' as email")
    con.execute("create schema marts")
    con.execute(f"""create table marts.fct_events as select i as event_id, '{tag}' as build_tag,
        date '2026-01-01' + (i % 180)::integer as event_date from range({rows}) r(i)""")
    con.execute(f"create table marts.dim_tag as select '{tag}' as build_tag, {rows} as event_count")
    con.close()
