"""Unchanged marts are carried over from the previous published file instead of being written again.

Every test compares the published file with the warehouse table by table (independently of the
digests the publisher uses), so a table wrongly carried over fails here.
"""

from __future__ import annotations

import duckdb

from orchestration.publish.duckdb_file import publish_marts
from orchestration.publish.versions import rollback


def _warehouse(path, tables: dict[str, str]) -> None:
    """A private warehouse whose marts schema holds exactly ``tables`` (name -> select)."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    for name, select in tables.items():
        con.execute(f"create table marts.{name} as {select}")
    con.close()


def _same_content(warehouse, published) -> set[str]:
    """Names of the marts of ``published``, after checking each equals the warehouse's, row for row."""
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as w (read_only)")
    con.execute(f"attach '{published}' as p (read_only)")
    names = {r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = 'p' and schema_name = 'marts'").fetchall()}
    expected = {r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = 'w' and schema_name = 'marts'").fetchall()}
    assert names == expected
    for name in names:
        for a, b in (("w", "p"), ("p", "w")):
            missing = con.execute(f"select count(*) from (select * from {a}.marts.{name} except all "
                                  f"select * from {b}.marts.{name})").fetchone()[0]
            assert missing == 0, f"{name}: {missing} rows of {a} not in {b}"
        types = [con.execute("select data_type from duckdb_columns() where database_name = ? and table_name = ? "
                             "order by column_index", [db, name]).fetchall() for db in ("w", "p")]
        assert types[0] == types[1], name
    con.close()
    return names


def _second_night(tmp_path, first: dict[str, str], second: dict[str, str]):
    """Publish warehouse ``first``, then ``second`` into the same out folder; the second publish's
    result, after checking the file equals the second warehouse row for row."""
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    _warehouse(wh, first)
    publish_marts(wh, out, "20260101T000000Z-first")
    _warehouse(wh, second)
    result = publish_marts(wh, out, "20260102T000000Z-second")
    assert _same_content(wh, out / "funnel.duckdb") == set(second)
    return result


BIG = "select range as id, 'lead ' || range as label from range(200000)"


def test_only_the_changed_mart_is_written_again(tmp_path):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    _warehouse(wh, {"fct_leads": BIG, "fct_stage_events": "select range as n from range(10)"})
    first = publish_marts(wh, out, "20260101T000000Z-first")
    assert first.carried_over == []
    _warehouse(wh, {"fct_leads": BIG, "fct_stage_events": "select range + 1 as n from range(10)"})
    second = publish_marts(wh, out, "20260102T000000Z-second")
    assert second.carried_over == ["marts.fct_leads"]
    assert second.tables == {"marts.fct_leads": 200000, "marts.fct_stage_events": 10}
    assert _same_content(wh, out / "funnel.duckdb") == {"fct_leads", "fct_stage_events"}
    # still the storage format old BI drivers read
    con = duckdb.connect()
    con.execute(f"attach '{out / 'funnel.duckdb'}' as p (read_only)")
    tags = con.execute("select tags from duckdb_databases() where database_name = 'p'").fetchone()[0]
    assert tags["storage_version"].startswith("v1.0.0")
    con.close()


def test_a_mart_gone_from_the_warehouse_is_gone_from_the_file_and_a_new_one_appears(tmp_path):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    _warehouse(wh, {"a": BIG, "b": "select 1 as x"})
    publish_marts(wh, out, "20260101T000000Z-first")
    _warehouse(wh, {"a": BIG, "c": "select 2 as y"})
    result = publish_marts(wh, out, "20260102T000000Z-second")
    assert result.carried_over == ["marts.a"]
    assert _same_content(wh, out / "funnel.duckdb") == {"a", "c"}


def test_same_values_under_another_column_type_or_name_are_written_again(tmp_path):
    result = _second_night(
        tmp_path,
        {"a": "select range::integer as n from range(5)", "b": "select range as n from range(5)"},
        {"a": "select range::bigint as n from range(5)", "b": "select range as m from range(5)"})
    assert result.carried_over == []


def test_duplicate_rows_count_in_the_digest(tmp_path):
    """Two equal rows added would cancel out of an XOR of row hashes; the digest must still differ."""
    result = _second_night(tmp_path, {"a": "select * from (values (1), (2)) t(n)"},
                           {"a": "select * from (values (1), (2), (3), (3)) t(n)"})
    assert result.carried_over == []


def test_after_a_rollback_the_file_is_compared_as_it_is(tmp_path):
    """The rolled-back file's own digests say what it holds: the warehouse's newer table is written."""
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    _warehouse(wh, {"a": "select range as n from range(3)"})
    publish_marts(wh, out, "20260101T000000Z-first")
    _warehouse(wh, {"a": "select range as n from range(5)"})
    publish_marts(wh, out, "20260102T000000Z-second")
    rollback(out)  # funnel.duckdb holds 3 rows again; the warehouse 5
    result = publish_marts(wh, out, "20260103T000000Z-third")
    assert result.carried_over == []
    assert _same_content(wh, out / "funnel.duckdb") == {"a"}


def test_a_file_without_digests_is_replaced_by_a_fresh_one(tmp_path):
    """A file published before digests existed (no table_digests column): nothing is carried over."""
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    _warehouse(wh, {"a": BIG})
    publish_marts(wh, out, "20260101T000000Z-first")
    con = duckdb.connect(str(out / "funnel.duckdb"))
    con.execute("alter table meta.build_info drop column table_digests")
    con.execute("insert into marts.a values (-1, 'edited by hand')")
    con.close()
    result = publish_marts(wh, out, "20260102T000000Z-second")
    assert result.carried_over == []
    assert _same_content(wh, out / "funnel.duckdb") == {"a"}


def _blocks(path) -> tuple[int, int]:
    """(total, free) blocks of a DuckDB file."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select total_blocks, free_blocks from pragma_database_size()").fetchone()
    finally:
        con.close()


def test_the_file_does_not_grow_night_after_night(tmp_path):
    """The blocks of the tables dropped tonight are reused by the tables written tonight.

    Without a checkpoint between the drops and the writes, the new tables took new blocks at the
    end of the file: here 27 blocks of which 8 to 14 free, and at L 3.0, 4.5 then 5.9 GiB in three
    nights, when the changed tables differ from night to night as here (a small and a big ``other``).
    """
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    for night in range(6):
        other_rows = 500000 if night % 2 else 100000
        _warehouse(wh, {"kept": BIG, "changing": f"select range + {night} as id, 'x' || range as s from range(300000)",
                        "other": f"select range + {night} as id, 'y' || range as s from range({other_rows})"})
        result = publish_marts(wh, out, f"2026010{night + 1}T000000Z-n{night}")
        assert result.carried_over == ([] if night == 0 else ["marts.kept"])
        total, free = _blocks(out / "funnel.duckdb")
        assert free <= total // 10, (night, total, free)
    assert _same_content(wh, out / "funnel.duckdb") == {"changing", "kept", "other"}


def test_a_file_mostly_made_of_free_blocks_is_written_anew(tmp_path):
    """A file bloated by earlier publishes (or by hand) is compacted by the next publish."""
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    _warehouse(wh, {"a": BIG})
    publish_marts(wh, out, "20260101T000000Z-first")
    fresh_total, _ = _blocks(out / "funnel.duckdb")
    con = duckdb.connect(str(out / "funnel.duckdb"))
    con.execute("create table marts.bloat as select range as n, md5(range::varchar) as s from range(1000000)")
    con.execute("checkpoint")
    con.execute("drop table marts.bloat")
    con.execute("checkpoint")
    con.close()
    total, free = _blocks(out / "funnel.duckdb")
    assert free * 2 > total
    result = publish_marts(wh, out, "20260102T000000Z-second")
    assert result.carried_over == []
    total, free = _blocks(out / "funnel.duckdb")
    # written anew: no free block, the size of a fresh write (one block more was seen once, in a
    # full parallel test run: DuckDB's block allocation is not exactly the same from write to write)
    assert free == 0 and fresh_total <= total <= fresh_total + 1, (total, free, fresh_total)
    assert _same_content(wh, out / "funnel.duckdb") == {"a"}


# --- Parquet: the export of an unchanged mart is hard-linked from the current version ---------------

def _export_equals_file(out) -> dict:
    """Check every mart's Parquet files hold exactly the published table's rows; return the manifest."""
    from orchestration.publish.parquet import read_manifest

    manifest = read_manifest(out)
    con = duckdb.connect()
    con.execute(f"attach '{out / 'funnel.duckdb'}' as p (read_only)")
    root = (out / "parquet").resolve()
    for name, entry in manifest["marts"].items():
        files = [str(root / f["path"]) for f in entry["files"]]
        parquet = f"read_parquet({files!r}, hive_partitioning = false)"
        for a, b in ((parquet, f"p.marts.{name}"), (f"p.marts.{name}", parquet)):
            assert con.execute(f"select count(*) from (select * from {a} except all select * from {b})").fetchone()[0] == 0, name
    con.close()
    return manifest


def test_the_parquet_files_of_an_unchanged_mart_are_shared_with_the_previous_export(tmp_path):
    from orchestration.publish.parquet import export_parquet

    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    events = "select range as id, date '2024-01-01' + (range % 90)::integer as event_month from range({n})"
    inodes = {}
    for night in range(4):  # keep=2: the first version is pruned while its files are still linked
        _warehouse(wh, {"fct_events": events.format(n=5000), "changing": f"select {night} as night"})
        build = f"2026010{night + 1}T000000Z-n{night}"
        publish_marts(wh, out, build)
        result = export_parquet(out / "funnel.duckdb", out, partition_rows=1000)
        manifest = _export_equals_file(out)
        assert result.carried_over == ([] if night == 0 else ["fct_events"])
        assert manifest["build_id"] == build
        assert manifest["marts"]["fct_events"]["written_by_build"] == "20260101T000000Z-n0"
        assert manifest["marts"]["changing"]["written_by_build"] == build
        root = (out / "parquet").resolve()
        files = manifest["marts"]["fct_events"]["files"]
        assert len(files) == 3  # partitioned by month, carried over as partitioned
        inodes[night] = {f["path"]: (root / f["path"]).stat().st_ino for f in files}
    assert inodes[0] == inodes[3]  # the same files, not copies
    assert len(list((out / ".parquet-builds").iterdir())) == 2


def test_a_changed_mart_or_another_partition_size_writes_the_parquet_files_again(tmp_path):
    from orchestration.publish.parquet import export_parquet

    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    _warehouse(wh, {"a": "select range as n from range(100)", "b": "select 1 as x"})
    publish_marts(wh, out, "20260101T000000Z-first")
    export_parquet(out / "funnel.duckdb", out)
    _warehouse(wh, {"a": "select range as n from range(101)", "b": "select 1 as x"})
    publish_marts(wh, out, "20260102T000000Z-second")
    assert export_parquet(out / "funnel.duckdb", out).carried_over == ["b"]
    _export_equals_file(out)
    publish_marts(wh, out, "20260103T000000Z-third")
    assert export_parquet(out / "funnel.duckdb", out, partition_rows=50).carried_over == []
    manifest = _export_equals_file(out)
    assert manifest["marts"]["a"]["written_by_build"] == "20260103T000000Z-third"


def test_a_mart_with_a_column_named_like_a_row_alias_is_still_compared_whole(tmp_path):
    """`hash(t) from x as t` hashes column t when x has one; the digest must cover every column."""
    result = _second_night(tmp_path, {"a": "select 1 as t, 2 as u"}, {"a": "select 1 as t, 3 as u"})
    assert result.carried_over == []


def test_only_the_changed_months_of_a_partitioned_mart_are_written_again(tmp_path):
    """A changed mart split by month: the months whose rows are the same are hard-linked, the others
    written. Night 2 changes nothing (the whole mart is shared, its month digests kept). Night 3
    moves one row from January to February: both months change, March and the null month do not.
    Night 4 changes a column's type: every month is written again."""
    from orchestration.publish.parquet import NULL_PARTITION, export_parquet

    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    events = ("select range as id, case when range % 10 = 0 then null "
              "else date '2024-01-01' + ((range % 90) + {shift})::integer end as event_month from range(5000)")
    moved = events.format(shift="case when range = 1 then 40 else 0 end")  # row 1: 2024-01-02 -> 2024-02-11
    nights = [events.format(shift="0"), events.format(shift="0"), moved,
              f"select id::integer as id, event_month from ({moved})"]
    inodes, manifests, results = [], [], []
    for night, select in enumerate(nights):
        _warehouse(wh, {"fct_events": select})
        build = f"2026010{night + 1}T000000Z-n{night}"
        publish_marts(wh, out, build)
        results.append(export_parquet(out / "funnel.duckdb", out, partition_rows=1000))
        manifests.append(_export_equals_file(out))  # every month's files hold exactly the table's rows
        root = (out / "parquet").resolve()
        inodes.append({f["path"].split("/")[1]: (root / f["path"]).stat().st_ino
                       for f in manifests[-1]["marts"]["fct_events"]["files"]})
    months = {"partition_month=2024-01", "partition_month=2024-02", "partition_month=2024-03",
              f"partition_month={NULL_PARTITION}"}
    assert set(inodes[0]) == months
    assert results[1].carried_over == ["fct_events"] and inodes[1] == inodes[0]
    unchanged = {"partition_month=2024-03", f"partition_month={NULL_PARTITION}"}
    assert {m for m in months if inodes[2][m] == inodes[0][m]} == unchanged
    assert results[2].carried_over == []
    assert results[2].partitions_carried_over == {"fct_events": sorted(["2024-03", NULL_PARTITION])}
    partitions = manifests[2]["marts"]["fct_events"]["partitions"]
    assert {v: p["written_by_build"] for v, p in partitions.items()} == {
        "2024-01": "20260103T000000Z-n2", "2024-02": "20260103T000000Z-n2",
        "2024-03": "20260101T000000Z-n0", NULL_PARTITION: "20260101T000000Z-n0"}
    assert sum(p["rows"] for p in partitions.values()) == 5000
    # another column type: hashes are not comparable, nothing is shared
    assert all(inodes[3][m] != inodes[2][m] for m in months)
    assert results[3].partitions_carried_over == {}
