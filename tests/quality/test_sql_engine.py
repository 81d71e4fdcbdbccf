"""The SQL validation engine against the GX path it replaces: same results, expectation by expectation.

Two kinds of test: every shipped suite over deliveries with planted failures through both engines
(results must be equal field by field), and small hand-counted cases for the semantics where SQL and
pandas differ by default (nulls and NaN, regex flavours, empty deliveries, quotes and Unicode).
"""

from __future__ import annotations

import json
import math
import os
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from dq_helpers import ALL_TABLES, NOW, good_row, insert_delivery

from orchestration.canonical import table as canonical_table
from orchestration.quality.delivery import describe_delivery
from orchestration.quality.regex_re2 import to_re2
from orchestration.quality.runner import validate_expectations, validation_engine
from orchestration.quality.sql_engine import compile_suite
from orchestration.quality.suites import ExpectationSpec, Suite, SuiteError, load_config, load_suite

FILE = "landing/2025-06-30/export.csv"
OLD = datetime(1999, 12, 31)
FUTURE = NOW + timedelta(days=3)


def assert_same(gx, sql, *, samples_exact: bool = True):
    """Equal verdicts and counts; samples the same set (small fixtures) and each a real unexpected value."""
    assert gx.keys() == sql.keys()
    for name, g in gx.items():
        s = sql[name]
        where = f"{name} ({g.expectation})"
        assert (s.success, s.element_count, s.unexpected_count, s.severity, s.mostly, s.error) == (
            g.success, g.element_count, g.unexpected_count, g.severity, g.mostly, g.error), where
        if g.unexpected_percent is None:
            assert s.unexpected_percent is None, where
        else:
            assert s.unexpected_percent == pytest.approx(g.unexpected_percent, abs=1e-9), where
        # map expectations: {unexpected_count, nonmissing_count (= elements - GX's missing_count), mostly}
        assert s.observed_value == g.observed_value, where
        assert s.source_files == g.source_files, where
        if samples_exact:
            assert sorted(zip(s.sample_values, s.sample_locations)) == sorted(zip(g.sample_values, g.sample_locations)), where
        else:
            assert len(s.sample_values) == len(g.sample_values), where


def both_engines(con, table, specs, load_ids, *, derived=None, seeds_dir=Path("."), expectations_dir=None):
    config = load_config(expectations_dir)
    suite = Suite(table=table, path=Path(f"{table}.yml"), expectations=tuple(specs), derived_columns=derived or {})
    delivery = describe_delivery(con, canonical_table(table), load_ids, config=config, seeds_dir=seeds_dir, now=NOW)
    params = config.run_parameters(NOW)
    gx, _ = validate_expectations(delivery, suite, list(specs), params, engine="gx")
    sql, _ = validate_expectations(delivery, suite, list(specs), params, engine="sql")
    return gx, sql


def spec(name, expectation, severity="critical", **kwargs) -> ExpectationSpec:
    return ExpectationSpec(name=name, expectation=expectation, kwargs=kwargs, severity=severity, why="test",
                           where=f"test: {name}")


# --- every shipped suite, with planted failures --------------------------------------------------


def _plant(table: str, s: ExpectationSpec, row: dict, params: dict) -> dict | None:
    """Overrides that make ``row`` fail ``s`` (None if the entry cannot fail on a single row)."""
    kw = {k: params[v[2:-1]] if isinstance(v, str) and v.startswith("${") else v for k, v in s.kwargs.items()}
    col = kw.get("column")
    e = s.expectation
    if e == "expect_column_values_to_not_be_null":
        return {col: None}
    if e == "expect_column_values_to_be_in_set":
        return {col: "it's not ü"}
    if e == "expect_column_values_to_match_regex":
        return {col: "n/a ‘quoted’\n"}
    if e == "expect_column_values_to_be_json_parseable":
        return {col: "[1,]"}  # DuckDB's json_valid accepts it; Python's json.loads does not
    if e == "expect_column_values_to_be_between":
        lo, hi = kw.get("min_value"), kw.get("max_value")
        if isinstance(lo or hi, datetime):
            value = lo - timedelta(days=1) if lo is not None else hi + timedelta(days=2)
            return {col: value.date() if canonical_table(table).columns[col] == "DATE" else value}
        return {col: lo - 1 if lo is not None else hi + 1}
    if e == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kw["column_A"], kw["column_B"]
        if b == "created_date":  # derived: cast(created_at as date)
            return {a: (row["created_at"] - timedelta(days=1)).date()}
        base = row.get(b)
        if base is None:
            return None
        return {a: base - (timedelta(days=1) if isinstance(base, (date, datetime)) else 1)}
    return None


