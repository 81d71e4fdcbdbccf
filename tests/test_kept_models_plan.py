"""Which dbt nodes a build may keep: clock readers, code fingerprints, the plan on a warehouse.

The whole-build behaviour (kept nights equal rebuilds from scratch) is in
tests/e2e/test_kept_models.py; these check the rules on the project's real manifest.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from orchestration.settings import DBT_PROJECT_DIR
from orchestration.transform import unchanged
from orchestration.transform.project import ensure_manifest


@pytest.fixture(scope="module")
def manifest():
    return json.loads(ensure_manifest().read_text(encoding="utf-8"))


def _names(manifest, unique_ids):
    return {manifest["nodes"][u]["name"] for u in unique_ids if u in manifest["nodes"]}


def test_models_counting_days_up_to_now_and_everything_below_them_read_the_clock(manifest):
    clocked = _names(manifest, unchanged.clock_readers(manifest))
    # as_of() in the model itself
    assert {"fct_stage_events", "fct_opportunities", "mart_pipeline_forecast"} <= clocked
    # downstream of fct_stage_events only
    assert "mart_stage_velocity" in clocked
    # these read the entries without days_in_stage (int_stage_events__sequenced): kept when nothing changed
    assert not {"mart_funnel_period", "mart_stage_loss_reasons"} & clocked
    # the lead chain reads no clock; int_stage_events__opportunities declares its read harmless
    assert not {"fct_leads", "int_leads__merged", "int_stage_events__opportunities", "int_stage_events__sequenced",
                "dim_date"} & clocked


def test_a_clock_read_in_a_comment_does_not_count_and_one_in_sql_does():
    assert unchanged._reads_clock("select 1 -- unlike current_date\n{# now() #}") is False
    assert unchanged._reads_clock("select current_date as d") is True
    assert unchanged._reads_clock("select {{ as_of() }}") is False  # the macro closure catches as_of


def test_the_code_fingerprint_follows_the_files_the_vars_and_the_env_vars_dbt_reads(tmp_path, monkeypatch):
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    base = unchanged.code_fingerprint(project)
    assert unchanged.code_fingerprint(project) == base
    monkeypatch.setenv("SOMETHING_DBT_NEVER_READS", "x")
    assert unchanged.code_fingerprint(project) == base
    monkeypatch.setenv("FUNNEL_BASE_CURRENCY", "EUR")  # read by the project with env_var()
    assert unchanged.code_fingerprint(project) != base
    monkeypatch.delenv("FUNNEL_BASE_CURRENCY")
    monkeypatch.setenv("FUNNEL_AS_OF", "2026-07-01 02:00:00")  # read with env_var(), but "now" is not code
    assert "env_var('FUNNEL_AS_OF'" in (project / "macros" / "dates.sql").read_text(encoding="utf-8")
    assert unchanged.code_fingerprint(project) == base
    assert unchanged.code_fingerprint(project, {"as_of": "2026-07-01"}) != base
    model = project / "models" / "marts" / "fct_leads.sql"
    model.write_text(model.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    assert unchanged.code_fingerprint(project) != base


@pytest.fixture
def small_warehouse(manifest, tmp_path):
    """The relations the ad-spend chain needs, as empty tables: what the plan reads is metadata."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    for uid in ("source.funnel_warehouse.raw.ad_spend",):
        src = manifest["sources"][uid]
        con.execute(f'create schema if not exists "{src["schema"]}"')
        con.execute(f'create table "{src["schema"]}"."{src["name"]}" (_load_id varchar, spend double)')
    node_ids = [u for u, n in manifest["nodes"].items() if n["name"] == "stg_ads__ad_spend"]
    for uid in node_ids:
        node = manifest["nodes"][uid]
        con.execute(f'create schema if not exists "{node["schema"]}"')
        con.execute(f'create table "{node["schema"]}"."{node["alias"] or node["name"]}" (x int)')
    yield con, node_ids
    con.close()


