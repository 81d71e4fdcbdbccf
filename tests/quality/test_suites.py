"""The suite files: consistent with the canonical schema, and every mistake in them explained."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dq_helpers import ALL_TABLES

from orchestration.canonical import TABLES
from orchestration.quality.suites import (
    DEFAULT_EXPECTATIONS_DIR,
    SuiteError,
    load_all_suites,
    load_config,
    load_suite,
)

# How each canonical DuckDB type arrives in the pandas chunk GX sees (expect_column_values_to_be_of_type).
PANDAS_TYPE = {"VARCHAR": "str", "BIGINT": "int64", "DOUBLE": "float64", "BOOLEAN": "bool",
               "TIMESTAMP": "datetime64", "DATE": "datetime64"}


@pytest.fixture(scope="module")
def suites():
    return load_all_suites()


def _by_type(suite, expectation):
    return [s for s in suite.expectations if s.expectation == expectation]


@pytest.mark.parametrize("table", ALL_TABLES)
def test_columns_present_lists_every_canonical_column(suites, table):
    (spec,) = [s for s in suites[table].expectations if s.name == "columns_present"]
    assert spec.severity == "critical"
    assert sorted(spec.kwargs["column_set"]) == sorted(TABLES[table].all_columns)


@pytest.mark.parametrize("table", ALL_TABLES)
def test_required_columns_are_typed_and_not_null(suites, table):
    suite, t = suites[table], TABLES[table]
    typed = {s.kwargs["column"]: s for s in _by_type(suite, "expect_column_values_to_be_of_type")}
    not_null = {s.kwargs["column"]: s for s in _by_type(suite, "expect_column_values_to_not_be_null")}
    for column in t.required:
        assert typed[column].severity == "critical" and not_null[column].severity == "critical", column
    for column, spec in typed.items():
        assert spec.kwargs["type_"] == PANDAS_TYPE[t.columns[column]], f"{table}.{column}"


@pytest.mark.parametrize("table", ALL_TABLES)
def test_keys_are_unique_within_a_delivery(suites, table):
    suite, key = suites[table], TABLES[table].key
    checked = {(s.kwargs["column"],) for s in _by_type(suite, "expect_column_values_to_be_unique_within_delivery")}
    checked |= {tuple(s.kwargs["column_list"]) for s in _by_type(suite, "expect_compound_columns_to_be_unique_within_delivery")}
    assert key in checked


@pytest.mark.parametrize("table", ALL_TABLES)
def test_every_suite_has_a_volume_check_and_one_line_whys(suites, table):
    suite = suites[table]
    assert _by_type(suite, "expect_delivery_row_count_to_be_within_history_band")
    assert all(s.why and len(s.why) < 120 for s in suite.expectations)


def test_every_gx_expectation_builds(suites, gx_loaded):
    from orchestration.quality.gx_runner import build_gx_suite

    params = load_config().run_parameters(__import__("datetime").datetime(2025, 1, 1))
    for suite in suites.values():
        specs = [s for s in suite.expectations if not s.is_delivery_check]
        assert len(build_gx_suite(suite, specs, params).expectations) == len(specs)


def test_config_defaults():
    config = load_config()
    assert config.date_floor.isoformat() == "2000-01-01T00:00:00"
    assert config.sample_size == 5 and config.chunk_rows > 0
    assert "EUR" in config.parameters["iso_4217_codes"] and "XXX" not in config.parameters["iso_4217_codes"]


# --- errors for people ------------------------------------------------------------------------


@pytest.fixture
def exp_dir(tmp_path: Path) -> Path:
    d = tmp_path / "expectations"
    shutil.copytree(DEFAULT_EXPECTATIONS_DIR, d)
    return d


def write_suite(exp_dir: Path, entry: str, table: str = "crm_users") -> None:
    (exp_dir / f"{table}.yml").write_text(f"table: {table}\nexpectations:\n{entry}", encoding="utf-8")


GOOD = """  - name: user_id_not_null
    expectation: expect_column_values_to_not_be_null
    kwargs: {column: user_id}
    severity: critical
    why: needed.