def planted_rows(table: str) -> list[dict]:
    """Good rows; one row per row-wise entry failing it; rows with nulls everywhere nullable; NaN."""
    params = load_config().run_parameters(NOW)
    rows = [good_row(table, i) for i in range(3)]
    for i, s in enumerate(load_suite(table).expectations):
        row = good_row(table, 10 + i)
        change = _plant(table, s, row, params)
        if change:
            rows.append({**row, **change})
    # a row where every optional value is null (and a second kind of bad value for some columns)
    nulls = {k: None for k in good_row(table, 50)}
    rows.append({**good_row(table, 50), **{k: v for k, v in nulls.items() if not k.endswith("_id")}})
    extra = good_row(table, 60)
    for k, v in extra.items():
        if isinstance(v, float):
            extra[k] = math.nan  # pandas reads NaN as missing
        elif k in ("email", "phone"):
            extra[k] = "x@y.com\n" if k == "email" else "１２３４５６７８"  # Python's $ and \d semantics
    rows.append(extra)
    return rows


@pytest.mark.parametrize("table", ALL_TABLES)
def test_every_suite_gives_the_same_results_with_both_engines(con, run, table, gx_loaded):
    insert_delivery(con, table, planted_rows(table), load_id="bad", source_file=FILE)
    insert_delivery(con, table, [good_row(table, 70)], load_id="bad-2", source_file="landing/other.csv")
    gx = run(table, ["bad", "bad-2"], run_id="gx", engine="gx")
    sql = run(table, ["bad", "bad-2"], run_id="sql", engine="sql")
    assert_same({r.name: r for r in gx.results}, {r.name: r for r in sql.results})
    params = load_config().run_parameters(NOW)
    planted = {s.name for i, s in enumerate(load_suite(table).expectations) if _plant(table, s, good_row(table, 10 + i), params)}
    assert planted and {r.name for r in sql.results if r.unexpected_count} >= planted
    # and wrote the same rows to quality.dq_results (what mart_dq_trends reads)
    stored = {run_id: con.execute("select * exclude (run_id) from quality.dq_results where run_id = ? order by expectation",
                                  [run_id]).fetchall() for run_id in ("gx", "sql")}
    assert stored["gx"] == stored["sql"]


@pytest.mark.parametrize("table", ALL_TABLES)
def test_shipped_suites_compile_entirely_to_sql(con, table):
    """No entry of a shipped suite falls back to GX (so the nightly build never imports it)."""
    insert_delivery(con, table, [good_row(table, 0)], load_id="l", source_file=FILE)
    config = load_config()
    suite = load_suite(table, config=config)
    delivery = describe_delivery(con, canonical_table(table), ["l"], config=config, seeds_dir=Path("."), now=NOW)
    specs = [s for s in suite.expectations if not s.is_delivery_check]
    compiled, rest, _ctx, _sql = compile_suite(delivery, suite, specs, config.run_parameters(NOW))
    assert [s.name for s in rest] == []
    assert len(compiled) == len(specs)


# --- hand-counted semantics ------------------------------------------------------------------------


