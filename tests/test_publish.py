"""The published file: marts only, atomic swap, kept versions and rollback."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.publish.duckdb_file import publish_marts
from orchestration.publish.versions import list_versions, published_build_id, rollback


def _private_warehouse(path, n_rows: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema raw; create table raw.crm_leads as select 'a@x.com' as email")
    con.execute("create schema staging; create table staging.stg as select 1 as x")
    con.execute(f"create schema marts; create table marts.mart_funnel_cohort as select range as n from range({n_rows})")
    con.close()


def test_publish_copies_only_the_marts_and_build_info(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _private_warehouse(wh, 3)
    result = publish_marts(wh, tmp_path / "out", "20260101T000000Z-aaaa")
    con = duckdb.connect(str(result.path), read_only=True)
    tables = {(s, t) for s, t in con.execute("select table_schema, table_name from information_schema.tables").fetchall()}
    assert tables == {("marts", "mart_funnel_cohort"), ("meta", "build_info")}
    assert con.execute("select count(*) from marts.mart_funnel_cohort").fetchone()[0] == 3
    assert result.tables == {"marts.mart_funnel_cohort": 3}
    con.close()
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_each_publish_keeps_the_previous_version_and_rollback_restores_it(tmp_path):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    _private_warehouse(wh, 3)
    publish_marts(wh, out, "20260101T000000Z-first")
    wh.unlink()
    _private_warehouse(wh, 5)
    result = publish_marts(wh, out, "20260102T000000Z-second")
    assert published_build_id(out / "funnel.duckdb") == "20260102T000000Z-second"
    assert [p.name for p in list_versions(out)] == ["funnel-20260101T000000Z-first.duckdb"]
    assert result.previous_version == out / "versions" / "funnel-20260101T000000Z-first.duckdb"
    restored = rollback(out)
    assert restored.name == "funnel-20260101T000000Z-first.duckdb"
    assert published_build_id(out / "funnel.duckdb") == "20260101T000000Z-first"


def test_old_versions_are_pruned_to_keep_versions(tmp_path):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    _private_warehouse(wh, 1)
    for day in range(1, 6):
        publish_marts(wh, out, f"2026010{day}T000000Z-b{day}", keep_versions=2)
    assert [p.name for p in list_versions(out)] == ["funnel-20260104T000000Z-b4.duckdb", "funnel-20260103T000000Z-b3.duckdb"]


def test_a_reader_holding_the_old_file_keeps_reading_it_during_a_swap(tmp_path):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    _private_warehouse(wh, 3)
    publish_marts(wh, out, "20260101T000000Z-first")
    reader = duckdb.connect(str(out / "funnel.duckdb"), read_only=True)
    wh.unlink()
    _private_warehouse(wh, 7)
    publish_marts(wh, out, "20260102T000000Z-second")
    assert reader.execute("select count(*) from marts.mart_funnel_cohort").fetchone()[0] == 3
    reader.close()
    fresh = duckdb.connect(str(out / "funnel.duckdb"), read_only=True)
    assert fresh.execute("select count(*) from marts.mart_funnel_cohort").fetchone()[0] == 7
    fresh.close()


def test_rollback_without_versions_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no kept version"):
        rollback(tmp_path)


def test_build_ids_cannot_carry_path_characters(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _private_warehouse(wh, 1)
    with pytest.raises(ValueError):
        publish_marts(wh, tmp_path / "out", "../../etc/x")


def test_the_partition_digest_of_a_mart_stays_in_the_warehouse(tmp_path):
    """fct_leads stores _partition_digest for the next night's change detection; readers never see
    it, and a night that only recomputed digests (same published rows) rewrites nothing."""
    wh = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(wh))
    con.execute("create schema marts; create table marts.fct_leads as "
                "select 'L' || range as lead_id, range * 10 as touch_count, hash(range)::hugeint as _partition_digest "
                "from range(4)")
    con.close()
    first = publish_marts(wh, tmp_path / "out", "20260101T000000Z-aaaa")
    pub = duckdb.connect(str(first.path), read_only=True)
    assert [c for (c,) in pub.execute("select column_name from duckdb_columns() where table_name = 'fct_leads' "
                                      "order by column_index").fetchall()] == ["lead_id", "touch_count"]
    assert pub.execute("select sum(touch_count) from marts.fct_leads").fetchone()[0] == 60
    pub.close()
    con = duckdb.connect(str(wh))
    con.execute("update marts.fct_leads set _partition_digest = _partition_digest + 1")
    con.close()
    second = publish_marts(wh, tmp_path / "out", "20260102T000000Z-bbbb")
    assert second.carried_over == ["marts.fct_leads"]
