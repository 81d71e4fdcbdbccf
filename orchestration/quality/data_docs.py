"""Rendering the suites as Great Expectations Data Docs (static HTML), on demand.

Best effort and for people, not for the gate: the pipeline never needs it. It renders what each
suite expects (one page per raw table, with severity and "why" as notes), not validation results,
so no data — and no PII — ends up in the HTML. Delivery-level checks (uniqueness within a delivery,
stage-mapping values, volume band) are not GX expectations; they are listed in each page's notes.
Results of actual runs are in ``quality.dq_results`` and in the Dagster asset checks.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from orchestration.canonical import TABLES
from orchestration.quality.gx_runner import build_gx_suite, gx_state
from orchestration.quality.suites import load_config, load_suite


def build_data_docs(out_dir: Path | str, *, expectations_dir: Path | None = None) -> Path:
    """Write Data Docs for every suite into ``out_dir``; returns the path of ``index.html``."""
    state = gx_state()  # imports GX
    gx = state.gx
    config = load_config(expectations_dir)
    parameters = config.run_parameters(datetime.now(timezone.utc).replace(tzinfo=None))
    out = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="gx-docs-") as tmp:
        context = gx.get_context(mode="file", project_root_dir=tmp)
        for name in TABLES:
            suite = load_suite(name, expectations_dir, config)
            gx_specs = [s for s in suite.expectations if not s.is_delivery_check]
            gx_suite = build_gx_suite(suite, gx_specs, parameters)
            delivery_checks = [
                f"- **{s.name}** ({s.severity}): `{s.expectation}` {dict(s.kwargs) or ''} — {s.why}"
                for s in suite.expectations
                if s.is_delivery_check
            ]
            gx_suite.notes = [
                f"Suite file: expectations/{suite.path.name}. {suite.description} "
                "Each expectation's note starts with its severity (critical blocks the build).",
                "Also checked on the whole delivery in DuckDB (not GX expectations):\n" + "\n".join(delivery_checks),
            ]
            context.suites.add(gx_suite)
        sites = context.build_data_docs()
        built = Path(next(iter(sites.values())).removeprefix("file://")).parent
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(built, out)
    return out / "index.html"