def leads(con, emails=None, load_id="l", **columns):
    """A crm_leads delivery whose rows differ only in the given columns (lists of equal length)."""
    n = len(emails if emails is not None else next(iter(columns.values())))
    rows = []
    for i in range(n):
        row = good_row("crm_leads", i)
        if emails is not None:
            row["email"] = emails[i]
        for k, values in columns.items():
            row[k] = values[i]
        rows.append(row)
    insert_delivery(con, "crm_leads", rows, load_id=load_id, source_file=FILE)
    return [load_id]


def test_in_set_ignores_nulls_and_counts_over_non_null_values(con, gx_loaded):
    ids = leads(con, title=["a", None, "b", "it's", None, "ü"])
    gx, sql = both_engines(con, "crm_leads", [spec("t", "expect_column_values_to_be_in_set", column="title",
                                                     value_set=["a", "b"])], ids)
    assert_same(gx, sql)
    r = sql["t"]
    # 6 rows, 2 null (GX's missing_count), 2 of the 4 others unexpected: 50 %, not 2/6
    assert (r.element_count, r.unexpected_count, r.unexpected_percent) == (6, 2, 50.0)
    assert r.observed_value == {"unexpected_count": 2, "nonmissing_count": 4, "mostly": 1.0}
    assert set(r.sample_values) == {"it's", "ü"} and set(r.sample_locations) == {"export.csv:4", "export.csv:6"}


def test_not_null_counts_over_all_rows_and_mostly_is_judged_on_the_delivery(con, gx_loaded):
    ids = leads(con, title=["a", None, None, "b", "c", "d", "e", "f", "g", "h"])
    specs = [spec("strict", "expect_column_values_to_not_be_null", column="title"),
             spec("lenient", "expect_column_values_to_not_be_null", column="title", mostly=0.8),
             spec("too_strict", "expect_column_values_to_not_be_null", column="title", mostly=0.81)]
    gx, sql = both_engines(con, "crm_leads", specs, ids)
    assert_same(gx, sql)
    assert (sql["strict"].unexpected_count, sql["strict"].unexpected_percent) == (2, 20.0)
    assert (sql["strict"].success, sql["lenient"].success, sql["too_strict"].success) == (False, True, False)
    assert sql["strict"].sample_values == ("null",)


def test_nan_is_missing_like_in_pandas(con, gx_loaded):
    ids = leads(con, annual_revenue=[1.0, math.nan, -5.0, None, math.inf])
    specs = [spec("rev", "expect_column_values_to_be_between", column="annual_revenue", min_value=0),
             spec("rev_nn", "expect_column_values_to_not_be_null", column="annual_revenue")]
    gx, sql = both_engines(con, "crm_leads", specs, ids)
    assert_same(gx, sql)
    # NaN and NULL are both missing; DuckDB alone would call NaN the largest number (in range)
    assert sql["rev"].observed_value == {"unexpected_count": 1, "nonmissing_count": 3, "mostly": 1.0}
    assert sql["rev_nn"].unexpected_count == 2


@pytest.mark.parametrize(
    ("value", "email_ok"),
    [
        ("a@b.com", True),
        ("a@b.com\n", True),  # Python's $ matches before a final newline; RE2's does not
        ("a@b.com\n\n", False),
        ("a\u3000b@c.com", False),  # ideographic space is \s in Python, not in RE2
        ("a\x0bb@c.com", False),  # vertical tab: Python \s, not RE2 \s
        ("o'brien@exämple.de", True),
        ("", False),
        ("a@b", False),
    ],
)
def test_email_regex_keeps_python_semantics(con, gx_loaded, value, email_ok):
    ids = leads(con, emails=[value, None])
    regex = load_config().parameters["email_regex"]
    gx, sql = both_engines(con, "crm_leads", [spec("e", "expect_column_values_to_match_regex", column="email",
                                                     regex=regex)], ids)
    assert_same(gx, sql)
    assert bool(re.search(regex, value)) is email_ok
    assert sql["e"].success is email_ok and sql["e"].element_count == 2
    assert sql["e"].observed_value["nonmissing_count"] == 1


