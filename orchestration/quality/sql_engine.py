"""Validating a delivery in DuckDB: a whole suite in one aggregate query, same results as GX.

Why: Great Expectations over pandas chunks (``gx_runner``) costs ~40 s per million rows, most of it
GX's own per-expectation machinery; DuckDB answers the same row-wise questions in one scan. GX stays
the definition language (suites are unchanged, Data Docs still render them) and the fallback.

How: each supported expectation compiles to SQL booleans over one row — *missing* (the row is not
judged: GX's ``missing_count``) and *unexpected* — evaluated once per row in a projection, then
counted with ``count(*) filter (where …)``, sampled with ``min_by(…, rowid, n)`` and its source
files collected with ``histogram(_source_file)``, all in the same aggregate over the delivery. The
counts go through ``gx_runner._Accumulator`` exactly as summed GX chunk results do, so success,
``mostly``, percentages, samples (PII-masked) and messages come out the same way.

Semantics mirror GX's pandas engine, not SQL's (checked by tests/quality/test_sql_engine.py):

- missing means null, and for DOUBLE/FLOAT also NaN (pandas reads NaN as missing);
- regexes keep Python ``re.search`` semantics: translated exactly to RE2 (``regex_re2``) or, when no
  exact translation exists, evaluated by Python's ``re`` inside DuckDB (a vectorised UDF);
- ``expect_column_values_to_be_json_parseable`` uses Python's ``json.loads`` (a UDF): DuckDB's
  ``json_valid`` accepts ``[1,]`` and rejects lone surrogate escapes, Python the other way round;
- type and column-set checks look at the pandas dtype the column would have in a GX chunk.

Whatever is not compiled here — an expectation type not listed in ``COMPILERS``, kwargs this
module does not know, value types whose comparison differs between pandas and SQL — is validated
by the GX path, over the same delivery, and logged. Values reach the SQL only as bound parameters;
identifiers only through ``quote_ident``.
"""

from __future__ import annotations

import json
import logging
import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping

import duckdb

from orchestration.quality.delivery import Delivery
from orchestration.quality.gx_runner import LINEAGE_INDEX_COLUMNS, _Accumulator, _types_mapper
from orchestration.quality.regex_re2 import to_re2
from orchestration.quality.results import ExpectationResult
from orchestration.quality.suites import ExpectationSpec, Suite, resolve_kwargs
from orchestration.sql import quote_ident

log = logging.getLogger(__name__)

ROWID = "__dq_rowid"
# Rows fetched per failing expectation for samples; de-duplicated down to ``sample_size`` values.
_SAMPLE_ROWS = 20
_INT_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
_FLOAT_TYPES = {"FLOAT", "DOUBLE"}
_NUMERIC_TYPES = _INT_TYPES | _FLOAT_TYPES
_TEMPORAL_TYPES = {"TIMESTAMP", "DATE"}
_STRING_TYPES = {"VARCHAR"}


class _Unsupported(Exception):
    """This entry cannot be compiled exactly; the GX path validates it."""


