"""mart_root_cause on generated vendor exports, through ingest and dbt, against the planted truth.

The generator's scenario `mix_shift` plants two changes at once from its drop month (May 2026):
Paid Search leads qualify at 0.6× their rate (a rate change of one segment), and Paid Social's
lead volume doubles while its rates stay put (a pure mix shift). The engine must name the first as
the top rate cause of the lead→qualified change and must not call the second a rate cause. Only
the dbt models upstream of the leaf counts are built (no data tests); the e2e test builds all.
"""

from __future__ import annotations


import pytest

from orchestration.analysis import build_root_cause_tables
from orchestration.generate import generate
from orchestration.ingest.run import ingest_landing
from orchestration.warehouse import connect

from dbt_harness import run_dbt

AS_OF = "2026-07-01 00:00:00"


@pytest.fixture(scope="module")
def root_cause(tmp_path_factory):
    root = tmp_path_factory.mktemp("root_cause_generated")
    landing, warehouse = root / "landing", root / "warehouse.duckdb"
    truth = generate(landing, leads=15000, seed=5, scenario="mix_shift")
    con = connect(warehouse)
    try:
        report = ingest_landing(con, landing)
        assert not report.errors, report.summary()
    finally:
        con.close()
    proc = run_dbt(["build", "--select", "+int_root_cause__leaves", "--resource-type", "seed", "snapshot", "model"], warehouse=warehouse, target_path=root / "target", as_of=AS_OF)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    con = connect(warehouse)
    try:
        build_root_cause_tables(con, "intermediate.int_root_cause__leaves", "marts")
        cur = con.execute(
            "select * from marts.mart_root_cause where row_type = 'candidate' and metric = 'lead_to_qualified' "
            "and period_to = date '2026-05-01' order by rank")
        names = [d[0] for d in cur.description]
        candidates = [dict(zip(names, row)) for row in cur.fetchall()]
        compared = {(m, p.isoformat()) for m, p in con.execute(
            "select distinct metric, period_to from marts.mart_root_cause").fetchall()}
    finally:
        con.close()
    return truth, candidates, compared


def test_the_planted_drop_month_is_where_the_change_is(root_cause):
    truth, _, _ = root_cause
    assert truth["planted_drop"]["first_month_after"] == "2026-05"
    assert truth["planted_drop"]["lead_source"] == "Paid Search"
    assert truth["planted_drop"]["transition"] == "lead->qualified"


def test_the_planted_segment_is_the_top_rate_cause(root_cause):
    _, candidates, _ = root_cause
    rate = [c for c in candidates if c["kind"] == "rate"]
    assert rate, f"no rate candidate for lead_to_qualified in May: {candidates}"
    top = rate[0]
    assert (top["dimension_1"], top["value_1"]) == ("channel", "paid_search"), rate[:3]
    assert top["contribution"] < 0


def test_the_doubled_channel_is_not_reported_as_a_rate_cause(root_cause):
    _, candidates, _ = root_cause
    as_rate = [c for c in candidates if c["kind"] == "rate" and "paid_social" in (c["value_1"], c["value_2"])]
    assert not as_rate, as_rate


def test_the_immature_newest_cohort_is_not_compared(root_cause):
    """June's leads had at most 30 days to qualify by July 1st: comparing them reads as a drop."""
    truth, _, compared = root_cause
    assert truth["parameters"]["export_at"].startswith("2026-07-01")
    assert ("lead_to_qualified", "2026-05-01") in compared
    assert ("lead_to_qualified", "2026-06-01") not in compared
    assert ("win_rate", "2026-06-01") in compared  # deals closed in June are complete: not a cohort