def test_phone_regex_lookahead_and_unicode_digits(con, gx_loaded):
    phones = ["+1 (415) 555-0100", "n/a", "١٢٣٤٥٦٧٨", "１２３４５６７８", "123456", "+1 415\x0b555 0100", "0" * 21,
              "+49 30 1234567 ext. 12", None, "+49 30 1234567\n"]
    ids = leads(con, phone=phones)
    regex = load_config().parameters["phone_regex"]
    assert to_re2(regex) is not None and len(to_re2(regex)) == 2  # look-ahead split into two RE2 matches
    gx, sql = both_engines(con, "crm_leads", [spec("p", "expect_column_values_to_match_regex", column="phone",
                                                     regex=regex, mostly=0.5)], ids)
    assert_same(gx, sql)
    expected_bad = sum(1 for p in phones if p is not None and not re.search(regex, p))
    assert sql["p"].unexpected_count == expected_bad == 3  # n/a, 123456 (6 digits), 21 digits


@pytest.mark.parametrize(
    "regex",
    [r"^L\d+$", r"\d$", r"^(?!L0)", r"\bL", r"^\w+$", r"(L)\1", r"^$", r"^L[0-9]{1,2}\Z", r"(?i)^l", "it's"],
)
def test_regex_anchors_and_untranslatable_patterns(con, gx_loaded, regex):
    """Translated (anchors, \\Z) or evaluated with Python's re inside DuckDB (\\b, \\w, back-references, flags)."""
    ids = leads(con, lead_id=["L0", "L12", "l3", "it's", "L4\n", "", "Ł5", "L١"])
    gx, sql = both_engines(con, "crm_leads", [spec("r", "expect_column_values_to_match_regex", column="lead_id",
                                                     regex=regex),
                                                spec("nr", "expect_column_values_to_not_match_regex", column="lead_id",
                                                     regex=regex)], ids)
    assert_same(gx, sql)
    want = sum(1 for v in ["L0", "L12", "l3", "it's", "L4\n", "", "Ł5", "L١"] if not re.search(regex, v))
    assert sql["r"].unexpected_count == want and sql["nr"].unexpected_count == 8 - want


def test_empty_delivery(con, gx_loaded):
    specs = [s for s in load_suite("crm_leads").expectations if not s.is_delivery_check]
    gx, sql = both_engines(con, "crm_leads", specs, ["nothing-loaded"], derived=load_suite("crm_leads").derived_columns)
    assert_same(gx, sql)
    assert all(r.success for r in sql.values())
    assert {r.element_count for r in sql.values()} == {0}


def test_quotes_unicode_and_pii_masking_in_samples(con, gx_loaded):
    ids = leads(con, emails=["O'Hara@例え.jp", 'say "hi"@x', "ünï côdé@x.com", "ok@x.com"],
                title=["'; drop table raw.crm_leads; --", "naïve", "\"q\"", "ok"])
    specs = [spec("e", "expect_column_values_to_match_regex", column="email", regex=r"^[a-z]+@x\.com$"),
             spec("t", "expect_column_values_to_be_in_set", column="title", value_set=["ok", "'; drop", "naïve"])]
    gx, sql = both_engines(con, "crm_leads", specs, ids)
    assert_same(gx, sql)
    assert set(sql["e"].sample_values) == {"O***@例え.jp", "s***@x", "ü***@x.com"}  # email is PII: masked
    assert set(sql["t"].sample_values) == {"'; drop table raw.crm_leads; --", '"q"'}
    assert con.execute("select count(*) from raw.crm_leads").fetchone()[0] == 4


