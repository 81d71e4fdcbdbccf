"""The public entry point: validate one delivery of one raw table and record the outcome."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from orchestration.canonical import table as canonical_table
from orchestration.quality.delivery import describe_delivery
from orchestration.quality.delivery_checks import run_delivery_check
from orchestration.quality.gx_runner import validate_with_gx
from orchestration.quality.results import SuiteResult
from orchestration.quality.store import save_results
from orchestration.quality.suites import DEFAULT_SEEDS_DIR, load_config, load_suite, resolve_kwargs


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
) -> SuiteResult:
    """Validate the rows of ``load_ids`` in ``raw.<table_name>`` against ``expectations/<table_name>.yml``.

    Every result is written to ``quality.dq_results`` (replacing earlier rows of the same run_id and
    table) before it is returned. ``SuiteResult.passed`` is False when a critical expectation failed;
    warnings are recorded and reported but leave it True. Raises ``SuiteError`` when a suite or the
    config is wrong (naming file and entry) and ``ValueError`` when no load id is given.
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
    by_name, chunks = validate_with_gx(delivery, suite, gx_specs, parameters)
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
