"""Unpinned "now" (as_of() in macros/dates.sql) is the instant the dbt invocation started.

It is rendered as a literal, not the database's clock, so that every clock reader of one build ages
open stages to the same instant, and so that fct_stage_events can be a view on DuckDB: a view that
read current_timestamp would give other rows each time the publish step (or anyone) read it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from dbt_harness import run_dbt

CLOCK_READERS = ["fct_stage_events", "fct_opportunities", "mart_pipeline_forecast", "int_root_cause__leaves"]
TIMESTAMP_LITERAL = re.compile(r"cast\('(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6})' as timestamp\)")


def test_unpinned_now_is_one_literal_instant_for_every_clock_reader(dbt_build, tmp_path):
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    proc = run_dbt(["compile", "--select", *CLOCK_READERS], warehouse=dbt_build.warehouse,
                   target_path=tmp_path / "target")  # no as_of: the tests' conftest drops FUNNEL_AS_OF
    ended = datetime.now(timezone.utc).replace(tzinfo=None)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    instants = set()
    for name in CLOCK_READERS:
        [compiled] = Path(tmp_path / "target" / "compiled").rglob(f"{name}.sql")
        sql = compiled.read_text().lower()
        assert "current_timestamp" not in sql and "now()" not in sql, name
        found = set(TIMESTAMP_LITERAL.findall(sql))
        assert found, name
        instants |= found
    assert len(instants) == 1, instants
    instant = datetime.fromisoformat(instants.pop())
    assert started - timedelta(seconds=1) <= instant <= ended


def test_fct_stage_events_is_a_view_in_the_duckdb_warehouse(dbt_build):
    assert dbt_build.query("select count(*) from duckdb_views() where schema_name = 'marts' "
                           "and view_name = 'fct_stage_events'") == [(1,)]
    assert dbt_build.query("select count(*) from duckdb_tables() where table_name = 'fct_stage_events'") == [(0,)]
