"""The publish assets in Dagster: wiring, metadata a person on call needs, Postgres optional and secret-free."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from orchestration.assets.publish import (PostgresPublishResource, published_parquet, published_postgres,
                                          published_report, published_warehouse)
from orchestration.resources import PublishResource, WarehouseResource
from orchestration.settings import load_settings
from tests.publish.fixture_marts import EXPECTED_REACHED, create_private_warehouse

UNSET_ENV = "FUNNEL_TEST_POSTGRES_URL_NOT_SET"


@pytest.fixture(scope="module")
def graph():
    from orchestration.definitions import build_definitions

    return build_definitions(load_settings(Path("/nonexistent/funnel.yml"))).resolve_asset_graph()


def test_outputs_hang_off_the_published_file_in_group_publish(graph):
    root = dg.AssetKey(["publish", "funnel_duckdb"])
    for name in ("parquet", "postgres", "report"):
        node = graph.get(dg.AssetKey(["publish", name]))
        assert node.group_name == "publish"
        assert node.parent_keys == {root}
    policy = published_postgres.op.retry_policy  # network: retried with backoff
    assert policy.max_retries == 3 and policy.backoff == dg.Backoff.EXPONENTIAL


def _materialize(tmp_path, url_env: str):
    wh = tmp_path / "warehouse.duckdb"
    create_private_warehouse(wh)
    return dg.materialize(
        [published_warehouse, published_parquet, published_postgres, published_report],
        resources={"warehouse": WarehouseResource(path=str(wh)),
                   "publisher": PublishResource(out_dir=str(tmp_path / "out")),
                   "postgres": PostgresPublishResource(url_env=url_env)},
        raise_on_error=False,
    )


def _metadata(result, name: str) -> dict:
    mat = result.asset_materializations_for_node(f"publish__{name}")[0]
    return {k: v.value for k, v in mat.metadata.items()}


def test_all_outputs_carry_the_same_build_and_say_what_they_wrote(tmp_path):
    result = _materialize(tmp_path, UNSET_ENV)
    assert result.success
    duck, parquet, report = (_metadata(result, n) for n in ("funnel_duckdb", "parquet", "report"))
    assert duck["build_id"] == parquet["build_id"] == report["build_id"]
    assert parquet["dagster/row_count"] == duck["dagster/row_count"] and parquet["files"] == duck["tables"]
    assert parquet["duration_s"] >= 0 and report["duration_s"] >= 0
    assert report["sections_drawn"] == 8 and report["sections_not_available"] == {}
    manifest = json.loads((tmp_path / "out" / "parquet" / "manifest.json").read_text())
    # the mart published as a view is exported with its rows, the table under it is not
    assert manifest["marts"]["fct_event_ages"]["rows"] == 100 and "int_event_entries" not in manifest["marts"]
    assert duck["tables"] == len(manifest["marts"])
    assert (tmp_path / "out" / "report" / "funnel_report.zh.html").exists()
    postgres = _metadata(result, "postgres")
    assert postgres["status"] == "skipped" and UNSET_ENV in postgres["note"]


def test_postgres_output_publishes_when_the_url_is_set_and_never_shows_it(tmp_path, pg_database, monkeypatch):
    monkeypatch.setenv("FUNNEL_TEST_POSTGRES_URL", pg_database.url)
    result = _materialize(tmp_path, "FUNNEL_TEST_POSTGRES_URL")
    assert result.success
    meta = _metadata(result, "postgres")
    assert meta["status"] == "published" and meta["build_id"] == _metadata(result, "funnel_duckdb")["build_id"]
    assert meta["dagster/row_count"] == _metadata(result, "parquet")["dagster/row_count"]
    with pg_database.connect() as pg:
        reached = [r[0] for r in pg.execute("select sum(reached_count) from marts.mart_funnel_cohort "
                                            "group by stage_order order by stage_order").fetchall()]
        ages = pg.execute("select count(*), sum(hours_open) from marts.fct_event_ages").fetchone()
    assert reached == EXPECTED_REACHED
    assert ages == (100, 744 * 100 - sum(range(100)))  # entry i entered 2026-01-01 + i hours
    events = "\n".join(str(e) for e in result.all_events)
    assert pg_database.password not in events and pg_database.url not in events


def test_a_postgres_failure_fails_the_step_without_the_password_and_without_retrying(tmp_path, postgres_server,
                                                                                    monkeypatch):
    bad = postgres_server.url.replace(f"{postgres_server.user}:", "nobody:")  # authentication fails
    monkeypatch.setenv("FUNNEL_TEST_POSTGRES_URL", bad)
    result = _materialize(tmp_path, "FUNNEL_TEST_POSTGRES_URL")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key == "publish__postgres"
    description = failure.step_failure_data.user_failure_data.description
    assert "authentication failed" in description
    events = "\n".join(str(e) for e in result.all_events)
    assert postgres_server.password not in events and bad not in events
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert _metadata(result, "parquet")["build_id"]  # the other outputs still published