def test_pair_comparison_with_missing_values(con, gx_loaded):
    d0 = datetime(2025, 3, 1)
    ids = leads(con, created_at=[d0, d0, d0, None, d0, None],
                converted_at=[d0 + timedelta(1), d0, d0 - timedelta(1), d0, None, None])
    specs = [spec(f"{mode}_{eq}", "expect_column_pair_values_a_to_be_greater_than_b", column_A="converted_at",
                  column_B="created_at", or_equal=eq, ignore_row_if=mode)
             for mode in ("either_value_is_missing", "both_values_are_missing", "neither") for eq in (True, False)]
    gx, sql = both_engines(con, "crm_leads", specs, ids)
    assert_same(gx, sql)
    assert sql["either_value_is_missing_True"].observed_value == {"unexpected_count": 1, "nonmissing_count": 3, "mostly": 1.0}


def test_between_with_strict_bounds_dates_and_integers(con, gx_loaded):
    ids = leads(con, employees=[0, 5, 10, None, -1], created_at=[datetime(2000, 1, 1), OLD, FUTURE, NOW, None])
    specs = [spec("e1", "expect_column_values_to_be_between", column="employees", min_value=0, max_value=10),
             spec("e2", "expect_column_values_to_be_between", column="employees", min_value=0, max_value=10,
                  strict_min=True, strict_max=True),
             spec("e3", "expect_column_values_to_be_between", column="employees", max_value=4.5),
             spec("c1", "expect_column_values_to_be_between", column="created_at", min_value=datetime(2000, 1, 1),
                  max_value=NOW, strict_min=True),
             spec("cd", "expect_column_values_to_be_between", column="created_date", min_value=datetime(2000, 1, 1)),
             spec("len", "expect_column_value_lengths_to_be_between", column="lead_id", min_value=2, max_value=2),
             spec("len_eq", "expect_column_value_lengths_to_equal", column="lead_id", value=2)]
    gx, sql = both_engines(con, "crm_leads", specs, ids, derived={"created_date": "cast(created_at as date)"})
    assert_same(gx, sql)
    assert [sql[n].unexpected_count for n in ("e1", "e2", "e3", "c1", "cd")] == [1, 3, 2, 3, 1]


def test_json_parseable_follows_python_json(con, gx_loaded):
    answers = ['{"a": 1}', "[1,]", '"\\ud800"', "NaN", "", "  [] ", '{"a": 1} x', None, "1e999"]
    rows = [{**good_row("form_submissions", i), "answers": a} for i, a in enumerate(answers)]
    insert_delivery(con, "form_submissions", rows, load_id="f", source_file=FILE)
    gx, sql = both_engines(con, "form_submissions", [spec("j", "expect_column_values_to_be_json_parseable",
                                                           column="answers")], ["f"])
    assert_same(gx, sql)

    def ok(v):
        try:
            json.loads(v)
            return True
        except ValueError:
            return False

    assert sql["j"].unexpected_count == sum(1 for a in answers if a is not None and not ok(a)) == 3


@pytest.mark.parametrize("type_", ["str", "datetime64", "int", "int64", "Int64", "float", "float64", "bool",
                                   "boolean", "object", "string", "StringDtype"])
def test_type_checks_see_pandas_dtypes(con, gx_loaded, type_):
    ids = leads(con, title=["a"])
    specs = [spec(f"{c}", "expect_column_values_to_be_of_type", column=c, type_=type_)
             for c in ("lead_id", "created_at", "employees", "annual_revenue", "is_converted")]
    gx, sql = both_engines(con, "crm_leads", specs, ids)
    assert_same(gx, sql)


@pytest.mark.parametrize("exact", [True, False, None])
@pytest.mark.parametrize("extra", [[], ["no_such_column"]])
def test_column_set_checks(con, gx_loaded, exact, extra):
    ids = leads(con, title=["a"])
    columns = [c for c in canonical_table("crm_leads").all_columns if c != "title"] + extra
    kwargs = {"column_set": columns} | ({} if exact is None else {"exact_match": exact})
    gx, sql = both_engines(con, "crm_leads", [spec("cols", "expect_table_columns_to_match_set", **kwargs)], ids)
    assert_same(gx, sql)


