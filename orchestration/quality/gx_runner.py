"""Validating a delivery with Great Expectations, one bounded pandas chunk at a time.

Why chunks of pandas and not SQL: GX 1.x SQL validation through duckdb-engine returns empty results
(DESIGN.md, "Known pitfalls"), and a whole delivery in pandas would break the memory bound. DuckDB
streams ``select * ... where _load_id in (...)`` as Arrow record batches of ``chunk_rows`` rows;
each becomes a DataFrame GX validates with the suite; counts are summed across chunks and success
is decided once on the totals (so ``mostly`` applies to the delivery, not to each chunk).

Only expectations whose per-chunk results add up exactly are allowed here: row-wise map
expectations (one verdict per row) and schema expectations (the same answer for every chunk).
Anything that needs all rows at once (uniqueness, ordering, means) is refused with a pointer to the
delivery-level checks in ``delivery_checks``.

``great_expectations`` takes ~6 s to import, so it is imported on first use and the ephemeral
context is kept for the life of the process.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any, Mapping

from orchestration.quality.delivery import Delivery
from orchestration.quality.masking import format_sample
from orchestration.quality.results import ExpectationResult, short_file
from orchestration.quality.suites import ExpectationSpec, Suite, SuiteError, resolve_kwargs
from orchestration.sql import quote_ident

LINEAGE_INDEX_COLUMNS = ["_source_file", "_source_row"]
# Per-chunk answers of these are the same on every chunk, so "all chunks passed" is exact.
SCHEMA_EXPECTATIONS = frozenset(
    {
        "expect_column_to_exist",
        "expect_table_columns_to_match_set",
        "expect_column_values_to_be_of_type",
        "expect_column_values_to_be_in_type_list",
    }
)
# Map expectations whose verdict for a row depends on other rows: wrong when validated per chunk.
CROSS_ROW_EXPECTATIONS = {
    "expect_column_values_to_be_unique": "expect_column_values_to_be_unique_within_delivery",
    "expect_compound_columns_to_be_unique": "expect_compound_columns_to_be_unique_within_delivery",
    "expect_multicolumn_values_to_be_unique": "expect_compound_columns_to_be_unique_within_delivery",
    "expect_column_values_to_be_increasing": None,
    "expect_column_values_to_be_decreasing": None,
    "expect_column_value_z_scores_to_be_less_than": None,
    "expect_column_values_to_not_be_outliers": None,
}
# How many unexpected values to ask GX for per chunk (more than we keep, so we can de-duplicate).
_PARTIAL_PER_CHUNK = 20


@dataclass
class _GxState:
    gx: Any
    context: Any
    batch_definition: Any


_state: _GxState | None = None
_state_lock = threading.Lock()


def gx_state() -> _GxState:
    """Import GX and set up one ephemeral context with a pandas dataframe asset (once per process)."""
    global _state
    with _state_lock:
        if _state is None:
            # No usage statistics from a pipeline (and no network wait on machines without one).
            os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            asset = context.data_sources.add_pandas("funnel_quality").add_dataframe_asset("delivery_chunk")
            _state = _GxState(gx=gx, context=context, batch_definition=asset.add_batch_definition_whole_dataframe("chunk"))
        return _state


def build_gx_suite(suite: Suite, specs: list[ExpectationSpec], parameters: Mapping[str, Any]):
    """Turn suite entries into a GX ``ExpectationSuite``; any problem names the file and entry."""
    state = gx_state()
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )
    from great_expectations.expectations.registry import get_expectation_impl

    expectations = []
    for spec in specs:
        try:
            cls = get_expectation_impl(spec.expectation)
        except ExpectationNotFoundError:
            raise SuiteError(
                f"{spec.where}: {spec.expectation!r} is neither a Great Expectations expectation type nor a "
                f"delivery-level check (see expectations/README.md for the list)"
            ) from None
        if spec.expectation in CROSS_ROW_EXPECTATIONS:
            instead = CROSS_ROW_EXPECTATIONS[spec.expectation]
            hint = f"use {instead}, which counts over the whole delivery" if instead else "write a delivery-level check"
            raise SuiteError(f"{spec.where}: {spec.expectation} compares rows with each other and would be wrong per chunk; {hint}")
        row_wise = issubclass(cls, (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation))
        if not row_wise and spec.expectation not in SCHEMA_EXPECTATIONS:
            raise SuiteError(
                f"{spec.where}: {spec.expectation} computes one figure over all rows, which cannot be combined "
                f"from per-chunk results; use a row-wise expectation or a delivery-level check"
            )
        kwargs = resolve_kwargs(spec, parameters)
        try:
            expectations.append(cls(**kwargs, meta={"dq_name": spec.name}, severity=spec.severity, notes=f"[{spec.severity}] {spec.why}"))
        except Exception as e:  # pydantic validation errors from GX, bad argument names, ...
            detail = " ".join(str(e).split())
            raise SuiteError(f"{spec.where}: Great Expectations rejected the kwargs of {spec.expectation}: {detail}") from None
    return state.gx.ExpectationSuite(name=f"raw.{suite.table}", expectations=expectations)


def _types_mapper():
    """Arrow -> pandas dtypes that are the same in every chunk (nullable ints and booleans).

    Without this a BIGINT column is int64 in a chunk without nulls and float64 in one with nulls,
    and type expectations would flip between chunks.
    """
    import pandas as pd
    import pyarrow as pa

    mapping = {
        pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(), pa.int64(): pd.Int64Dtype(),
        pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(), pa.uint32(): pd.UInt32Dtype(),
        pa.uint64(): pd.UInt64Dtype(), pa.bool_(): pd.BooleanDtype(),
    }
    return mapping.get


@dataclass
class _Accumulator:
    """Sums one expectation's per-chunk results into delivery-level counts."""

    spec: ExpectationSpec
    kwargs: dict[str, Any]
    map_like: bool = False
    element_count: int = 0
    missing_count: int = 0
    unexpected_count: int = 0
    all_passed: bool = True
    observed: Any = None
    error: str | None = None
    samples: dict[str, str] = field(default_factory=dict)  # formatted value -> location
    files: set[str] = field(default_factory=set)

    def add(self, r: Any, pii: tuple[str, ...], sample_size: int) -> None:
        exc = r.exception_info or {}
        if exc.get("raised_exception"):
            self.all_passed = False
            self.error = self.error or " ".join(str(exc.get("exception_message") or "GX raised an exception").split())
            return
        result = r.result or {}
        if "unexpected_count" in result:
            self.map_like = True
            self.element_count += int(result.get("element_count") or 0)
            self.missing_count += int(result.get("missing_count") or 0)
            self.unexpected_count += int(result.get("unexpected_count") or 0)
            self._add_samples(result, pii, sample_size)
        else:
            observed = result.get("observed_value")
            if result.get("details"):  # e.g. which columns are missing
                observed = {"observed_value": observed, "details": result["details"]}
            if (not r.success and self.all_passed) or self.observed is None:
                self.observed = observed
            self.all_passed = self.all_passed and bool(r.success)

    def _add_samples(self, result: Mapping[str, Any], pii: tuple[str, ...], sample_size: int) -> None:
        columns = list(self.spec.columns)
        indexed = result.get("partial_unexpected_index_list") or []
        if indexed and isinstance(indexed[0], dict):
            for row in indexed:
                f = row.get("_source_file")
                if f:
                    self.files.add(str(f))
                if len(self.samples) >= sample_size:
                    continue
                values = tuple(row.get(c) for c in columns)
                value = values[0] if len(values) == 1 else values
                text = format_sample(value, columns, pii)
                if text not in self.samples:
                    self.samples[text] = f"{short_file(str(f))}:{row.get('_source_row')}" if f else ""
        else:
            for value in result.get("partial_unexpected_list") or []:
                if len(self.samples) >= sample_size:
                    break
                self.samples.setdefault(format_sample(value, columns, pii), "")

    def result(self, delivery: Delivery) -> ExpectationResult:
        spec = self.spec
        common = dict(
            table=delivery.table.name, name=spec.name, expectation=spec.expectation, severity=spec.severity,
            why=spec.why, columns=spec.columns,
        )
        if self.error:
            return ExpectationResult(
                **common, success=False, element_count=delivery.row_count, error=self.error,
                observed_value={"error": self.error}, source_files=delivery.source_files,
            )
        if not self.map_like:
            return ExpectationResult(
                **common, success=self.all_passed, observed_value=_jsonable(self.observed),
                element_count=delivery.row_count, source_files=delivery.source_files,
            )
        mostly = float(self.kwargs.get("mostly", 1.0))
        nonmissing = self.element_count - self.missing_count
        share_ok = (nonmissing - self.unexpected_count) / nonmissing if nonmissing else 1.0
        return ExpectationResult(
            **common,
            success=share_ok >= mostly,
            observed_value={"unexpected_count": self.unexpected_count, "nonmissing_count": nonmissing, "mostly": mostly},
            element_count=self.element_count,
            unexpected_count=self.unexpected_count,
            unexpected_percent=100.0 * self.unexpected_count / nonmissing if nonmissing else 0.0,
            mostly=mostly,
            sample_values=tuple(self.samples),
            sample_locations=tuple(self.samples.values()),
            source_files=tuple(sorted(self.files)) or delivery.source_files,
        )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    return str(value)


