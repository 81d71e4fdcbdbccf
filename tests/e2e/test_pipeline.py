"""One end-to-end build of the whole asset graph on generated data, checked against the truth.

Expected values come from outside the warehouse: the generator's planted truth and a plain-Python
count of the raw export files (tests/e2e/independent.py).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pytest

from orchestration.build import run_build
from orchestration.generate import generate
from orchestration.settings import load_settings
from tests.e2e.independent import STAGES, cohort_reached

pytestmark = pytest.mark.e2e
AS_OF = "2026-07-01 00:00:00"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    landing = root / "landing"
    truth = generate(landing, leads=4000, seed=11)
    settings = load_settings(Path("/nonexistent/funnel.yml"), landing_dir=landing, out_dir=root / "out", as_of=AS_OF)
    outcome = run_build(settings)
    assert outcome.success, outcome.failures + outcome.failed_checks
    return settings, truth, outcome


def _published(settings) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(settings.published), read_only=True)


def test_cohort_counts_equal_an_independent_count_of_the_raw_files(built):
    settings, _, _ = built
    expected = cohort_reached(settings.landing_dir / "salesforce")
    con = _published(settings)
    got = {(m.strftime("%Y-%m"), s): n for m, s, n in con.execute(
        "select cohort_month, stage_key, reached_count from marts.mart_funnel_cohort where stage_key in ?",
        [STAGES]).fetchall()}
    con.close()
    assert {k: v for k, v in got.items() if v} == expected  # the mart keeps zero rows (every cohort x stage)


def test_cohort_counts_equal_the_generators_realized_truth(built):
    settings, truth, _ = built
    planted: dict[tuple[str, str], int] = {}
    for row in truth["realized"]["cohort_funnel"]:
        for stage, column in (("lead", "leads"), *((s, s) for s in STAGES[1:])):
            planted[(row["month"], stage)] = planted.get((row["month"], stage), 0) + row[column]
    con = _published(settings)
    got = {(m.strftime("%Y-%m"), s): n for m, s, n in con.execute(
        "select cohort_month, stage_key, reached_count from marts.mart_funnel_cohort where stage_key in ?",
        [STAGES]).fetchall()}
    con.close()
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in planted.items() if v}


def test_stage_conversion_rates_match_the_planted_rates_within_sampling_error(built):
    """Pooled over the uncensored months, each lead-side transition rate is within 4 SE of the plan."""
    settings, truth, _ = built
    months = truth["parameters"]["month_keys"][:4]
    expected = {}
    weights = {}
    for r in truth["expected_segment_rates"]:
        if r["month"] in months and r["transition"] == "lead->qualified":
            expected.setdefault(r["lead_source"], []).append(r["rate"])
    con = _published(settings)
    rows = con.execute(
        """select strftime(cohort_month, '%Y-%m') m, stage_key, reached_count from marts.mart_funnel_cohort
           where stage_key in ('lead', 'qualified')""").fetchall()
    con.close()
    leads = sum(n for m, s, n in rows if s == "lead" and m in months)
    qualified = sum(n for m, s, n in rows if s == "qualified" and m in months)
    observed = qualified / leads
    # planted overall rate: average of segment rates weighted by the realized lead volume per segment
    volume = {}
    for row in truth["realized"]["cohort_funnel"]:
        if row["month"] in months:
            volume[(row["month"], row["lead_source"])] = volume.get((row["month"], row["lead_source"]), 0) + row["leads"]
    rate = {(r["month"], r["lead_source"]): r["rate"] for r in truth["expected_segment_rates"]
            if r["transition"] == "lead->qualified"}
    planted = sum(rate[k] * n for k, n in volume.items()) / sum(volume.values())
    se = math.sqrt(planted * (1 - planted) / leads)
    assert abs(observed - planted) < 4 * se, (observed, planted, se)


def test_published_file_holds_only_bi_schemas_and_no_raw_pii(built):
    settings, _, _ = built
    con = _published(settings)
    relations = set(con.execute("select table_schema, table_name, table_type from information_schema.tables").fetchall())
    assert {schema for schema, _, _ in relations} == {"marts", "meta", "intermediate"}
    # the two clock-reading marts are views over copies of their warehouse tables, which are the
    # only other tables (orchestration/publish/live_views.py)
    assert {(schema, name) for schema, name, kind in relations if kind == "VIEW"} == {
        ("marts", "fct_stage_events"), ("marts", "fct_opportunities")}
    assert {name for schema, name, _ in relations if schema == "intermediate"} == {
        "int_stage_events__sequenced", "int_opportunities__facts"}
    con.close()


def test_no_email_phone_or_name_from_the_inputs_reaches_a_bi_output(built):
    """Every text column of funnel.duckdb, every Parquet file and the HTML report: no email (lower-cased),
    phone (digits only, E.164) or lead/respondent name taken from the delivered files (tests/bad_inputs/pii.py)."""
    import csv

    from tests.bad_inputs.pii import needles_from_landing, scan_outputs

    settings, _, _ = built
    with open(settings.landing_dir / "salesforce" / "User.csv", newline="", encoding="utf-8") as f:
        reps = {f"{r['FirstName']} {r['LastName']}".lower() for r in csv.DictReader(f)}  # owners are not customers
    needles = needles_from_landing(settings.landing_dir, exclude_names=reps)
    assert len(needles.emails) > 1000 and len(needles.phones) > 1000 and len(needles.names) > 1000
    hits = scan_outputs(settings.out_dir, needles)
    assert "funnel.duckdb" in hits
    assert {where: found for where, found in hits.items() if found} == {}


def test_dbt_materializations_carry_rows_new_rows_and_a_preview_of_each_mart(built):
    settings, _, outcome = built
    mats = outcome.materializations
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        for key in ("marts/fct_leads", "marts/mart_funnel_cohort", "staging/base_crm__leads",
                    "intermediate/int_activities__sequenced"):
            schema, name = key.split("/")
            (rows,) = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()
            assert mats[key]["dagster/row_count"] == rows > 0, key
            assert mats[key]["build_id"] == outcome.run_id
        # first build into an empty warehouse: every row is new
        (leads,) = con.execute("select count(*) from staging.base_crm__leads").fetchone()
        assert mats["staging/base_crm__leads"]["new_rows"] == leads
        assert mats["staging/base_crm__leads"]["row_change"] == leads
        stage_keys = {k for (k,) in con.execute("select distinct stage_key from marts.mart_funnel_cohort").fetchall()}
        columns = [c for (c,) in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'marts' "
            "and table_name = 'mart_funnel_cohort' order by column_index").fetchall()]
    finally:
        con.close()
    lines = mats["marts/mart_funnel_cohort"]["preview"].splitlines()
    assert [c.strip() for c in lines[0].strip("|").split("|")] == columns
    assert len(lines) == 2 + 5
    position = columns.index("stage_key")
    assert {[c.strip() for c in line.strip("|").split("|")][position] for line in lines[2:]} <= stage_keys
    assert "preview" not in mats["staging/base_crm__leads"]  # PII lives there: no preview
