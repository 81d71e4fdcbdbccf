"""``marts.mart_root_cause``: the decomposition and the ranked root-cause candidates, as one table.

Grain: one row per (metric, period_from, period_to, row_type, dimension_1, value_1, dimension_2,
value_2, kind), where (period_from, period_to) are consecutive periods of that metric:

* ``row_type = 'decomposition'``: one row per dimension value, with its exact symmetric mix/rate
  split; per (metric, period pair, dimension_1), Σ(mix_effect + rate_effect) = overall_rate_change.
  dimension_2/value_2, rank, kind, q_value and is_significant are null; p_value is the value's
  own pooled two-proportion z-test of its rate change, uncorrected.
* ``row_type = 'candidate'``: the ranked causes (rank 1 = largest |contribution|), single values or
  value pairs (dimension_2/value_2 set), kind 'rate' or 'mix'. Only present when the change is
  significant (is_change_significant). A rate candidate's counts exclude the rows of rate
  candidates selected before it (the search removes a cause's rows before looking further).

Columns (en / zh):
  row_type 行类型, metric 指标, period_from 基期, period_to 对比期, rank 排名, kind 类型 (rate 转化率 | mix 结构),
  dimension_1 维度1, value_1 取值1, dimension_2 维度2, value_2 取值2,
  denominator_before/_after 分母(基期/对比期), numerator_before/_after 分子,
  share_before/_after 分母占比, rate_before/_after 转化率,
  expected_denominator 预期分母 (mix rows: the value's volume had it grown like its dimension's median),
  expected_numerator 预期分子 (rate rows: before-rate, shrunk and adjusted for composition, × after-volume),
  contribution 贡献 (rate: numerator − expected; mix: conversions the excess volume added vs the rest's rate),
  explanatory_power 解释力 (Adtributor, ratio form), surprise 意外度 (Jensen–Shannon, bits),
  mix_effect 结构效应, rate_effect 转化率效应 (symmetric decomposition, in rate points),
  p_value, q_value (Benjamini–Hochberg), is_significant 是否显著,
  overall_denominator_before/_after, overall_rate_before/_after 整体转化率, overall_rate_change 整体变化,
  overall_p_value 整体变化 p 值 (the smaller of the raw two-proportion test and the test net of mix),
  segment_p_value 细分变化 p 值 (smallest candidate p-value × number of candidates, capped at 1),
  is_change_significant 变化是否显著 (overall_p_value ≤ gate_alpha or segment_p_value ≤ segment_gate_alpha:
  the gate; when false there are no candidate rows for the pair).

The function is pure over a connection: it reads one table and (re)writes one table in one
transaction, so a Dagster asset can call it right after dbt builds the leaf-counts model.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Sequence

import duckdb
import numpy as np
import pandas as pd

from orchestration.sql import quote_ident

from .decomposition import decompose_pair
from .explain import RootCauseConfig, explain_pair
from .leaves import DEFAULT_COLUMNS, CountColumns, iter_period_pairs

TABLE_NAME = "mart_root_cause"

# (name, type); PERIOD and COUNT are replaced by the source's period type and BIGINT/DOUBLE.
MART_COLUMNS: tuple[tuple[str, str], ...] = (
    ("row_type", "VARCHAR"), ("metric", "VARCHAR"), ("period_from", "PERIOD"), ("period_to", "PERIOD"),
    ("rank", "INTEGER"), ("kind", "VARCHAR"),
    ("dimension_1", "VARCHAR"), ("value_1", "VARCHAR"), ("dimension_2", "VARCHAR"), ("value_2", "VARCHAR"),
    ("denominator_before", "COUNT"), ("numerator_before", "COUNT"),
    ("denominator_after", "COUNT"), ("numerator_after", "COUNT"),
    ("share_before", "DOUBLE"), ("share_after", "DOUBLE"), ("rate_before", "DOUBLE"), ("rate_after", "DOUBLE"),
    ("expected_denominator", "DOUBLE"), ("expected_numerator", "DOUBLE"),
    ("contribution", "DOUBLE"), ("explanatory_power", "DOUBLE"), ("surprise", "DOUBLE"),
    ("mix_effect", "DOUBLE"), ("rate_effect", "DOUBLE"),
    ("p_value", "DOUBLE"), ("q_value", "DOUBLE"), ("is_significant", "BOOLEAN"),
    ("overall_denominator_before", "COUNT"), ("overall_denominator_after", "COUNT"),
    ("overall_rate_before", "DOUBLE"), ("overall_rate_after", "DOUBLE"), ("overall_rate_change", "DOUBLE"),
    ("overall_p_value", "DOUBLE"), ("segment_p_value", "DOUBLE"), ("is_change_significant", "BOOLEAN"),
)
COUNT_COLUMNS = tuple(name for name, kind in MART_COLUMNS if kind == "COUNT")
INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                 "UBIGINT", "UHUGEINT"}


@dataclass(frozen=True)
class RootCauseBuild:
    """What a materialization reports: rows written and how many period pairs changed."""

    table: str
    rows: int
    decomposition_rows: int
    candidate_rows: int
    period_pairs: int
    period_pairs_with_change: int


def qualified_name(name: str) -> str:
    """Quote a possibly schema-qualified table name (``schema.table`` or ``db.schema.table``)."""
    parts = name.split(".")
    if not 1 <= len(parts) <= 3 or any(not p for p in parts):
        raise ValueError(f"table name {name!r} is not [database.][schema.]table")
    return ".".join(quote_ident(p) for p in parts)


def _source_types(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    rows = con.execute(f"describe select * from {source}").fetchall()
    return {row[0]: str(row[1]).upper() for row in rows}


def _mart_frame(con, source: str, dims: list[str], columns: CountColumns, config: RootCauseConfig) -> tuple[pd.DataFrame, int, int]:
    select = ", ".join(quote_ident(c) for c in (columns.metric, columns.period, *dims,
                                                columns.denominator, columns.numerator))
    counts = con.execute(f"select {select} from {source}").df()
    frames, pairs, changed = [], 0, 0
    for pair in iter_period_pairs(counts, dims, columns):
        pairs += 1
        result = explain_pair(pair, config)
        overall = result.overall
        changed += bool(overall.gate_passed)
        decomposition = decompose_pair(pair).rename(columns={"dimension": "dimension_1", "value": "value_1"})
        decomposition["row_type"] = "decomposition"
        candidates = result.candidates.copy()
        candidates["row_type"] = "candidate"
        for frame in (decomposition, candidates):
            if not len(frame):
                continue
            frame["overall_denominator_before"] = overall.entities_before
            frame["overall_denominator_after"] = overall.entities_after
            frame["overall_rate_before"] = overall.rate_before
            frame["overall_rate_after"] = overall.rate_after
            frame["overall_rate_change"] = overall.rate_after - overall.rate_before
            frame["overall_p_value"] = overall.p_value
            frame["segment_p_value"] = overall.p_value_segments
            frame["is_change_significant"] = bool(overall.gate_passed)
            frames.append(frame)
    names = [name for name, _ in MART_COLUMNS]
    if not frames:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in names}), pairs, changed
    out = pd.concat(frames, ignore_index=True).reindex(columns=names)
    return out.astype(object).where(out.notna(), None), pairs, changed


def build_root_cause_tables(con: duckdb.DuckDBPyConnection, source_table: str, out_schema: str = "marts", *,
                            dimensions: Sequence[str] | None = None, columns: CountColumns = DEFAULT_COLUMNS,
                            config: RootCauseConfig | None = None, table_name: str = TABLE_NAME) -> RootCauseBuild:
    """Read leaf counts from ``source_table`` and (re)write ``<out_schema>.mart_root_cause``.

    ``source_table``: one row per (metric, period, dimension values...) leaf with denominator and
    numerator columns (names in ``columns``). ``dimensions`` defaults to every other column of the
    source. Periods are compared in sort order of the period column (dates or 'YYYY-MM' strings
    both sort correctly). The write is one transaction: readers see the old table or the new one.
    """
    config = config or RootCauseConfig()
    source = qualified_name(source_table)
    types = _source_types(con, source)
    dims = list(dimensions) if dimensions is not None else [c for c in types if c not in columns.reserved]
    missing = [c for c in (*columns.reserved, *dims) if c not in types]
    if missing:
        raise ValueError(f"{source_table} lacks column(s) {missing}; it has {list(types)}. "
                         "Pass dimensions=... / columns=CountColumns(...) to name them.")
    frame, pairs, changed = _mart_frame(con, source, dims, columns, config)

    period_type = types[columns.period]
    count_type = "BIGINT" if {types[columns.denominator], types[columns.numerator]} <= INTEGER_TYPES else "DOUBLE"
    resolved = [(name, period_type if kind == "PERIOD" else count_type if kind == "COUNT" else kind)
                for name, kind in MART_COLUMNS]
    target = f"{quote_ident(out_schema)}.{quote_ident(table_name)}"
    ddl = ",\n    ".join(f"{quote_ident(name)} {kind}" for name, kind in resolved)
    select = ", ".join(
        f"cast({'round(' + quote_ident(name) + ')' if kind == 'BIGINT' else quote_ident(name)} as {kind})"
        for name, kind in resolved)
    view = f"_root_cause_rows_{uuid.uuid4().hex}"
    con.register(view, frame)
    try:
        con.execute("begin transaction")
        try:
            con.execute(f"create schema if not exists {quote_ident(out_schema)}")
            con.execute(f"create or replace table {target} (\n    {ddl}\n)")
            if len(frame):
                con.execute(f"insert into {target} select {select} from {quote_ident(view)}")
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    finally:
        con.unregister(view)
    kinds = frame["row_type"].to_numpy() if len(frame) else np.array([])
    return RootCauseBuild(table=f"{out_schema}.{table_name}", rows=len(frame),
                          decomposition_rows=int((kinds == "decomposition").sum()),
                          candidate_rows=int((kinds == "candidate").sum()),
                          period_pairs=pairs, period_pairs_with_change=changed)