def validate_with_gx(
    delivery: Delivery, suite: Suite, specs: list[ExpectationSpec], parameters: Mapping[str, Any]
) -> tuple[dict[str, ExpectationResult], int]:
    """Run the GX part of a suite over the delivery in chunks; returns results by name and chunk count."""
    if not specs:
        return {}, 0
    gx_suite = build_gx_suite(suite, specs, parameters)
    state = gx_state()
    accumulators = {s.name: _Accumulator(spec=s, kwargs=resolve_kwargs(s, parameters)) for s in specs}
    config = delivery.config
    result_format = {
        "result_format": "SUMMARY",
        "partial_unexpected_count": _PARTIAL_PER_CHUNK,
        "unexpected_index_column_names": LINEAGE_INDEX_COLUMNS,
    }
    derived = "".join(f", ({expr}) as {quote_ident(name)}" for name, expr in suite.derived_columns.items())
    sql = f"select *{derived} from {delivery.relation} where {delivery.where}"
    reader = delivery.con.sql(sql, params=list(delivery.load_ids)).to_arrow_reader(config.chunk_rows)
    mapper = _types_mapper()

    chunks = 0
    for batch in _batches(reader):
        df = batch.to_pandas(types_mapper=mapper, date_as_object=False)
        validation = state.batch_definition.get_batch(batch_parameters={"dataframe": df}).validate(
            gx_suite, result_format=result_format
        )
        for r in validation.results:
            name = (r.expectation_config.meta or {}).get("dq_name")
            if name in accumulators:
                accumulators[name].add(r, delivery.pii, config.sample_size)
        chunks += 1
        del df, validation
    return {name: acc.result(delivery) for name, acc in accumulators.items()}, chunks


def _batches(reader):
    """The reader's record batches; one empty batch if there are none, so schema checks still run."""
    seen = False
    for batch in reader:
        if batch.num_rows == 0 and seen:
            continue
        seen = True
        yield batch
    if not seen:
        import pyarrow as pa

        yield pa.RecordBatch.from_pylist([], schema=reader.schema)