def test_a_node_is_kept_only_while_its_sources_match_what_it_was_built_from(manifest, small_warehouse):
    con, nodes = small_warehouse
    plan = unchanged.plan_kept(con, manifest, nodes, "code-1")
    assert plan.kept == {}  # never built
    assert unchanged.record_built(con, plan, nodes, "run-1") == 1
    assert unchanged.plan_kept(con, manifest, nodes, "code-1").kept == dict.fromkeys(nodes, "run-1")
    assert unchanged.plan_kept(con, manifest, nodes, "code-2").kept == {}  # code changed
    assert unchanged.plan_kept(con, manifest, nodes, "code-1", allow_keep=False).kept == {}  # opted out
    con.execute("insert into raw.ad_spend values ('load-2', 10.0)")
    assert unchanged.plan_kept(con, manifest, nodes, "code-1").kept == {}  # a new load arrived
    unchanged.record_built(con, unchanged.plan_kept(con, manifest, nodes, "code-1"), nodes, "run-2")
    assert unchanged.plan_kept(con, manifest, nodes, "code-1").kept == dict.fromkeys(nodes, "run-2")
    con.execute("delete from raw.ad_spend")  # same load ids gone: the row count tells
    assert unchanged.plan_kept(con, manifest, nodes, "code-1").kept == {}


def test_a_kept_node_whose_table_is_gone_is_rebuilt(manifest, small_warehouse):
    con, nodes = small_warehouse
    unchanged.record_built(con, unchanged.plan_kept(con, manifest, nodes, "code-1"), nodes, "run-1")
    node = manifest["nodes"][nodes[0]]
    con.execute(f'drop table "{node["schema"]}"."{node["alias"] or node["name"]}"')
    assert unchanged.plan_kept(con, manifest, nodes, "code-1").kept == {}


def test_the_exclusion_names_kept_nodes_by_their_fully_qualified_names(manifest):
    uid = next(u for u, n in manifest["nodes"].items() if n["name"] == "int_leads__merged")
    plan = unchanged.KeepPlan({uid: "fp"}, {uid: "run-1"})
    assert plan.exclude_args(manifest) == ["--exclude", "funnel_warehouse.intermediate.int_leads__merged"]
    assert unchanged.KeepPlan({}, {}).exclude_args(manifest) == []