"""


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (GOOD.replace("severity: critical", "severity: blocker"), "severity 'blocker' must be one of critical, warning"),
        (GOOD.replace("severity:", "severty:"), "unknown key 'severty'"),
        (GOOD.replace("{column: user_id}", "{column: userid}"), "kwargs.column: 'userid' is not a column of raw.crm_users"),
        (GOOD.replace("{column: user_id}", '{column: user_id, mostly: "${share}"}'), "unknown parameter ${share}"),
        (GOOD.replace("    why: needed.\n", ""), "'why' is required"),
        (GOOD + GOOD, "name 'user_id_not_null' is used twice"),
        (GOOD.replace("user_id_not_null", "User ID"), "must be lower_snake_case"),
        (GOOD.replace("expect_column_values_to_not_be_null", "check_nulls"), "is not an expectation type"),
        (GOOD.replace("expect_column_values_to_not_be_null", "expect_column_values_to_be_in_stage_mapping"),
         "needs exactly one of kwargs entity_type or entity_type_column"),
        (GOOD.replace("kwargs: {column: user_id}", "kwargs: {column: [user_id"), "not valid YAML"),
    ],
)
def test_suite_mistakes_name_the_file_and_entry(exp_dir, entry, message):
    write_suite(exp_dir, entry)
    with pytest.raises(SuiteError) as err:
        load_suite("crm_users", exp_dir)
    text = str(err.value)
    assert "crm_users.yml" in text and message in text
    if "YAML" not in message:
        assert "expectations[" in text


@pytest.mark.parametrize(
    ("expectation", "message"),
    [
        ("expect_column_values_to_be_nice", "neither a Great Expectations expectation type nor a delivery-level check"),
        ("expect_column_values_to_be_unique", "use expect_column_values_to_be_unique_within_delivery"),
        ("expect_column_max_to_be_between", "cannot be combined from per-chunk results"),
    ],
)
def test_gx_level_mistakes_name_the_file_and_entry(exp_dir, gx_loaded, expectation, message):
    from orchestration.quality.gx_runner import build_gx_suite

    write_suite(exp_dir, GOOD.replace("expect_column_values_to_not_be_null", expectation))
    suite = load_suite("crm_users", exp_dir)
    with pytest.raises(SuiteError) as err:
        build_gx_suite(suite, list(suite.expectations), {})
    assert "crm_users.yml: expectations[0] (user_id_not_null)" in str(err.value) and message in str(err.value)


def test_gx_rejected_kwargs_are_explained(exp_dir, gx_loaded):
    from orchestration.quality.gx_runner import build_gx_suite

    write_suite(exp_dir, GOOD.replace("{column: user_id}", "{column: user_id, mostly: 3}"))
    suite = load_suite("crm_users", exp_dir)
    with pytest.raises(SuiteError, match=r"crm_users.yml: expectations\[0\] .*rejected the kwargs"):
        build_gx_suite(suite, list(suite.expectations), {})


def test_table_must_match_file_name(exp_dir):
    (exp_dir / "crm_users.yml").write_text("table: crm_accounts\nexpectations: []\n")
    with pytest.raises(SuiteError, match="crm_users.yml: table: expected 'crm_users'"):
        load_suite("crm_users", exp_dir)


def test_config_mistakes_are_explained(exp_dir):
    cfg = exp_dir / "config.yml"
    cfg.write_text(cfg.read_text().replace("chunk_rows: 50000", "chunk_rows: lots"))
    with pytest.raises(SuiteError, match="config.yml: chunk_rows: expected a whole number above 0, got 'lots'"):
        load_config(exp_dir)


def test_a_changed_threshold_needs_no_code(exp_dir):
    cfg = exp_dir / "config.yml"
    cfg.write_text(cfg.read_text().replace("date_floor: 2000-01-01", "date_floor: 2015-06-01"))
    assert load_config(exp_dir).run_parameters(__import__("datetime").datetime(2025, 1, 1))["date_floor"].year == 2015
