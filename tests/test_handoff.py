"""Handing the dbt sources to another engine: Parquet for Spark, a copy into Postgres."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import psycopg
import yaml

from orchestration.handoff import OPTIONAL_SOURCES, SOURCES, copy_to_postgres, export_parquet
from orchestration.quality.store import ensure_results_table
from orchestration.warehouse import connect, ensure_raw_tables

DBT_MODELS = Path(__file__).resolve().parents[1] / "dbt_project" / "models"


def _warehouse(path: Path, *, with_quality: bool) -> Path:
    con = connect(path)
    try:
        ensure_raw_tables(con)
        con.execute("insert into raw.crm_leads (lead_id, created_at, email, _source_row, _load_id, _loaded_at) values "
                    "('L1', timestamp '2026-03-01 10:00:00', 'a''b@example.com', 1, 'load-1', timestamp '2026-03-02 02:00:00'),"
                    "('L2', null, null, 2, 'load-1', timestamp '2026-03-02 02:00:00')")
        if with_quality:
            ensure_results_table(con)
            con.execute("insert into quality.dq_results (run_id, table_name, load_ids, success) values "
                        "('r1', 'crm_leads', ['load-1', 'load \"2\"'], true), ('r2', 'crm_leads', null, false)")
    finally:
        con.close()
    return path


def test_the_handoff_lists_exactly_the_dbt_sources():
    declared = set()
    for path in DBT_MODELS.rglob("_*__sources.yml"):
        for source in yaml.safe_load(path.read_text())["sources"]:
            declared |= {(source.get("schema", source["name"]), t["name"]) for t in source["tables"]}
    assert set(SOURCES) == declared


def test_parquet_export_writes_every_source_and_typed_empty_stand_ins(tmp_path):
    warehouse = _warehouse(tmp_path / "w.duckdb", with_quality=False)
    result = export_parquet(warehouse, tmp_path / "handoff")
    assert set(result.tables) == {f"{s}.{t}" for s, t in SOURCES}
    assert result.tables["raw.crm_leads"] == 2
    assert sorted(result.empty_stand_ins) == sorted(f"{s}.{t}" for s, t in OPTIONAL_SOURCES)
    # Spark and Hadoop skip files named _* or .*: every table's file must be visible to them
    files = sorted(p.relative_to(tmp_path / "handoff").as_posix() for p in (tmp_path / "handoff").rglob("*.parquet"))
    assert "raw/_load_manifest/part-0.parquet" in files and len(files) == len(SOURCES)
    with duckdb.connect() as con:
        leads = con.execute("select lead_id, created_at, email from read_parquet(?) order by 1",
                            [str(tmp_path / "handoff/raw/crm_leads/part-0.parquet")]).fetchall()
        assert leads == [("L1", datetime(2026, 3, 1, 10), "a'b@example.com"), ("L2", None, None)]
        types = dict(con.execute("select column_name, column_type from (describe select * from read_parquet(?))",
                                 [str(tmp_path / "handoff/quality/dq_results/part-0.parquet")]).fetchall())
        assert types["load_ids"] == "VARCHAR[]" and types["checked_at"] == "TIMESTAMP"
    # a second export replaces the first whole
    export_parquet(_warehouse(tmp_path / "w2.duckdb", with_quality=True), tmp_path / "handoff")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".handoff")]


def test_postgres_copy_round_trips_values_and_lists(tmp_path, pg_database):
    warehouse = _warehouse(tmp_path / "w.duckdb", with_quality=True)
    result = copy_to_postgres(warehouse, pg_database.url)
    assert result.tables["raw.crm_leads"] == 2 and "marts.mart_root_cause" not in result.tables
    with psycopg.connect(pg_database.url) as pg:
        assert pg.execute("select lead_id, created_at, email from raw.crm_leads order by 1").fetchall() == [
            ("L1", datetime(2026, 3, 1, 10), "a'b@example.com"), ("L2", None, None)]
        assert pg.execute("select load_ids from quality.dq_results order by run_id").fetchall() == [
            (["load-1", 'load "2"'],), (None,)]
        assert pg.execute("select 'load-1' = any(load_ids) from quality.dq_results where run_id = 'r1'").fetchone() == (True,)
    # again: replaced, not appended
    assert copy_to_postgres(warehouse, pg_database.url).tables["raw.crm_leads"] == 2