@pytest.mark.parametrize("value, expected", [(None, True), ("1", True), ("0", False), ("off", False), ("False", False)])
def test_keeping_is_on_unless_switched_off(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("FUNNEL_KEEP_UNCHANGED_MODELS", raising=False)
    else:
        monkeypatch.setenv("FUNNEL_KEEP_UNCHANGED_MODELS", value)
    assert unchanged.enabled() is expected


def test_only_nodes_whose_every_check_ran_and_passed_are_recorded(manifest, tmp_path):
    """A failed (or warning) test, or tests that never ran, leave the node unrecorded: rebuilt next night."""
    from contextlib import contextmanager
    from types import SimpleNamespace

    import dagster as dg

    from orchestration.assets.transform import KEYS_BY_UNIQUE_ID, _recording_built_nodes

    ids = {n["name"]: u for u, n in manifest["nodes"].items() if n["name"] in ("int_leads__merged", "fct_leads", "dim_stage")}
    failed, clean, untested = ids["int_leads__merged"], ids["fct_leads"], ids["dim_stage"]
    checks = {uid: dg.AssetCheckKey(KEYS_BY_UNIQUE_ID[uid], f"test_on_{uid.rsplit('.', 1)[-1]}") for uid in ids.values()}
    events = [
        dg.Output(None, output_name="a", metadata={"unique_id": failed}),
        dg.AssetCheckResult(asset_key=checks[failed].asset_key, check_name=checks[failed].name, passed=False),
        dg.Output(None, output_name="b", metadata={"unique_id": clean}),
        dg.AssetCheckResult(asset_key=checks[clean].asset_key, check_name=checks[clean].name, passed=True),
        dg.Output(None, output_name="c", metadata={"unique_id": untested}),
    ]
    path = tmp_path / "w.duckdb"

    @contextmanager
    def connect():
        con = duckdb.connect(str(path))
        try:
            yield con
        finally:
            con.close()

    plan = unchanged.KeepPlan({uid: f"fp-{uid}" for uid in ids.values()}, {}, "code-1")
    context = SimpleNamespace(selected_asset_check_keys=set(checks.values()), run_id="run-1", log=None)
    assert list(_recording_built_nodes(context, SimpleNamespace(connect=connect), plan, iter(events))) == events
    with duckdb.connect(str(path)) as con:
        assert con.execute(f"select unique_id, run_id from {unchanged.STATE_TABLE}").fetchall() == [(clean, "run-1")]
        # which code built a table is recorded for every table built, checks passed or not
        assert sorted(con.execute(f"select unique_id, code from {unchanged.CODE_TABLE}").fetchall()) == sorted(
            (uid, "code-1") for uid in ids.values())


def test_kept_outputs_come_after_what_they_depend_on_and_before_what_depends_on_them(manifest):
    """Dagster refuses a multi-asset that yields an asset before its dependency. On real exports a
    view under a kept snapshot is rebuilt (its warning test kept it unrecorded), and dbt may run an
    unrelated model first: the kept snapshot must wait for the view, and precede its own child."""
    import dagster as dg

    from orchestration.assets.transform import ANCESTORS, _with_kept_outputs

    ids = {n["name"]: u for u, n in manifest["nodes"].items()
           if n["name"] in ("snap_crm__opportunities", "stg_crm__opportunities", "stg_ads__ad_spend",
                            "int_stage_events__opportunities", "dim_stage")}
    kept = {ids["snap_crm__opportunities"]: "run-1", ids["dim_stage"]: "run-1"}
    plan = unchanged.KeepPlan({uid: "fp" for uid in ids.values()}, kept)
    dbt_order = ["stg_ads__ad_spend", "stg_crm__opportunities", "int_stage_events__opportunities"]
    events = [dg.Output(None, output_name=name, metadata={"unique_id": ids[name]}) for name in dbt_order]
    yielded = [getattr(e.metadata["unique_id"], "value", e.metadata["unique_id"])
               for e in _with_kept_outputs(plan, iter(events), set())]
    names = [manifest["nodes"][u]["name"] for u in yielded]
    assert sorted(names) == sorted(ids)
    assert names.index("stg_crm__opportunities") < names.index("snap_crm__opportunities") \
        < names.index("int_stage_events__opportunities")
    for i, uid in enumerate(yielded):  # nothing before one of its own dependencies
        assert not ANCESTORS[uid] & set(yielded[i + 1:]), names[i]


def test_a_source_without_load_ids_is_fingerprinted_by_every_column(manifest, tmp_path):
    """Row hashes over the whole row, even when a column is named like a table alias (`t`)."""
    uid = "source.funnel_warehouse.raw.ad_spend"
    src = manifest["sources"][uid]
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(f'create schema "{src["schema"]}"')
    con.execute(f'create table "{src["schema"]}"."{src["name"]}" as select 1 as t, 2 as u')
    before = unchanged.source_fingerprints(con, manifest, [uid])
    con.execute(f'update "{src["schema"]}"."{src["name"]}" set u = 3')
    assert unchanged.source_fingerprints(con, manifest, [uid]) != before
    con.close()


def test_incremental_tables_built_by_other_code_are_sent_to_a_full_refresh(manifest, tmp_path):
    """After an upgrade or an edited seed, an incremental table holds what the old code stored:
    the build runs --full-refresh until every existing incremental model is recorded with tonight's
    code. Tables that do not exist yet (a first build) need nothing; nor do table models."""
    ids = {n["name"]: u for u, n in manifest["nodes"].items()
           if n["name"] in ("int_stage_events__sequenced", "int_leads__resolved", "base_crm__leads", "fct_opportunities")}
    schema = {u: (manifest["nodes"][u]["schema"], manifest["nodes"][u]["name"]) for u in ids.values()}
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert unchanged.incremental_models_built_by_other_code(con, manifest, "code-1") == []  # first build
        for relation in schema.values():
            con.execute(f'create schema if not exists "{relation[0]}"')
            con.execute(f'create table "{relation[0]}"."{relation[1]}" (x int)')
        incremental = {ids["int_stage_events__sequenced"], ids["int_leads__resolved"], ids["base_crm__leads"]}
        # a warehouse of a version that recorded no code: every existing incremental table
        assert set(unchanged.incremental_models_built_by_other_code(con, manifest, "code-1")) == incremental
        unchanged.record_code(con, [ids["int_leads__resolved"], ids["base_crm__leads"], ids["fct_opportunities"]], "code-1", "r1")
        # the one not recorded (its build failed, say) still needs it
        assert unchanged.incremental_models_built_by_other_code(con, manifest, "code-1") == [
            ids["int_stage_events__sequenced"]]
        unchanged.record_code(con, [ids["int_stage_events__sequenced"]], "code-1", "r2")
        assert unchanged.incremental_models_built_by_other_code(con, manifest, "code-1") == []
        assert set(unchanged.incremental_models_built_by_other_code(con, manifest, "code-2")) == incremental
