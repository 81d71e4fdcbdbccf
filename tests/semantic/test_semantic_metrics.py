"""MetricFlow metrics (dbt_project/models/semantic) queried with `mf` on DuckDB equal the marts."""

from __future__ import annotations

import csv
import time
from datetime import date, datetime

import duckdb
import pytest

METRICS = [
    "leads", "qualified_leads", "lead_to_qualified_rate",
    "opportunities", "won_opportunities", "closed_opportunities", "win_rate", "pipeline_amount",
]


def _month(value: str) -> date:
    return datetime.fromisoformat(value).date().replace(day=1)


def _num(value: str) -> float | None:
    return None if value in ("", "None", "nan") else float(value)


@pytest.fixture(scope="module")
def monthly(semantic_warehouse, tmp_path_factory) -> dict[date, dict[str, float | None]]:
    """One `mf query` for every metric by metric_time__month (one CLI start-up)."""
    out = tmp_path_factory.mktemp("mf") / "metrics.csv"
    started = time.monotonic()
    proc = semantic_warehouse.mf("query", "--metrics", ",".join(METRICS),
                                 "--group-by", "metric_time__month", "--csv", str(out))
    seconds = time.monotonic() - started
    assert proc.returncode == 0 and out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    print(f"dbt build {semantic_warehouse.build_seconds:.1f}s, mf query {seconds:.1f}s")
    with out.open() as f:
        return {_month(r["metric_time__month"]): {m: _num(r[m]) for m in METRICS} for r in csv.DictReader(f)}


def _sql(semantic_warehouse, sql: str) -> list[tuple]:
    with duckdb.connect(str(semantic_warehouse.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def _metric(monthly, name: str) -> dict[date, float]:
    return {m: v[name] for m, v in monthly.items() if v[name] is not None and v[name] != 0}


def test_lead_metrics_equal_mart_funnel_cohort(semantic_warehouse, monthly):
    rows = _sql(semantic_warehouse, """
        select cohort_month, stage_key, reached_count, stage_conversion_rate
        from marts.mart_funnel_cohort where stage_key in ('lead', 'qualified')""")
    reached = {(m, s): n for m, s, n, _ in rows}
    rate = {m: r for m, s, _, r in rows if s == "lead"}
    months = sorted({m for m, _, _, _ in rows})
    assert months, "fixture has no cohorts"

    assert _metric(monthly, "leads") == {m: reached[(m, "lead")] for m in months if reached[(m, "lead")]}
    assert _metric(monthly, "qualified_leads") == {
        m: reached[(m, "qualified")] for m in months if reached[(m, "qualified")]}
    for m in months:
        assert monthly[m]["lead_to_qualified_rate"] == pytest.approx(rate[m]), m
    assert sum(_metric(monthly, "leads").values()) == _sql(
        semantic_warehouse, "select count(*) from marts.fct_leads")[0][0]


def test_opportunity_metrics_equal_fct_opportunities(semantic_warehouse, monthly):
    created = dict(_sql(semantic_warehouse, """
        select created_month, count(*) from marts.fct_opportunities group by 1"""))
    assert _metric(monthly, "opportunities") == created

    # METRICS.md win rate: won / (won + lost) among deals closed in the month (fct_opportunities' example)
    closed = {m: (won, n) for m, won, n in _sql(semantic_warehouse, """
        select cast(date_trunc('month', case when is_won then won_at when is_lost then lost_at end) as date),
               count(*) filter (where is_won), count(*)
        from marts.fct_opportunities where is_won or is_lost group by 1""")}
    assert closed, "fixture has no closed deals"
    assert _metric(monthly, "won_opportunities") == {m: won for m, (won, _) in closed.items() if won}
    assert _metric(monthly, "closed_opportunities") == {m: n for m, (_, n) in closed.items()}
    for m, (won, n) in closed.items():
        assert monthly[m]["win_rate"] == pytest.approx(won / n), m

    pipeline = dict(_sql(semantic_warehouse, """
        select created_month, sum(amount) from marts.fct_opportunities
        where not is_closed and amount is not null group by 1"""))
    assert _metric(monthly, "pipeline_amount") == pytest.approx({m: v for m, v in pipeline.items() if v})


def test_campaign_metrics_equal_mart_campaign_performance(semantic_warehouse):
    out = semantic_warehouse.project.parent / "campaign.csv"
    metrics = ["spend", "campaign_won_customers", "campaign_revenue", "cac", "roas"]
    proc = semantic_warehouse.mf("query", "--metrics", ",".join(metrics),
                                 "--group-by", "metric_time__month", "--csv", str(out))
    assert proc.returncode == 0 and out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    with out.open() as f:
        got = {_month(r["metric_time__month"]): {m: _num(r[m]) for m in metrics} for r in csv.DictReader(f)}
    rows = _sql(semantic_warehouse, """
        select period_month, sum(spend_base_amount), sum(won_count), sum(revenue_base_amount)
        from marts.mart_campaign_performance
        where attribution_model = 'first_touch' and not is_total group by 1""")
    assert rows, "fixture has no campaign rows"
    assert set(got) == {m for m, *_ in rows}
    for m, spend, won, revenue in rows:
        assert got[m]["spend"] == pytest.approx(spend), m
        assert (got[m]["campaign_won_customers"] or 0) == won, m
        assert (got[m]["campaign_revenue"] or 0) == pytest.approx(revenue), m
        assert got[m]["cac"] == (pytest.approx(spend / won) if won else None), m
        assert got[m]["roas"] == (pytest.approx(revenue / spend) if spend else None), m
