"""A partition-incremental mart is brought up to date in the published file by replacing only the
rows that differ (orchestration/publish/patching.py).

Each publish is checked against the warehouse row for row (``_same_content``: EXCEPT ALL both ways,
types, independent of the hashes the publisher uses). The rows patched are counted by hand: a
changed row is one deleted and one inserted.
"""

from __future__ import annotations

import json

import duckdb

from orchestration.publish.duckdb_file import publish_marts
from orchestration.publish.patching import PATCH_LIMIT
from tests.publish.test_carry_over import _warehouse

ROWS = 1000
# a partition-incremental mart: one row per lead, with the digest column the warehouse keeps
LEADS = ("select 'L' || range as lead_id, range % 7 as stage_order, 'source ' || (range % 3) as source, "
         "cast(range as hugeint) as _partition_digest from range({rows})")


def _leads(changed: int = 0, rows: int = ROWS, extra: str = "") -> str:
    """LEADS with the first ``changed`` leads' stage_order moved on by 100."""
    return (f"select lead_id, case when cast(substr(lead_id, 2) as integer) < {changed} then stage_order + 100 "
            f"else stage_order end as stage_order, source, _partition_digest "
            f"from ({LEADS.format(rows=rows)}) as leads {extra}")


def _same_content(warehouse, published) -> set[str]:
    """Names of the published marts, after checking each equals the warehouse's published columns
    (all but _partition_digest) row for row, with the same types."""
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as w (read_only)")
    con.execute(f"attach '{published}' as p (read_only)")
    names = {r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = 'p' and schema_name = 'marts'").fetchall()}
    for name in names:
        columns = {db: con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = ? and table_name = ? "
            "and column_name <> '_partition_digest' order by column_index", [db, name]).fetchall()
            for db in ("w", "p")}
        assert columns["w"] == columns["p"], name
        listed = ", ".join(c for c, _ in columns["p"])
        for a, b in (("w", "p"), ("p", "w")):
            missing = con.execute(f"select count(*) from (select {listed} from {a}.marts.{name} except all "
                                  f"select {listed} from {b}.marts.{name})").fetchone()[0]
            assert missing == 0, f"{name}: {missing} rows of {a} not in {b}"
    con.close()
    return names


def _publish(tmp_path, night: int, tables: dict[str, str]):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    _warehouse(wh, tables)
    result = publish_marts(wh, out, f"2026010{night}T000000Z-night")
    assert _same_content(wh, out / "funnel.duckdb") == set(tables)
    return result


def _patched_rows_recorded(tmp_path) -> dict:
    con = duckdb.connect(str(tmp_path / "out" / "funnel.duckdb"), read_only=True)
    try:
        return json.loads(con.execute("select patched_rows from meta.build_info").fetchone()[0])
    finally:
        con.close()


def test_changed_new_and_gone_rows_are_patched_and_the_digest_column_stays_private(tmp_path):
    _publish(tmp_path, 1, {"fct_leads": _leads(), "mart_small": "select 1 as n"})
    # 10 changed leads, 5 new ones (ids L1000..L1004), lead L999 gone
    night2 = (f"select * from ({_leads(changed=10)}) as l where lead_id <> 'L999' union all "
              f"select 'L' || range, 1, 'new', 0 from range({ROWS}, {ROWS + 5})")
    result = _publish(tmp_path, 2, {"fct_leads": night2, "mart_small": "select 1 as n"})
    assert result.patched == {"marts.fct_leads": 10 * 2 + 5 + 1}
    assert result.carried_over == ["marts.mart_small"]
    assert _patched_rows_recorded(tmp_path) == {"marts.fct_leads": 26, "marts.mart_small": 0}
    con = duckdb.connect(str(tmp_path / "out" / "funnel.duckdb"), read_only=True)
    columns = [r[0] for r in con.execute(
        "select column_name from duckdb_columns() where table_name = 'fct_leads'").fetchall()]
    con.close()
    assert "_partition_digest" not in columns


def test_identical_rows_are_counted_not_collapsed(tmp_path):
    twice = f"select * from ({_leads()}) union all select * from ({_leads()}) where lead_id = 'L3'"
    _publish(tmp_path, 1, {"fct_leads": twice})
    # one of the two identical L3 rows goes: both are deleted, one is inserted again
    result = _publish(tmp_path, 2, {"fct_leads": _leads()})
    assert result.patched == {"marts.fct_leads": 3}


def test_a_table_patched_past_the_limit_is_written_whole_and_its_count_restarts(tmp_path):
    budget = int(PATCH_LIMIT * ROWS)  # 250 rows deleted plus inserted since the last full write
    _publish(tmp_path, 1, {"fct_leads": _leads()})
    assert _publish(tmp_path, 2, {"fct_leads": _leads(changed=50)}).patched == {"marts.fct_leads": 100}
    # 50 more changed leads would make 200 tonight, 300 in all: over the budget
    assert 100 + 2 * 100 > budget
    third = _publish(tmp_path, 3, {"fct_leads": _leads(changed=150)})
    assert third.patched == {} and third.carried_over == []
    assert _patched_rows_recorded(tmp_path) == {}
    assert _publish(tmp_path, 4, {"fct_leads": _leads(changed=200)}).patched == {"marts.fct_leads": 100}


def test_a_mart_without_partitions_or_with_other_columns_is_written_whole(tmp_path):
    plain = "select range as id, 'row ' || range as label from range(100)"
    _publish(tmp_path, 1, {"fct_leads": _leads(), "mart_plain": plain})
    retyped = f"select lead_id, cast(stage_order as double) as stage_order, source, _partition_digest from ({_leads()})"
    result = _publish(tmp_path, 2, {"fct_leads": retyped, "mart_plain": plain + " where id > 0"})
    assert result.patched == {}
    assert result.carried_over == []
