"""Bucketed change detection of the partition-incremental models (macros/partition_buckets.sql).

A night compares one by one only the partitions of buckets whose sums changed. No output shows
that: a detection that finds every bucket changed gives the same rows, only slower at scale (a
misplaced parenthesis once did exactly that). So these tests compile each model as the night
would run it and count the rows of its `changed_buckets` CTE, on hand-written deliveries
(partition_nights): 3 leads, each alone in its bucket among 2^20.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb

from dbt_harness import DbtBuild, connect, load_raw, run_dbt
from partition_nights import NIGHT_1, NIGHT_1_LEADS, NIGHT_2, NIGHT_3, PARTITION_MODELS, crm_lead, dbt_night

MODEL_NAMES = [model.split(".")[1] for model in PARTITION_MODELS]


def _changed_bucket_counts(build: DbtBuild, night: datetime, names: list[str]) -> dict[str, int]:
    """{model: rows of its changed_buckets CTE} for an incremental run of `names` at `night` on the
    warehouse as it stands (compiled by dbt, the final select swapped for a count by DuckDB's own
    parser, so the CTEs run exactly as compiled)."""
    proc = run_dbt(["compile", "--select", *names], warehouse=build.warehouse, target_path=build.target_path,
                   as_of=night.isoformat(sep=" "))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    counts = {}
    parser = duckdb.connect()
    count_query = json.loads(parser.execute(
        "select json_serialize_sql('select count(*) from changed_buckets')").fetchone()[0])
    for name in names:
        [compiled] = Path(build.target_path, "compiled").rglob(f"{name}.sql")
        tree = json.loads(parser.execute("select json_serialize_sql(?)", [compiled.read_text()]).fetchone()[0])
        assert not tree["error"], tree
        query = json.loads(json.dumps(count_query))
        query["statements"][0]["node"]["cte_map"] = tree["statements"][0]["node"]["cte_map"]
        sql = parser.execute("select json_deserialize_sql(?::json)", [json.dumps(query)]).fetchone()[0]
        with connect(build.warehouse) as con:
            counts[name] = con.execute(sql).fetchone()[0]
    return counts


def test_a_night_without_changes_finds_no_changed_bucket_in_any_partition_model(tmp_path):
    build = DbtBuild(warehouse=tmp_path / "w.duckdb", target_path=tmp_path / "target")
    load_raw(build.warehouse, {"crm_leads": NIGHT_1_LEADS})
    dbt_night(build, night=NIGHT_1)
    assert _changed_bucket_counts(build, NIGHT_3, MODEL_NAMES) == {name: 0 for name in MODEL_NAMES}


def test_a_changed_lead_changes_its_own_bucket_only(tmp_path):
    """L2 re-delivered with a new status: int_leads__resolved compares L2's bucket alone, and
    int_leads__merged (its match key did not change) none."""
    build = DbtBuild(warehouse=tmp_path / "w.duckdb", target_path=tmp_path / "target")
    load_raw(build.warehouse, {"crm_leads": NIGHT_1_LEADS})
    dbt_night(build, night=NIGHT_1)
    load_raw(build.warehouse, {"crm_leads": [
        crm_lead("L2", "l2@example.com", datetime(2024, 1, 5), "Qualified", "load-2", NIGHT_2, 1)]})
    dbt_night(build, night=NIGHT_2, select=["+stg_crm__leads"])  # tonight's staged leads, nothing after
    assert _changed_bucket_counts(build, NIGHT_2, ["int_leads__merged", "int_leads__resolved"]) == {
        "int_leads__merged": 0, "int_leads__resolved": 1}