@dataclass
class _Params:
    """Numbered bound parameters ($1, $2, …) shared by the whole query."""

    values: list[Any] = field(default_factory=list)

    def add(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


@dataclass
class _Udf:
    name: str
    fn: Callable[[Any], Any]


@dataclass
class _Columns:
    """The delivery's columns as the SQL sees them (DuckDB type) and as GX would (pandas dtype)."""

    names: list[str]
    duckdb_types: dict[str, str]
    pandas_dtypes: dict[str, Any]

    def type_of(self, column: str) -> str:
        if column not in self.duckdb_types:
            raise _Unsupported(f"no column {column!r}")
        return self.duckdb_types[column]

    def missing(self, column: str) -> str:
        q = quote_ident(column)
        return f"({q} is null or isnan({q}))" if self.type_of(column) in _FLOAT_TYPES else f"({q} is null)"


@dataclass
class _Compiled:
    """One expectation as SQL: row-wise (``unexpected``/``missing`` booleans) or schema-level (a result)."""

    spec: ExpectationSpec
    kwargs: dict[str, Any]
    unexpected: str | None = None  # SQL boolean, never null, false for missing rows
    missing: str | None = None  # SQL boolean; None: GX reports no missing_count (not_be_null)
    schema: tuple[bool, Any] | None = None  # (success, observed) for schema expectations


@dataclass
class _Context:
    columns: _Columns
    params: _Params
    udfs: list[_Udf]


# ---------------------------------------------------------------------------------------------
# kwargs checks: anything unexpected goes to GX, which validates it (and reports bad kwargs)


def _check_kwargs(kwargs: Mapping[str, Any], allowed: set[str]) -> None:
    extra = set(kwargs) - allowed
    if extra:
        raise _Unsupported(f"kwargs {sorted(extra)}")
    mostly = kwargs.get("mostly", 1.0)
    if isinstance(mostly, bool) or not isinstance(mostly, (int, float)) or not 0 <= mostly <= 1:
        raise _Unsupported("mostly is not a number in [0, 1]")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and not (isinstance(v, float) and math.isnan(v))


def _bound_kind(value: Any) -> str | None:
    if value is None:
        return None
    if _is_number(value):
        return "number"
    if isinstance(value, datetime) and value.tzinfo is None:
        return "datetime"
    if isinstance(value, str):
        return "string"
    return "other"


def _comparable(column_type: str, kinds: set[str | None]) -> bool:
    """Do pandas and DuckDB compare this column with these bounds the same way?"""
    kinds = kinds - {None}
    if column_type in _NUMERIC_TYPES:
        return kinds <= {"number"}
    if column_type in _TEMPORAL_TYPES:
        return kinds <= {"datetime"}
    if column_type in _STRING_TYPES:
        return kinds <= {"string"}
    return False


def _range_sql(expr: str, lo: Any, hi: Any, strict_min: Any, strict_max: Any, params: _Params) -> str:
    parts = []
    if lo is not None:
        parts.append(f"{expr} {'>' if strict_min else '>='} {params.add(lo)}")
    if hi is not None:
        parts.append(f"{expr} {'<' if strict_max else '<='} {params.add(hi)}")
    return " and ".join(parts)


# ---------------------------------------------------------------------------------------------
# compilers, one per expectation type


def _not_be_null(spec, kw, ctx: _Context) -> _Compiled:
    _check_kwargs(kw, {"column", "mostly"})
    return _Compiled(spec, kw, unexpected=ctx.columns.missing(kw["column"]), missing=None)


def _map(spec, kw, ctx: _Context, ok: str) -> _Compiled:
    """A column map expectation: missing rows are not judged, the others must satisfy ``ok``."""
    missing = ctx.columns.missing(kw["column"])
    return _Compiled(spec, kw, unexpected=f"(not {missing} and not coalesce({ok}, false))", missing=missing)


def _in_set(negate: bool):
    def compile_(spec, kw, ctx: _Context) -> _Compiled:
        _check_kwargs(kw, {"column", "value_set", "mostly"})
        values, col = kw.get("value_set"), kw["column"]
        if not isinstance(values, list):
            raise _Unsupported("value_set is not a list")
        ctype = ctx.columns.type_of(col)
        if ctype in _STRING_TYPES and all(isinstance(v, str) for v in values):
            cast = "VARCHAR[]"
        elif ctype in _NUMERIC_TYPES and all(_is_number(v) for v in values):
            cast = "DOUBLE[]"
        else:
            raise _Unsupported(f"value_set of these types on a {ctype} column")
        contains = f"list_contains({ctx.params.add(list(values))}::{cast}, {quote_ident(col)})"
        return _map(spec, kw, ctx, f"not {contains}" if negate else contains)

    return compile_


def _between(spec, kw, ctx: _Context) -> _Compiled:
    _check_kwargs(kw, {"column", "min_value", "max_value", "strict_min", "strict_max", "mostly"})
    col, lo, hi = kw["column"], kw.get("min_value"), kw.get("max_value")
    if lo is None and hi is None:
        raise _Unsupported("neither min_value nor max_value")  # GX raises; let it
    if not _comparable(ctx.columns.type_of(col), {_bound_kind(lo), _bound_kind(hi)}):
        raise _Unsupported("bounds of another type than the column")
    if lo is not None and hi is not None and lo > hi:
        raise _Unsupported("min_value above max_value")  # GX raises; let it
    ok = _range_sql(quote_ident(col), lo, hi, kw.get("strict_min"), kw.get("strict_max"), ctx.params)
    return _map(spec, kw, ctx, ok)


def _value_lengths_between(spec, kw, ctx: _Context) -> _Compiled:
    _check_kwargs(kw, {"column", "min_value", "max_value", "strict_min", "strict_max", "mostly"})
    col, lo, hi = kw["column"], kw.get("min_value"), kw.get("max_value")
    if ctx.columns.type_of(col) not in _STRING_TYPES:
        raise _Unsupported("lengths of a non-text column (GX measures its text form)")
    if lo is None and hi is None or not all(v is None or _is_number(v) for v in (lo, hi)):
        raise _Unsupported("bounds")
    ok = _range_sql(f"length({quote_ident(col)})", lo, hi, kw.get("strict_min"), kw.get("strict_max"), ctx.params)
    return _map(spec, kw, ctx, ok)


def _value_lengths_equal(spec, kw, ctx: _Context) -> _Compiled:
    _check_kwargs(kw, {"column", "value", "mostly"})
    col, value = kw["column"], kw.get("value")
    if ctx.columns.type_of(col) not in _STRING_TYPES or not _is_number(value):
        raise _Unsupported("value or column type")
    return _map(spec, kw, ctx, f"length({quote_ident(col)}) = {ctx.params.add(value)}")


def _python_udf(ctx: _Context, predicate: Callable[[str], bool]) -> str:
    """Register a vectorised UDF for this run; returns its (quoted) name."""
    import pyarrow as pa

    def fn(arr):
        return pa.array([None if v is None else predicate(v) for v in arr.to_pylist()], type=pa.bool_())

    udf = _Udf(name=f"__funnel_dq_{uuid.uuid4().hex[:12]}", fn=fn)
    ctx.udfs.append(udf)
    return quote_ident(udf.name)


def _regex_sql(ctx: _Context, column: str, regex: str) -> str:
    """SQL true where ``re.search(regex, value)`` finds a match (value not null)."""
    col = quote_ident(column)
    terms = to_re2(regex)
    if terms is not None:
        return "(" + " and ".join(
            f"{'' if must else 'not '}regexp_matches({col}, {ctx.params.add(pattern)})" for must, pattern in terms
        ) + ")"
    compiled = re.compile(regex)
    log.info("regex %r has no exact RE2 translation: evaluated with Python's re inside DuckDB", regex)
    return f"{_python_udf(ctx, lambda v: compiled.search(v) is not None)}({col})"


def _match_regex(negate: bool):
    def compile_(spec, kw, ctx: _Context) -> _Compiled:
        _check_kwargs(kw, {"column", "regex", "mostly"})
        col, regex = kw["column"], kw.get("regex")
        if not isinstance(regex, str):
            raise _Unsupported("regex is not text")
        if ctx.columns.type_of(col) not in _STRING_TYPES:
            raise _Unsupported("regex on a non-text column (GX matches its pandas text form)")
        try:
            re.compile(regex)
        except re.error:
            raise _Unsupported("regex does not compile in Python (GX reports the error)") from None
        matches = _regex_sql(ctx, col, regex)
        return _map(spec, kw, ctx, f"not {matches}" if negate else matches)

    return compile_


def _is_json(value: str) -> bool:
    try:
        json.loads(value)
        return True
    except Exception:  # the same test as GX's ColumnValuesJsonParseable
        return False


def _json_parseable(spec, kw, ctx: _Context) -> _Compiled:
    _check_kwargs(kw, {"column", "mostly"})
    col = kw["column"]
    if ctx.columns.type_of(col) not in _STRING_TYPES:
        raise _Unsupported("json on a non-text column")
    return _map(spec, kw, ctx, f"{_python_udf(ctx, _is_json)}({quote_ident(col)})")


def _pair_greater(spec, kw, ctx: _Context) -> _Compiled:
    _check_kwargs(kw, {"column_A", "column_B", "or_equal", "ignore_row_if", "mostly"})
    a, b = kw["column_A"], kw["column_B"]
    ta, tb = ctx.columns.type_of(a), ctx.columns.type_of(b)
    ignore_row_if = kw.get("ignore_row_if", "both_values_are_missing")
    same_family = (ta in _NUMERIC_TYPES and tb in _NUMERIC_TYPES) or (
        ta in _TEMPORAL_TYPES and tb in _TEMPORAL_TYPES
    ) or (ta in _STRING_TYPES and tb in _STRING_TYPES)
    if not same_family:
        raise _Unsupported(f"comparing {ta} with {tb}")
    if {ta, tb} & _INT_TYPES and ignore_row_if != "either_value_is_missing":
        # a null in a nullable-integer column compares as pd.NA in pandas, a third truth value
        raise _Unsupported("integer columns where a row may have one value missing")
    ma, mb = ctx.columns.missing(a), ctx.columns.missing(b)
    ignore = {"either_value_is_missing": f"({ma} or {mb})", "both_values_are_missing": f"({ma} and {mb})",
              "neither": "false"}.get(ignore_row_if)
    if ignore is None:
        raise _Unsupported("ignore_row_if")
    op = ">=" if kw.get("or_equal") else ">"
    ok = f"(not {ma} and not {mb} and {quote_ident(a)} {op} {quote_ident(b)})"
    return _Compiled(spec, kw, unexpected=f"(not {ignore} and not coalesce({ok}, false))", missing=ignore)


# GX's type-name resolution for pandas (great_expectations.expectations.type_comparison)
_NATIVE_TYPES: dict[str, tuple[type, ...]] = {
    "none": (type(None),), "bool": (bool,), "int": (int,), "long": (int,), "float": (float,), "bytes": (bytes,),
    "complex": (complex,), "str": (str,), "string_types": (str,), "list": (list,), "dict": (dict,),
}


def _of_type(spec, kw, ctx: _Context) -> _Compiled:
    _check_kwargs(kw, {"column", "type_"})
    col, expected = kw["column"], kw.get("type_")
    if col not in ctx.columns.pandas_dtypes:
        raise _Unsupported("missing column (GX reports it)")
    dtype = ctx.columns.pandas_dtypes[col]
    if dtype.type.__name__ == "object_" and expected not in ("object", "object_", "O", None):
        raise _Unsupported("object column: GX checks each value")
    if not isinstance(expected, str):
        raise _Unsupported("type_ is not text")  # GX rejects a missing type_ when it builds the suite
    import numpy as np
    import pandas as pd

    comp: list[Any] = []
    try:
        comp.append(np.dtype(expected).type)
    except TypeError:
        for holder in (pd, pd.core.dtypes.dtypes):
            candidate = getattr(holder, expected, None)
            if isinstance(candidate, type):
                comp.append(candidate)
    comp.extend(_NATIVE_TYPES.get(expected.lower(), ()))
    return _Compiled(spec, kw, schema=(dtype.type in comp, dtype.type.__name__))


def _columns_match_set(spec, kw, ctx: _Context) -> _Compiled:
    _check_kwargs(kw, {"column_set", "exact_match"})
    expected_list, exact = kw.get("column_set"), kw.get("exact_match", True)
    if not isinstance(expected_list, list) or not isinstance(exact, bool):
        raise _Unsupported("column_set / exact_match")
    actual, expected = set(ctx.columns.names), set(expected_list)
    observed = sorted(actual)
    unexpected, missing = sorted(actual - expected), sorted(expected - actual)
    if not unexpected and not missing:
        return _Compiled(spec, kw, schema=(True, observed))
    mismatched = {**({"unexpected": unexpected} if unexpected else {}), **({"missing": missing} if missing else {})}
    success = False if exact else not missing
    return _Compiled(spec, kw, schema=(success, {"observed_value": observed, "details": {"mismatched": mismatched}}))


COMPILERS: dict[str, Callable[[ExpectationSpec, dict[str, Any], _Context], _Compiled]] = {
    "expect_column_values_to_not_be_null": _not_be_null,
    "expect_column_values_to_be_in_set": _in_set(negate=False),
    "expect_column_values_to_not_be_in_set": _in_set(negate=True),
    "expect_column_values_to_be_between": _between,
    "expect_column_value_lengths_to_be_between": _value_lengths_between,
    "expect_column_value_lengths_to_equal": _value_lengths_equal,
    "expect_column_values_to_match_regex": _match_regex(negate=False),
    "expect_column_values_to_not_match_regex": _match_regex(negate=True),
    "expect_column_values_to_be_json_parseable": _json_parseable,
    "expect_column_pair_values_a_to_be_greater_than_b": _pair_greater,
    "expect_column_values_to_be_of_type": _of_type,
    "expect_table_columns_to_match_set": _columns_match_set,
}


# ---------------------------------------------------------------------------------------------
# running


def _delivery_sql(delivery: Delivery, suite: Suite, params: _Params) -> str:
    """The delivery's rows with the suite's derived columns and a row id (for ordered samples)."""
    ids = ", ".join(params.add(i) for i in delivery.load_ids)
    derived = "".join(f", ({expr}) as {quote_ident(name)}" for name, expr in suite.derived_columns.items())
    return f"select rowid as {ROWID}, *{derived} from {delivery.relation} where _load_id in ({ids})"


def _describe(delivery: Delivery, sql: str, params: list[Any]) -> _Columns:
    rel = delivery.con.sql(sql, params=params)
    names = [c for c in rel.columns if c != ROWID]
    types = {c: str(t) for c, t in zip(rel.columns, rel.types)}
    schema = rel.limit(0).to_arrow_table().schema
    frame = schema.empty_table().to_pandas(types_mapper=_types_mapper(), date_as_object=False)
    return _Columns(names=names, duckdb_types=types, pandas_dtypes={c: frame[c].dtype for c in names})


def compile_suite(
    delivery: Delivery, suite: Suite, specs: list[ExpectationSpec], parameters: Mapping[str, Any]
) -> tuple[list[_Compiled], list[ExpectationSpec], _Context, str]:
    """Split specs into compiled ones and those left to GX; also returns the delivery's SQL."""
    params = _Params()
    sql = _delivery_sql(delivery, suite, params)
    ctx = _Context(columns=_describe(delivery, sql, params.values), params=params, udfs=[])
    compiled, rest = [], []
    for spec in specs:
        compiler = COMPILERS.get(spec.expectation)
        if compiler is None:
            rest.append(spec)
            continue
        try:
            compiled.append(compiler(spec, resolve_kwargs(spec, parameters), ctx))
        except (_Unsupported, KeyError) as e:
            log.info("%s: %s validated by GX (%s)", spec.where, spec.expectation, e)
            rest.append(spec)
    return compiled, rest, ctx, sql


def _aggregate_sql(delivery_sql: str, row_wise: list[_Compiled]) -> str:
    flags, aggs = [], ["count(*) as n"]
    for i, c in enumerate(row_wise):
        values = ", ".join(f"v{j} := {quote_ident(col)}" for j, col in enumerate(c.spec.columns))
        flags.append(f"({c.unexpected}) as u{i}")
        flags.append(f"struct_pack({values}) as s{i}")
        aggs.append(f"count(*) filter (where u{i}) as u{i}")
        if c.missing is not None:
            flags.append(f"({c.missing}) as m{i}")
            aggs.append(f"count(*) filter (where m{i}) as m{i}")
        aggs.append(f"min_by(struct_pack(v := s{i}, f := _source_file, r := _source_row), {ROWID}, {_SAMPLE_ROWS}) "
                    f"filter (where u{i}) as s{i}")
        aggs.append(f"histogram(_source_file) filter (where u{i}) as f{i}")
    projected = ", ".join([ROWID, "_source_file", "_source_row", *flags])
    return f"select {', '.join(aggs)} from (select {projected} from ({delivery_sql}) as d) as f"


def _run_aggregate(delivery: Delivery, sql: str, ctx: _Context) -> dict[str, Any]:
    con = delivery.con
    registered = []
    try:
        for udf in ctx.udfs:
            con.create_function(udf.name, udf.fn, [duckdb.sqltype("VARCHAR")], duckdb.sqltype("BOOLEAN"),
                                type="arrow", null_handling="special", side_effects=False)
            registered.append(udf.name)
        cur = con.execute(sql, ctx.params.values)
        (row,) = cur.fetchall()
        return dict(zip([d[0] for d in cur.description], row))
    finally:
        for name in registered:
            con.remove_function(name)


def _result(delivery: Delivery, c: _Compiled, i: int, row: Mapping[str, Any]) -> ExpectationResult:
    acc = _Accumulator(spec=c.spec, kwargs=c.kwargs)
    if c.schema is not None:
        acc.all_passed, acc.observed = c.schema
        return acc.result(delivery)
    acc.map_like = True
    acc.element_count = int(row["n"])
    acc.missing_count = int(row.get(f"m{i}") or 0)
    acc.unexpected_count = int(row[f"u{i}"])
    columns = list(c.spec.columns)
    index_list = [
        {**{col: (s["v"] or {}).get(f"v{j}") for j, col in enumerate(columns)},
         LINEAGE_INDEX_COLUMNS[0]: s["f"], LINEAGE_INDEX_COLUMNS[1]: s["r"]}
        for s in row.get(f"s{i}") or []
    ]
    acc._add_samples({"partial_unexpected_index_list": index_list}, delivery.pii, delivery.config.sample_size)
    acc.files = {str(f) for f in (row.get(f"f{i}") or {}) if f is not None}
    return acc.result(delivery)


def validate_with_sql(
    delivery: Delivery, suite: Suite, specs: list[ExpectationSpec], parameters: Mapping[str, Any]
) -> tuple[dict[str, ExpectationResult], list[ExpectationSpec]]:
    """Validate what compiles in one DuckDB pass; returns results by name and the specs left to GX."""
    if not specs:
        return {}, []
    compiled, rest, ctx, delivery_sql = compile_suite(delivery, suite, specs, parameters)
    row_wise = [c for c in compiled if c.schema is None]
    row: dict[str, Any] = {"n": delivery.row_count}
    if row_wise:
        try:
            row = _run_aggregate(delivery, _aggregate_sql(delivery_sql, row_wise), ctx)
        except duckdb.Error as e:
            log.warning("%s: the SQL validation failed (%s); validating with GX instead", suite.path, " ".join(str(e).split()))
            return {}, list(specs)
    results = {c.spec.name: _result(delivery, c, i, row) for i, c in enumerate(row_wise)}
    results.update({c.spec.name: _result(delivery, c, -1, row) for c in compiled if c.schema is not None})
    return results, rest

