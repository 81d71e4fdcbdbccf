"""Well-formed but implausible values load (nothing is lost) and the quality suite then judges them.

A negative amount, a 150 % win probability, a lead created in 2099 or the same id twice in one
delivery are not parse errors: the loader keeps them, and the Great Expectations suite of the
table stops the build (critical) or flags the delivery (warning) — the verdict each corpus case
declares in ``Loaded.gx``. The suites run here exactly as the nightly build runs them.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from orchestration.quality.runner import run_quality_suite
from tests.bad_inputs.cases import CASES, Loaded
from tests.bad_inputs.test_corpus import run_case

NOW = datetime(2026, 7, 1)  # the corpus's dates are in 2026; 2099 is in the future of any build
GX_CASES = [c for c in CASES if any(isinstance(o, Loaded) and o.gx for o in c.expect.values())]


@pytest.mark.parametrize("case", GX_CASES, ids=[c.name for c in GX_CASES])
def test_quality_suite_gives_the_declared_verdict(case, tmp_path):
    con, report, _ = run_case(case, tmp_path)
    try:
        for rel, o in case.expect.items():
            if not (isinstance(o, Loaded) and o.gx):
                continue
            name, severity = o.gx
            load_ids = [r.load_id for r in report.loaded if r.source_file == rel and r.target_table == o.table]
            suite = run_quality_suite(con, o.table, load_ids, f"corpus-{case.name}", now=NOW)
            verdict = suite.result(name)
            assert not verdict.success, verdict.message
            assert verdict.severity == severity
            assert suite.passed == (severity != "critical"), [r.message for r in suite.failures]
            assert suite.row_count == o.loaded
    finally:
        con.close()


def test_a_clean_delivery_passes_its_suite(tmp_path):
    """The control: the same kind of file without the planted problem passes every critical check."""
    case = next(c for c in CASES if c.name == "reordered_columns")
    con, report, _ = run_case(case, tmp_path)
    try:
        suite = run_quality_suite(con, "crm_leads", [r.load_id for r in report.loaded], "corpus-control", now=NOW)
        assert suite.passed, [r.message for r in suite.critical_failures]
    finally:
        con.close()
