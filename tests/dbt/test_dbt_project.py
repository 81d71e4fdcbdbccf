"""Static checks of the dbt project: the contract with the orchestration code and the docs rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestration.canonical import TABLES
from orchestration.publish.duckdb_file import INTERNAL_COLUMNS

from dbt_harness import DBT_PROJECT


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_sources_list_exactly_the_canonical_columns():
    sources = load_yaml(DBT_PROJECT / "models/staging/_raw__sources.yml")["sources"]
    (raw,) = [s for s in sources if s["name"] == "raw"]
    declared = {t["name"]: [c["name"] for c in t["columns"]] for t in raw["tables"]}
    assert set(declared) == set(TABLES)
    for name, table in TABLES.items():
        assert declared[name] == list(table.all_columns), name
    for t in raw["tables"]:
        assert all(c.get("description") for c in t["columns"]), t["name"]


@pytest.fixture(scope="module")
def manifest(dbt_parse) -> dict:
    """The manifest of `dbt parse` (what the orchestrator runs before loading it): no warnings."""
    assert "WARNING" not in dbt_parse.output, dbt_parse.output
    return dbt_parse.manifest


def test_every_mart_has_an_enforced_contract_typed_columns_grain_and_example(manifest):
    marts = [n for n in manifest["nodes"].values()
             if n["resource_type"] == "model" and n["config"]["schema"] == "marts"]
    assert len(marts) >= 14
    for node in marts:
        name = node["name"]
        assert node["config"]["contract"]["enforced"], name
        # a table; or a view of rows that change with the clock every night, which publishing
        # writes as a table (fct_stage_events on DuckDB); or a table partition-incremental whose
        # digest column publishing leaves out
        if node["config"]["materialized"] == "view":
            assert "as_of()" in node["raw_code"], name
        elif node["config"]["materialized"] != "table":
            assert node["config"]["materialized"] == "incremental", name
            assert node["config"]["incremental_strategy"] == "replace_partitions", name
            assert "_partition_digest" in node["columns"] and "_partition_digest" in INTERNAL_COLUMNS, name
        assert node["description"].startswith("**Grain: one row per"), name
        assert "```sql" in node["description"], name
        assert node["columns"], name
        for col in node["columns"].values():
            assert col.get("data_type"), f"{name}.{col['name']}"
            # bilingual: every user-facing column description carries a Chinese label
            assert any("\u4e00" <= ch <= "\u9fff" for ch in col["description"]), f"{name}.{col['name']}"


def test_every_model_and_column_is_documented(manifest):
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    for node in models:
        assert node["description"], node["name"]
        assert node["columns"], node["name"]
        assert all(c["description"] for c in node["columns"].values()), node["name"]
    seeds = [n for n in manifest["nodes"].values() if n["resource_type"] == "seed"]
    assert {s["name"] for s in seeds} >= {"funnel_stages", "stage_mapping", "channels", "channel_mapping"}
    assert all(s["description"] and s["columns"] for s in seeds)


def test_schemas_are_exactly_the_layer_names(manifest):
    schemas = {(n["resource_type"], n["schema"]) for n in manifest["nodes"].values()
               if n["resource_type"] in ("model", "seed")}
    assert {s for _, s in schemas} == {"staging", "intermediate", "marts", "seeds", "semantic"}  # semantic: MetricFlow time spine


def test_documented_columns_match_the_built_tables(dbt_build, manifest):
    """YAML columns of every model == the columns the model really produces (no stale docs)."""
    built: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in dbt_build.query(
            "select table_schema, table_name, column_name from information_schema.columns"):
        built.setdefault((schema, table), set()).add(column)
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model":
            assert built[(node["schema"], node["name"])] == set(node["columns"]), node["name"]


def test_unit_test_fixture_matches_default_funnel_stages(dbt_build):
    fixture = (DBT_PROJECT / "tests/fixtures/int_funnel_stages_default.sql").read_text(encoding="utf-8")
    sql = "\n".join(line for line in fixture.splitlines() if not line.startswith("--"))
    expected = sorted(map(str, dbt_build.query(f"select * from ({sql}) as f")))
    built = sorted(map(str, dbt_build.query("select * from intermediate.int_funnel_stages")))
    assert built == expected