def test_unknown_types_and_kwargs_fall_back_to_gx(con, gx_loaded, caplog):
    ids = leads(con, title=["2025-01-01", "not a date", None])
    specs = [spec("du", "expect_column_values_to_be_dateutil_parseable", column="title"),
             spec("mixed", "expect_column_values_to_be_in_set", column="title", value_set=["a", 1]),
             spec("int_vs_str", "expect_column_values_to_be_between", column="employees", min_value="0")]
    config = load_config()
    suite = Suite(table="crm_leads", path=Path("x.yml"), expectations=tuple(specs))
    delivery = describe_delivery(con, canonical_table("crm_leads"), ids, config=config, seeds_dir=Path("."), now=NOW)
    compiled, rest, _ctx, _sql = compile_suite(delivery, suite, specs, config.run_parameters(NOW))
    assert compiled == [] and [s.name for s in rest] == ["du", "mixed", "int_vs_str"]
    gx, sql = both_engines(con, "crm_leads", specs, ids)
    assert_same(gx, sql)
    assert sql["du"].unexpected_count == 1
    # kwargs GX rejects are still reported as a suite error, whichever engine runs
    bad = [spec("typed", "expect_column_values_to_be_of_type", column="lead_id", type_=None)]
    with pytest.raises(SuiteError, match="rejected the kwargs"):
        both_engines(con, "crm_leads", bad, ids)
    sql_only = Suite(table="crm_leads", path=Path("x.yml"), expectations=tuple(bad))
    with pytest.raises(SuiteError, match="rejected the kwargs"):
        validate_expectations(delivery, sql_only, bad, config.run_parameters(NOW), engine="sql")


def test_engine_setting(monkeypatch):
    monkeypatch.delenv("FUNNEL_VALIDATION_ENGINE", raising=False)
    assert validation_engine() == "sql"
    monkeypatch.setenv("FUNNEL_VALIDATION_ENGINE", "GX")
    assert validation_engine() == "gx"
    assert validation_engine("sql") == "sql"
    monkeypatch.setenv("FUNNEL_VALIDATION_ENGINE", "spark")
    with pytest.raises(ValueError, match="validation_engine"):
        validation_engine()


def test_many_unexpected_values_sample_is_bounded_and_real(con, gx_loaded, expectations_copy):
    exp = expectations_copy(chunk=("chunk_rows: 50000", "chunk_rows: 7"))
    emails = [f"bad {i}" if i % 3 else f"ok{i}@x.com" for i in range(60)]
    ids = leads(con, emails=emails)
    gx, sql = both_engines(con, "crm_leads", [spec("e", "expect_column_values_to_match_regex", column="email",
                                                     regex=r"^\S+@\S+$", mostly=0.3)], ids, expectations_dir=exp)
    assert_same(gx, sql, samples_exact=False)
    assert set(sql["e"].sample_values) == {"b***"} and sql["e"].unexpected_count == 40  # "bad <i>", masked


def test_validation_engine_is_a_setting(monkeypatch, tmp_path):
    from orchestration.settings import SettingsError, load_settings

    monkeypatch.delenv("FUNNEL_VALIDATION_ENGINE", raising=False)
    missing = tmp_path / "none.yml"
    assert load_settings(missing).validation_engine == "sql"
    (tmp_path / "funnel.yml").write_text("validation_engine: gx\n", encoding="utf-8")
    settings = load_settings(tmp_path / "funnel.yml")
    assert settings.validation_engine == "gx"
    saved = dict(os.environ)
    try:
        settings.export_env()  # what the Dagster resources do; the quality runner reads it
        assert validation_engine() == "gx"
    finally:
        os.environ.clear()
        os.environ.update(saved)
    monkeypatch.setenv("FUNNEL_VALIDATION_ENGINE", "pandas")
    with pytest.raises(SettingsError, match="validation_engine"):
        load_settings(missing)
