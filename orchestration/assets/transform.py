"""The dbt layer as Dagster assets: every model, seed and snapshot, with dbt tests as asset checks."""


import dataclasses
import json
import os
import shutil
from datetime import date

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.resources import WRITER_POOL, WarehouseResource
from orchestration.transform import unchanged
from orchestration.transform.metadata import read_states, table_relations, with_table_metadata
from orchestration.transform.project import DBT_PROJECT, ensure_manifest, prune_invocation_folders
from orchestration.transform.translator import FunnelDbtTranslator

DBT_MANIFEST = ensure_manifest()
MANIFEST = json.loads(DBT_MANIFEST.read_text(encoding="utf-8"))
TABLE_RELATIONS = table_relations(MANIFEST)


class DbtBuildConfig(dg.Config):
    """How a run rebuilds the incremental models (launchpad, ``funnel build --full-refresh``,
    ``funnel backfill``); the defaults are the nightly run: new loads plus the lookback window."""

    full_refresh: bool = False
    backfill_from: str | None = None
    backfill_to: str | None = None


def validate_backfill_range(backfill_from: str | None, backfill_to: str | None) -> None:
    """Both bounds or neither, each YYYY-MM-DD, from <= to; raises ValueError naming the problem."""
    if (backfill_from is None) != (backfill_to is None):
        raise ValueError("a backfill needs both --from and --to")
    if backfill_from is None:
        return
    try:
        start, end = date.fromisoformat(backfill_from), date.fromisoformat(backfill_to)
    except ValueError as exc:
        raise ValueError(f"backfill dates must be YYYY-MM-DD: {exc}") from None
    if start > end:
        raise ValueError(f"backfill range is empty: --from {backfill_from} is after --to {backfill_to}")


def dbt_vars(backfill_from: str | None = None, backfill_to: str | None = None) -> dict:
    """The ``--vars`` of a build: only those set. "Now" is not one of them: dbt reads FUNNEL_AS_OF
    from the environment (macro ``as_of()``), because a change of --vars costs a full re-parse."""
    out = {}
    if backfill_from:
        out |= {"backfill_from": backfill_from, "backfill_to": backfill_to}
    return out


def dbt_build_args(full_refresh: bool = False, backfill_from: str | None = None,
                   backfill_to: str | None = None) -> list[str]:
    """Arguments for the nightly ``dbt build`` (a pure function so tests can check it).

    "Now" for ages of open stages is FUNNEL_AS_OF when set (dbt inherits the environment), else
    the build time, so a rebuild on unchanged data differs only in those ages. ``full_refresh``
    rebuilds the incremental models from every raw row; a backfill range makes them also
    recompute the rows dated in it.
    """
    validate_backfill_range(backfill_from, backfill_to)
    # Unit tests check model logic on fixed fixture rows, not the night's data: they run in the
    # test suite (tests/dbt), and would cost every nightly build ~15 s of dbt threads.
    # --no-write-json: dbt would serialise manifest.json twice (after parsing and after the run)
    # plus run_results.json into the invocation's own target folder, ~1.8 s of CPU per manifest
    # at 470 nodes, and nothing reads them: Dagster records every node's result from dbt's event
    # stream, and the project's manifest is target/manifest.json (`funnel prepare`, dbt parse).
    args = ["build", "--no-write-json", "--exclude-resource-type", "unit_test"]
    if full_refresh:
        args.append("--full-refresh")
    build_vars = dbt_vars(backfill_from, backfill_to)
    if build_vars:
        args += ["--vars", json.dumps(build_vars)]
    return args


ALERTS_SELECTION = "mart_alerts+"


def _stream_keeping_parse_state(invocation):
    """Stream a dbt invocation's events, then keep its partial-parse state for the next one
    (and only the newest invocation folders: ``prune_invocation_folders``).

    dagster-dbt runs each invocation in a fresh target folder seeded with the project's
    ``target/partial_parse.msgpack``; dbt throws that state away (a full parse, ~12 s here) when
    the vars or the profile (the warehouse path) differ from the ones it was written with. Copying
    the state back after each invocation makes the next invocation on the same warehouse, with
    the same vars (the second dbt step of the same build, tomorrow's build), parse partially.
    The copy is atomic, and a state written for other vars is only a cache miss, never wrong.
    """
    yield from invocation.stream()
    prune_invocation_folders(invocation.target_path.parent, invocation.target_path.name.rsplit("-", 2)[0])
    fresh = invocation.target_path / "partial_parse.msgpack"
    if fresh.exists():
        kept = DBT_PROJECT.project_dir / "target" / "partial_parse.msgpack"
        tmp = kept.with_name(f".partial_parse.{os.getpid()}.tmp")
        try:
            shutil.copyfile(fresh, tmp)
            os.replace(tmp, kept)
        except OSError:  # a read-only checkout: only the cache is lost
            tmp.unlink(missing_ok=True)


