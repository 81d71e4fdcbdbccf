"""build_root_cause_tables: reads a leaf-counts table through DuckDB and writes marts.mart_root_cause."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from orchestration.analysis import MART_COLUMNS, build_root_cause_tables
from orchestration.analysis.scenarios import generate_scenario


@pytest.fixture
def con():
    c = duckdb.connect(":memory:")
    yield c
    c.close()


def _load(con, frame: pd.DataFrame, name: str) -> None:
    con.register("_frame", frame)
    con.execute(f"create table {name} as select * from _frame")
    con.unregister("_frame")


def _counts() -> tuple[pd.DataFrame, list]:
    changed = generate_scenario(11, volume=20_000, n_dims=4, n_periods=3, n_rate_causes=(1, 1), pair_probability=0.0,
                                drop=(0.6, 0.7))
    quiet = generate_scenario(12, volume=5_000, n_dims=4, n_periods=2, n_rate_causes=(0, 0),
                              metric="qualified_to_opportunity")
    quiet.counts.columns = changed.counts.columns  # same dimension names, other values do not matter
    return pd.concat([changed.counts, quiet.counts], ignore_index=True), changed.rate_causes


def test_writes_both_row_types_with_the_documented_columns(con):
    counts, causes = _counts()
    _load(con, counts, "leaf_counts")
    build = build_root_cause_tables(con, "leaf_counts")
    columns = [row[0] for row in con.execute("describe marts.mart_root_cause").fetchall()]
    assert columns == [name for name, _ in MART_COLUMNS]
    assert build.period_pairs == 3  # two pairs for the changed metric, one for the quiet one
    assert build.period_pairs_with_change == 1
    top = con.execute("""select metric, period_from, period_to, kind, dimension_1, value_1, dimension_2
                         from marts.mart_root_cause where row_type = 'candidate' and rank = 1""").fetchall()
    (planted,) = causes
    ((dim, value),) = planted.segment
    assert top == [("lead_to_qualified", "2026-03", "2026-04", "rate", dim, value, None)]
    assert con.execute("select count(*) from marts.mart_root_cause where row_type = 'candidate' "
                       "and metric = 'qualified_to_opportunity'").fetchone() == (0,)
    worst = con.execute("""
        select max(abs(total - change)) from (
            select sum(mix_effect + rate_effect) as total, any_value(overall_rate_change) as change
            from marts.mart_root_cause where row_type = 'decomposition'
            group by metric, period_from, dimension_1)""").fetchone()[0]
    assert worst <= 1e-9
    assert build.rows == con.execute("select count(*) from marts.mart_root_cause").fetchone()[0]


def test_identifiers_are_quoted_and_types_follow_the_source(con):
    counts, _ = _counts()
    first, second = counts.columns[2:4]
    counts = counts.rename(columns={first: 'lead "source"; drop', second: "Industry Name"})
    counts["period"] = pd.to_datetime(counts["period"] + "-01").dt.date
    con.execute('create schema "odd schema"')
    _load(con, counts, '"odd schema"."leaf counts"')
    build_root_cause_tables(con, "odd schema.leaf counts", out_schema="bi marts")
    types = dict(con.execute('select column_name, data_type from information_schema.columns '
                             "where table_schema = 'bi marts' and table_name = 'mart_root_cause'").fetchall())
    assert types["period_from"] == "DATE" and types["denominator_before"] == "BIGINT"
    dims = {r[0] for r in con.execute('select distinct dimension_1 from "bi marts".mart_root_cause').fetchall()}
    assert {'lead "source"; drop', "Industry Name"} <= dims


def test_rebuild_replaces_and_an_empty_source_gives_an_empty_table(con):
    counts, _ = _counts()
    _load(con, counts, "leaf_counts")
    build_root_cause_tables(con, "leaf_counts")
    con.execute("delete from leaf_counts")
    build = build_root_cause_tables(con, "leaf_counts")
    assert build.rows == 0
    assert con.execute("select count(*) from marts.mart_root_cause").fetchone() == (0,)


def test_explicit_dimensions_and_a_missing_column_message(con):
    counts, _ = _counts()
    _load(con, counts.assign(note="ignored"), "leaf_counts")
    chosen = list(counts.columns[2:4])
    build = build_root_cause_tables(con, "leaf_counts", dimensions=chosen)
    assert {r[0] for r in con.execute("select distinct dimension_1 from marts.mart_root_cause").fetchall()} == set(chosen)
    assert build.rows > 0
    with pytest.raises(ValueError, match="lacks column"):
        build_root_cause_tables(con, "leaf_counts", dimensions=[chosen[0], "no_such_column"])


def test_impossible_counts_are_refused_with_the_offending_row(con):
    bad = pd.DataFrame({"metric": ["m", "m"], "period": ["2026-03", "2026-04"], "channel": ["Web", "Web"],
                        "denominator": [10, 10], "numerator": [3, 12]})
    _load(con, bad, "leaf_counts")
    with pytest.raises(ValueError, match="numerator > denominator.*period='2026-04'"):
        build_root_cause_tables(con, "leaf_counts")
