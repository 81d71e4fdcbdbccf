"""The public entry point: validate one delivery of one raw table and record the outcome."""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import duckdb

from orchestration.canonical import table as canonical_table
from orchestration.quality.delivery import Delivery, describe_delivery
from orchestration.quality.delivery_checks import run_delivery_check
from orchestration.quality.gx_runner import validate_with_gx
from orchestration.quality.results import ExpectationResult, SuiteResult
from orchestration.quality.sql_engine import validate_with_sql
from orchestration.quality.store import save_results
from orchestration.quality.suites import (
    DEFAULT_SEEDS_DIR,
    ExpectationSpec,
    Suite,
    load_config,
    load_suite,
    resolve_kwargs,
)

log = logging.getLogger(__name__)

ENGINES = ("sql", "gx")
ENGINE_ENV = "FUNNEL_VALIDATION_ENGINE"


def validation_engine(engine: str | None = None) -> str:
    """``sql`` (one DuckDB pass, GX for what it cannot compile) or ``gx`` (GX over pandas chunks).

    From the argument, else ``FUNNEL_VALIDATION_ENGINE`` (the ``validation_engine`` setting exports
    it), else ``sql``.
    """
    value = (engine or os.environ.get(ENGINE_ENV) or "sql").strip().lower()
    if value not in ENGINES:
        raise ValueError(f"validation engine {value!r} is not one of {', '.join(ENGINES)} (setting validation_engine / {ENGINE_ENV})")
    return value


def validate_expectations(
    delivery: Delivery, suite: Suite, specs: list[ExpectationSpec], parameters: Mapping[str, Any], *, engine: str
) -> tuple[dict[str, ExpectationResult], int]:
    """Row-wise and schema expectations (not delivery checks): results by name, and GX chunks read."""
    if engine == "gx":
        return validate_with_gx(delivery, suite, specs, parameters)
    by_name, left_to_gx = validate_with_sql(delivery, suite, specs, parameters)
    if not left_to_gx:
        return by_name, 0
    log.info("%s: validating %s with Great Expectations (not compiled to SQL)", suite.table,
             ", ".join(f"{s.name} ({s.expectation})" for s in left_to_gx))
    more, chunks = validate_with_gx(delivery, suite, left_to_gx, parameters)
    return {**by_name, **more}, chunks


def _utc_naive(now: datetime | None) -> datetime:
    """Raw timestamps are naive UTC; compare like with like."""
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is not None:
        now = now.astimezone(timezone.utc).replace(tzinfo=None)
    return now


def run_quality_suite(
    con: duckdb.DuckDBPyConnection,
    table_name: str,
    load_ids: list[str],
    run_id: str,
    *,
    expectations_dir: Path | None = None,
    seeds_dir: Path | None = None,
    now: datetime | None = None,
    engine: str | None = None,
) -> SuiteResult:
    """Validate the rows of ``load_ids`` in ``raw.<table_name>`` against ``expectations/<table_name>.yml``.

    Every result is written to ``quality.dq_results`` (replacing earlier rows of the same run_id and
    table) before it is returned. ``SuiteResult.passed`` is False when a critical expectation failed;
    warnings are recorded and reported but leave it True. Raises ``SuiteError`` when a suite or the
    config is wrong (naming file and entry) and ``ValueError`` when no load id is given.
    ``engine`` picks how row-wise and schema expectations are evaluated (``validation_engine``);
    both give the same results.
    """
    started = time.perf_counter()
    t = canonical_table(table_name)
    config = load_config(expectations_dir)
    suite = load_suite(table_name, expectations_dir, config)
    now = _utc_naive(now)
    parameters = config.run_parameters(now)
    delivery = describe_delivery(
        con, t, load_ids, config=config, seeds_dir=Path(seeds_dir or DEFAULT_SEEDS_DIR), now=now
    )

    gx_specs = [s for s in suite.expectations if not s.is_delivery_check]
    by_name, chunks = validate_expectations(delivery, suite, gx_specs, parameters, engine=validation_engine(engine))
    for spec in suite.expectations:
        if spec.is_delivery_check:
            by_name[spec.name] = run_delivery_check(delivery, spec, resolve_kwargs(spec, parameters))

    result = SuiteResult(
        table=table_name,
        run_id=run_id,
        load_ids=delivery.load_ids,
        source_files=delivery.source_files,
        row_count=delivery.row_count,
        checked_at=now,
        results=tuple(by_name[s.name] for s in suite.expectations),
        duration_seconds=time.perf_counter() - started,
        chunk_count=chunks,
        suite_path=str(suite.path),
    )
    save_results(con, result)
    return result
