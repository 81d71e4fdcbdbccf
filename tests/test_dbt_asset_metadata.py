"""Row counts and previews on dbt materializations (orchestration/transform/metadata.py), on a
hand-made DuckDB file: expected values are the rows inserted here."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import dagster as dg
import duckdb
import pytest

from orchestration.transform.metadata import Relation, read_states, table_relations, with_table_metadata

NIGHT_1, NIGHT_2 = dt.datetime(2026, 7, 1, 2), dt.datetime(2026, 7, 2, 2)
LEADS = Relation("model.p.base_crm__leads", "staging", "base_crm__leads", incremental=True, is_mart=False)
COHORT = Relation("model.p.mart_funnel_cohort", "marts", "mart_funnel_cohort", incremental=False, is_mart=True)
RELATIONS = {r.unique_id: r for r in (LEADS, COHORT)}


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema staging; create schema marts")
        con.execute("create table staging.base_crm__leads (lead_id varchar, _loaded_at timestamp)")
        con.execute("insert into staging.base_crm__leads values ('L1', ?), ('L2', ?)", [NIGHT_1, NIGHT_1])
        con.execute("create table marts.mart_funnel_cohort (stage_key varchar, reached_count bigint, note varchar)")
        con.execute("insert into marts.mart_funnel_cohort values ('lead', 2, 'a|b'), ('won', 1, null)")

    @contextmanager
    def open_warehouse():
        con = duckdb.connect(str(path))
        try:
            yield con
        finally:
            con.close()
    return open_warehouse


def _output(unique_id: str) -> dg.Output:
    return dg.Output(None, output_name=unique_id.rsplit(".", 1)[-1], metadata={"unique_id": unique_id})


def _night_two(open_warehouse) -> None:
    with open_warehouse() as con:
        con.execute("insert into staging.base_crm__leads values ('L3', ?), ('L4', ?), ('L5', ?)",
                    [NIGHT_2, NIGHT_2, NIGHT_2])
        con.execute("delete from staging.base_crm__leads where lead_id = 'L1'")


def test_rows_new_rows_and_row_change_of_a_night(warehouse):
    with warehouse() as con:
        before = read_states(con, RELATIONS.values())

    def dbt_events():
        _night_two(warehouse)  # what dbt does while it runs
        yield _output(LEADS.unique_id)
        yield _output(COHORT.unique_id)

    events = list(with_table_metadata(dbt_events(), warehouse, RELATIONS, before, "run-1"))
    leads, cohort = (e.metadata for e in events)
    assert leads["dagster/row_count"].value == 4  # L2..L5
    assert leads["new_rows"].value == 3  # loaded after night 1's newest row
    assert leads["row_change"].value == 2
    assert leads["build_id"].text == "run-1" and leads["unique_id"].text == LEADS.unique_id
    assert "preview" not in leads
    lines = cohort["preview"].value.splitlines()
    assert lines[0] == "| stage_key | reached_count | note |"
    assert sorted(lines[2:]) == ["| lead | 2 | a\\|b |", "| won | 1 |  |"]
    assert "new_rows" not in cohort and cohort["row_change"].value == 0


def test_a_failed_dbt_run_still_reports_the_models_it_finished_then_raises(warehouse):
    with warehouse() as con:
        before = read_states(con, RELATIONS.values())

    def failing_dbt():
        yield _output(LEADS.unique_id)
        raise RuntimeError("dbt failed in mart_funnel_cohort")

    seen = []
    with pytest.raises(RuntimeError, match="mart_funnel_cohort"):
        for event in with_table_metadata(failing_dbt(), warehouse, RELATIONS, before, "run-2"):
            seen.append(event)
    assert [e.metadata["unique_id"].text for e in seen] == [LEADS.unique_id]
    assert seen[0].metadata["dagster/row_count"].value == 2


def test_only_table_models_and_mart_views_are_counted(tmp_path):
    manifest = {"nodes": {
        "model.p.a": {"resource_type": "model", "schema": "staging", "name": "a", "config": {"materialized": "view"}},
        "model.p.v": {"resource_type": "model", "schema": "marts", "name": "v", "config": {"materialized": "view"}},
        "model.p.b": {"resource_type": "model", "schema": "marts", "name": "b", "config": {"materialized": "table"}},
        "model.p.c": {"resource_type": "model", "schema": "staging", "name": "c",
                      "config": {"materialized": "incremental"}},
        "test.p.t": {"resource_type": "test", "schema": "x", "name": "t", "config": {"materialized": "test"}},
    }}
    relations = table_relations(manifest)
    assert sorted(relations) == ["model.p.b", "model.p.c", "model.p.v"]
    assert relations["model.p.b"].is_mart and relations["model.p.c"].incremental
    # a mart that is a view (fct_stage_events on DuckDB) is counted like a table
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create schema marts; create table marts.b as select range as n from range(3)")
        con.execute("create view marts.v as select n, n * 2 as m from marts.b")
        states = read_states(con, [relations["model.p.v"], relations["model.p.b"]])
    assert states["model.p.v"].rows == 3 and states["model.p.b"].rows == 3