def _stream_with_table_metadata(context: dg.AssetExecutionContext, warehouse: WarehouseResource, invocation_of,
                                merge=None):
    """Run a dbt invocation and report rows, new rows and mart previews on its materializations
    (orchestration/transform/metadata.py): counts read before dbt takes the warehouse, and after.
    ``merge`` adds events to dbt's own (the kept nodes' outputs) before they are counted."""
    with warehouse.connect() as con:
        before = read_states(con, TABLE_RELATIONS.values())
    events = _stream_keeping_parse_state(invocation_of())
    yield from with_table_metadata(merge(events) if merge else events, warehouse.connect,
                                   TABLE_RELATIONS, before, context.run_id)


_TRANSLATOR = FunnelDbtTranslator()
KEYS_BY_UNIQUE_ID = {uid: _TRANSLATOR.get_asset_key(node) for uid, node in MANIFEST["nodes"].items()
                     if node["resource_type"] in unchanged.KEPT_TYPES}
UNIQUE_IDS_BY_KEY = {key: uid for uid, key in KEYS_BY_UNIQUE_ID.items()}
TOPOLOGICAL_INDEX = {uid: i for i, uid in enumerate(unchanged.topological_order(MANIFEST))}
ANCESTORS = unchanged.ancestors(MANIFEST)


def _selected_unique_ids(context: dg.AssetExecutionContext) -> list[str]:
    return [UNIQUE_IDS_BY_KEY[key] for key in context.selected_asset_keys if key in UNIQUE_IDS_BY_KEY]


def _recording_built_nodes(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                           plan: unchanged.KeepPlan, events):
    """Pass dbt's events on; then record what every node built cleanly was built from.

    Clean: dbt built it and every check on it ran and passed. A node with a failed test (error or
    warning), or whose tests never ran (dbt was stopped), is not recorded, so it is rebuilt and
    tested again next time instead of being kept with a failure out of sight. Recorded also when
    dbt fails: the nodes it finished hold tonight's data.
    """
    checks_of: dict[dg.AssetKey, set[dg.AssetCheckKey]] = {}
    for check_key in context.selected_asset_check_keys:
        checks_of.setdefault(check_key.asset_key, set()).add(check_key)
    built, passed = set(), set()
    try:
        for event in events:
            unique_id = _event_unique_id(event)
            if unique_id and unique_id not in plan.kept:
                built.add(unique_id)
            elif isinstance(event, dg.AssetCheckResult) and event.passed:
                passed.add(dg.AssetCheckKey(event.asset_key, event.check_name))
            yield event
    finally:
        clean = {uid for uid in built if checks_of.get(KEYS_BY_UNIQUE_ID.get(uid), set()) <= passed}
        try:
            with warehouse.connect() as con:
                unchanged.record_built(con, plan, clean, context.run_id)
                unchanged.record_code(con, built, plan.code, context.run_id)
        except (duckdb.Error, OSError) as exc:  # a lost record only means a rebuild next time
            context.log.warning(f"could not record the dbt nodes built ({exc}): they will be rebuilt next time")


def _kept_output(plan: unchanged.KeepPlan, unique_id: str) -> dg.Output:
    """The output of a kept node, so that the steps downstream (root cause, publish) run.

    ``kept`` and ``built_in_run`` say that dbt did not rebuild it in this run.
    """
    key = KEYS_BY_UNIQUE_ID[unique_id]
    return dg.Output(None, output_name=key.to_python_identifier(),
                     metadata={"unique_id": unique_id, "kept": "code and sources unchanged: not rebuilt",
                               "built_in_run": plan.kept[unique_id], "inputs_fingerprint": plan.fingerprints[unique_id]})


def _with_kept_outputs(plan: unchanged.KeepPlan, events, selected_checks):
    """dbt's events with the kept nodes' outputs merged in, then the results of the kept nodes'
    checks dbt did not run.

    Dagster requires a multi-asset to yield an asset after the assets it depends on. dbt yields in
    an order that respects its graph, so a kept node is yielded just before the first dbt output
    that depends on it (by then dbt has yielded everything the kept node depends on), and the rest
    at the end, all in dependency order. A kept node can depend on a rebuilt one: a view rebuilt
    because a warning test on it was not recorded, under a kept snapshot.

    The check results are carried over, not re-evaluated: a node is only recorded (and so kept)
    when every check on it passed, on the table it still holds (``carried_over_from_run``).
    """
    waiting = sorted(plan.kept, key=TOPOLOGICAL_INDEX.__getitem__)
    reported = set()
    for event in events:
        uid = _event_unique_id(event)
        if uid in ANCESTORS and waiting:
            needed = [k for k in waiting if k in ANCESTORS[uid]]
            for unique_id in needed:
                waiting.remove(unique_id)
                yield _kept_output(plan, unique_id)
        if isinstance(event, dg.AssetCheckResult):
            reported.add(dg.AssetCheckKey(event.asset_key, event.check_name))
        yield event
    for unique_id in waiting:
        yield _kept_output(plan, unique_id)
    for check_key in sorted(set(selected_checks) - reported, key=str):
        unique_id = UNIQUE_IDS_BY_KEY.get(check_key.asset_key)
        if unique_id in plan.kept:
            yield dg.AssetCheckResult(asset_key=check_key.asset_key, check_name=check_key.name, passed=True,
                                      metadata={"carried_over_from_run": plan.kept[unique_id],
                                                "note": "table unchanged since that run: not re-run"})


