"""Data quality gate for raw deliveries: Great Expectations suites from ``expectations/``.

Public API::

    run_quality_suite(con, table_name, load_ids, run_id, *, expectations_dir=None, seeds_dir=None, now=None)
        -> SuiteResult
    build_data_docs(out_dir, *, expectations_dir=None) -> Path
    load_suite(table_name, expectations_dir=None) / load_all_suites(expectations_dir=None)

Importing this package does not import great_expectations; the first validation does.
"""

from orchestration.quality.data_docs import build_data_docs
from orchestration.quality.results import ExpectationResult, SuiteResult
from orchestration.quality.runner import run_quality_suite
from orchestration.quality.store import RESULTS_TABLE, ensure_results_table
from orchestration.quality.suites import SuiteError, load_all_suites, load_config, load_suite

__all__ = [
    "RESULTS_TABLE",
    "ExpectationResult",
    "SuiteError",
    "SuiteResult",
    "build_data_docs",
    "ensure_results_table",
    "load_all_suites",
    "load_config",
    "load_suite",
    "run_quality_suite",
]
