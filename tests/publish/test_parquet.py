"""Parquet export: every mart, exact round trip, a manifest that tells the truth, swapped in whole."""

from __future__ import annotations

import json
import os
import threading

import duckdb
import pytest

from orchestration.publish.catalog import Column, open_published, read_build
from orchestration.publish.duckdb_file import publish_marts
from orchestration.publish.parquet import export_parquet, read_manifest
from tests.publish.checksums import duckdb_checksum
from tests.publish.conftest import FIXTURE_BUILD
from tests.publish.fixture_marts import create_tagged_warehouse


def _published_marts(out):
    with open_published(out / "funnel.duckdb") as con:
        build = read_build(con)
        sums = {m.name: duckdb_checksum(con, f"marts.{m.name}", list(m.columns)) for m in build.marts}
    return build, sums


def _parquet_checksum(root, entry) -> tuple[int, str]:
    files = [str(root / f["path"]) for f in entry["files"]]
    columns = [Column(c["name"], c.get("warehouse_type", c["type"])) for c in entry["columns"]]
    con = duckdb.connect()
    try:
        return duckdb_checksum(con, f"read_parquet({files!r}, hive_partitioning = false)", columns)
    finally:
        con.close()


def test_every_mart_round_trips_with_equal_counts_and_checksums(published_out, dbt_manifest):
    result = export_parquet(published_out / "funnel.duckdb", published_out, manifest=dbt_manifest)
    build, expected = _published_marts(published_out)
    manifest = read_manifest(published_out)
    assert manifest["build_id"] == FIXTURE_BUILD == result.build_id
    assert sorted(manifest["marts"]) == sorted(m.name for m in build.marts)
    root = published_out / "parquet"
    for mart in build.marts:
        entry = manifest["marts"][mart.name]
        assert entry["rows"] == mart.rows == expected[mart.name][0]
        assert _parquet_checksum(root, entry) == expected[mart.name], mart.name
        assert [(c["name"], c.get("warehouse_type", c["type"])) for c in entry["columns"]] == \
               [(c.name, c.type) for c in mart.columns]
        assert sum(f["rows"] for f in entry["files"]) == mart.rows
        assert all((root / f["path"]).stat().st_size == f["bytes"] for f in entry["files"])
        assert entry["partitioning"] is None and len(entry["files"]) == 1
    zoo = manifest["marts"]["fct_type_zoo"]
    assert {c["name"]: c["type"] for c in zoo["columns"]}["huge"] == "DECIMAL(38,0)"  # exact, not DOUBLE
    assert zoo["description"].startswith("Every type")
    assert {c["name"]: c["description"] for c in zoo["columns"]}['Weird "col", name'] == "A column name with quotes."


def test_files_carry_the_build_id_and_the_private_layers_are_not_exported(published_out):
    export_parquet(published_out / "funnel.duckdb", published_out)
    root = published_out / "parquet"
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == sorted(read_manifest(published_out)["marts"])
    kv = duckdb.sql(f"select value from parquet_kv_metadata('{root}/*/*.parquet') where key = 'build_id'").fetchall()
    assert kv and {v for (v,) in kv} == {FIXTURE_BUILD.encode()}
    assert not any("raw" in p.name or "stg_" in p.name for p in root.rglob("*"))


def test_a_large_mart_is_split_by_month_and_each_file_keeps_every_column(published_out):
    export_parquet(published_out / "funnel.duckdb", published_out, partition_rows=50)
    manifest = read_manifest(published_out)
    events = manifest["marts"]["fct_events"]  # 100 rows over 100 distinct days in Jan-Apr 2026
    assert events["partitioning"]["source_column"] == "event_date"
    assert sorted({f["path"].split("/")[1] for f in events["files"]}) == [
        "partition_month=2026-01", "partition_month=2026-02", "partition_month=2026-03", "partition_month=2026-04"]
    root = published_out / "parquet"
    first = duckdb.sql(f"describe select * from read_parquet('{root / events['files'][0]['path']}', hive_partitioning = false)").fetchall()
    assert [r[0] for r in first] == [c["name"] for c in events["columns"]]
    _, expected = _published_marts(published_out)
    assert _parquet_checksum(root, events) == expected["fct_events"]
    hive = duckdb.sql(f"select partition_month, count(*) from read_parquet('{root}/fct_events/*/*.parquet', "
                      f"hive_partitioning = true) group by 1 order by 1").fetchall()
    assert [n for _, n in hive] == [31, 28, 31, 10]
    cohort = manifest["marts"]["mart_funnel_cohort"]  # 12 rows: below the threshold, one file
    assert cohort["partitioning"] is None and len(cohort["files"]) == 1


def test_a_new_export_is_swapped_in_and_old_versions_are_pruned(published_out):
    versions = [export_parquet(published_out / "funnel.duckdb", published_out, keep=2).version for _ in range(3)]
    link = published_out / "parquet"
    assert link.is_symlink() and not os.path.isabs(os.readlink(link))
    assert link.resolve() == versions[-1]
    builds = sorted(p.name for p in (published_out / ".parquet-builds").iterdir())
    assert builds == sorted([versions[-1].name, versions[-2].name])  # current + previous; no staging left over


def test_a_failed_export_leaves_the_current_one_untouched(published_out, monkeypatch):
    first = export_parquet(published_out / "funnel.duckdb", published_out)
    import orchestration.publish.parquet as parquet

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(parquet, "_write_manifest", boom)
    with pytest.raises(OSError, match="disk full"):
        export_parquet(published_out / "funnel.duckdb", published_out)
    assert (published_out / "parquet").resolve() == first.version
    assert [p.name for p in (published_out / ".parquet-builds").iterdir()] == [first.version.name]


def test_a_reader_during_repeated_exports_always_sees_one_whole_build(tmp_path):
    """Each build plants its tag in every fct_events row; a reader pinning the link never sees a mix."""
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    create_tagged_warehouse(wh, "b0", 100)
    publish_marts(wh, out, "20260101T000000Z-b0")
    export_parquet(out / "funnel.duckdb", out)
    stop, seen, errors = threading.Event(), [], []

    def reader():
        con = duckdb.connect()
        while not stop.is_set():
            try:
                root = (out / "parquet").resolve()  # pin one version, as docs/bi.md tells file readers to
                manifest = json.loads((root / "manifest.json").read_text())
                files = [str(root / f["path"]) for f in manifest["marts"]["fct_events"]["files"]]
                tags = {t for (t,) in con.execute(f"select distinct build_tag from read_parquet({files!r})").fetchall()}
                rows = con.execute(f"select count(*) from read_parquet({files!r})").fetchone()[0]
                seen.append((manifest["build_id"], tags, rows, manifest["marts"]["fct_events"]["rows"]))
            except Exception as exc:  # any error is a failure of the guarantee
                errors.append(repr(exc))
            stop.wait(0.005)
        con.close()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(1, 6):
            create_tagged_warehouse(wh, f"b{i}", 100 + i * 50)
            publish_marts(wh, out, f"2026010{i}T000000Z-b{i}")
            export_parquet(out / "funnel.duckdb", out)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert len({b for b, *_ in seen}) >= 2, "the reader should have seen more than one build"
    for build_id, tags, rows, manifest_rows in seen:
        assert tags == {build_id.rsplit("-", 1)[1]} and rows == manifest_rows