def _event_unique_id(event) -> str | None:
    if not isinstance(event, (dg.Output, dg.AssetMaterialization)):
        return None
    value = (event.metadata or {}).get("unique_id")
    return getattr(value, "value", value)


def _has_model(manifest_path, name: str) -> bool:
    nodes = json.loads(manifest_path.read_text(encoding="utf-8"))["nodes"].values()
    return any(n["resource_type"] == "model" and n["name"] == name for n in nodes)


HAS_ALERTS = _has_model(DBT_MANIFEST, "mart_alerts")


@dbt_assets(manifest=DBT_MANIFEST, project=DBT_PROJECT, dagster_dbt_translator=FunnelDbtTranslator(),
            exclude=ALERTS_SELECTION if HAS_ALERTS else "", pool=WRITER_POOL)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig,
               warehouse: WarehouseResource):
    """Seeds, staging, intermediate and marts, built and tested in one dbt invocation.

    One invocation (not one per model) because each dbt start-up costs seconds on 2 cores; dbt
    runs models in dependency order and its tests gate the models downstream of them. No automatic
    retry: a failed dbt build is a data or model error, and a retry could start while the failed
    dbt process still holds the warehouse lock. Re-execute from failure instead.
    """
    code = unchanged.code_fingerprint(DBT_PROJECT.project_dir, dbt_vars(config.backfill_from, config.backfill_to))
    # which code built an incremental table: without vars, so a backfill is not taken for a code change
    project_code = unchanged.code_fingerprint(DBT_PROJECT.project_dir)
    with warehouse.connect() as con:
        other_code = unchanged.incremental_models_built_by_other_code(con, MANIFEST, project_code)
    full_refresh = config.full_refresh or bool(other_code)
    if other_code and not config.full_refresh:
        context.log.info(f"full refresh: {len(other_code)} incremental model(s) were built by other code, seeds or "
                         f"settings than tonight's (an upgrade or an edit); their tables are rebuilt from scratch")
    args = dbt_build_args(full_refresh=full_refresh, backfill_from=config.backfill_from,
                          backfill_to=config.backfill_to)
    rebuild_all = full_refresh or config.backfill_from is not None or not unchanged.enabled()
    with warehouse.connect() as con:
        plan = unchanged.plan_kept(con, MANIFEST, _selected_unique_ids(context), code, allow_keep=not rebuild_all)
    plan = dataclasses.replace(plan, code=project_code)
    if plan.kept:
        context.log.info(f"{len(plan.kept)} dbt node(s) kept: their code and every source they read are "
                         f"unchanged since they were built (FUNNEL_KEEP_UNCHANGED_MODELS=0 rebuilds them)")
    if plan.kept and not context.is_subset:
        # a test is left out only when all of its models are kept: a relationships test from a
        # rebuilt model to a kept one still runs (dbt's default, eager, would drop it)
        args += ["--indirect-selection", "cautious"]
    events = _stream_with_table_metadata(
        context, warehouse, lambda: dbt.cli(args + plan.exclude_args(MANIFEST), context=context),
        merge=lambda dbt_events: _with_kept_outputs(plan, dbt_events, context.selected_asset_check_keys))
    yield from _recording_built_nodes(context, warehouse, plan, events)


DBT_ASSETS = [dbt_models]

if HAS_ALERTS:

    @dbt_assets(manifest=DBT_MANIFEST, project=DBT_PROJECT, dagster_dbt_translator=FunnelDbtTranslator(),
                select=ALERTS_SELECTION, name="dbt_alerts", pool=WRITER_POOL)
    def dbt_alerts(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        """``mart_alerts``: a second, small dbt invocation after the Python root-cause asset it reads."""
        yield from _stream_with_table_metadata(
            context, warehouse, lambda: dbt.cli(dbt_build_args(), context=context))

    DBT_ASSETS.append(dbt_alerts)
