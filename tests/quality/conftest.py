"""Fixtures for the quality-suite tests: a throw-away warehouse, hand-made deliveries, a small seed.

Great Expectations takes seconds to import, so one session fixture imports it once; every test
after that validates in well under a second.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import duckdb
import pytest
from dq_helpers import NOW, SEED_CSV

from orchestration.quality.suites import DEFAULT_EXPECTATIONS_DIR
from orchestration.warehouse import ensure_raw_tables

@pytest.fixture(scope="session")
def gx_loaded():
    """Import GX and build its context once for the whole session."""
    from orchestration.quality.gx_runner import gx_state

    return gx_state()


@pytest.fixture
def con():
    c = duckdb.connect(":memory:")
    ensure_raw_tables(c)
    yield c
    c.close()


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    d = tmp_path / "seeds"
    d.mkdir()
    (d / "stage_mapping.csv").write_text(SEED_CSV, encoding="utf-8")
    return d


@pytest.fixture
def expectations_copy(tmp_path: Path) -> Callable[..., Path]:
    """A copy of the real expectations/ folder, with config.yml lines replaced as given."""

    def make(**config_replacements: tuple[str, str]) -> Path:
        d = tmp_path / "expectations"
        if d.exists():
            shutil.rmtree(d)
        shutil.copytree(DEFAULT_EXPECTATIONS_DIR, d)
        cfg = d / "config.yml"
        text = cfg.read_text(encoding="utf-8")
        for old, new in config_replacements.values():
            assert old in text, f"config.yml has no line {old!r}"
            text = text.replace(old, new)
        cfg.write_text(text, encoding="utf-8")
        return d

    return make


@pytest.fixture
def run(con, seeds_dir, gx_loaded):
    """Run the suite of ``table`` on ``load_ids`` with the test seed and the fixed clock."""
    from orchestration.quality import run_quality_suite

    def _run(table: str, load_ids: list[str], run_id: str = "run-1", **kwargs):
        kwargs.setdefault("seeds_dir", seeds_dir)
        kwargs.setdefault("now", NOW)
        return run_quality_suite(con, table, load_ids, run_id, **kwargs)

    return _run
