"""The dbt layer as Dagster assets: every model, seed and snapshot, with dbt tests as asset checks."""


import json
import os
import shutil
from datetime import date

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.resources import WRITER_POOL, WarehouseResource
from orchestration.transform.metadata import read_states, table_relations, with_table_metadata
from orchestration.transform.project import DBT_PROJECT, ensure_manifest, prune_invocation_folders
from orchestration.transform.translator import FunnelDbtTranslator

DBT_MANIFEST = ensure_manifest()
TABLE_RELATIONS = table_relations(json.loads(DBT_MANIFEST.read_text(encoding="utf-8")))


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


def dbt_build_args(full_refresh: bool = False, as_of: str | None = None,
                   backfill_from: str | None = None, backfill_to: str | None = None) -> list[str]:
    """Arguments for the nightly ``dbt build`` (a pure function so tests can check it).

    ``as_of`` pins "now" for ages of open stages; unset, dbt uses the build time, so a rebuild on
    unchanged data differs only in those ages. ``full_refresh`` rebuilds the incremental models
    from every raw row; a backfill range makes them also recompute the rows dated in it.
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
    dbt_vars = {}
    if as_of:
        dbt_vars["as_of"] = as_of
    if backfill_from:
        dbt_vars |= {"backfill_from": backfill_from, "backfill_to": backfill_to}
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
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


def _stream_with_table_metadata(context: dg.AssetExecutionContext, warehouse: WarehouseResource, invocation_of):
    """Run a dbt invocation and report rows, new rows and mart previews on its materializations
    (orchestration/transform/metadata.py): counts read before dbt takes the warehouse, and after."""
    with warehouse.connect() as con:
        before = read_states(con, TABLE_RELATIONS.values())
    yield from with_table_metadata(_stream_keeping_parse_state(invocation_of()), warehouse.connect,
                                   TABLE_RELATIONS, before, context.run_id)


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
    args = dbt_build_args(full_refresh=config.full_refresh, as_of=os.environ.get("FUNNEL_AS_OF"),
                          backfill_from=config.backfill_from, backfill_to=config.backfill_to)
    yield from _stream_with_table_metadata(context, warehouse, lambda: dbt.cli(args, context=context))


DBT_ASSETS = [dbt_models]

if HAS_ALERTS:

    @dbt_assets(manifest=DBT_MANIFEST, project=DBT_PROJECT, dagster_dbt_translator=FunnelDbtTranslator(),
                select=ALERTS_SELECTION, name="dbt_alerts", pool=WRITER_POOL)
    def dbt_alerts(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        """``mart_alerts``: a second, small dbt invocation after the Python root-cause asset it reads."""
        yield from _stream_with_table_metadata(
            context, warehouse, lambda: dbt.cli(dbt_build_args(as_of=os.environ.get("FUNNEL_AS_OF")), context=context))

    DBT_ASSETS.append(dbt_alerts)
