"""kill -9 while ``funnel.duckdb`` is being published: readers always find one whole build.

The new file is written beside the published one and swapped in with one rename, so whenever
the publisher dies a reader opens last night's build or tonight's — complete, never a mix —
and the next publish clears what the dead one left behind.
"""

from __future__ import annotations

import random
import time

import duckdb
import pytest

from orchestration.publish.duckdb_file import publish_marts
from tests.faults.helpers import kill9, start, wait_for_line

PUBLISH = """
import sys
from pathlib import Path
from orchestration.publish.duckdb_file import publish_marts
print("publishing", flush=True)
publish_marts(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
print("done", flush=True)
"""


def make_warehouse(path, rows: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    for name in ("fct_leads", "fct_opportunities", "mart_funnel_cohort"):
        con.execute(f"create table marts.{name} as select range as id, md5(range::varchar) as label, "
                    f"range * 1.5 as amount from range({rows})")
    con.close()


def published(out) -> tuple[str, bool]:
    """(build id, every table holds the row count build_info promises) — opened as a BI tool would."""
    import json

    con = duckdb.connect(str(out / "funnel.duckdb"), read_only=True)
    try:
        build_id, tables = con.execute("select build_id, tables from meta.build_info").fetchone()
        complete = all(con.execute(f"select count(*) from {t}").fetchone()[0] == n for t, n in json.loads(tables).items())
        return build_id, complete
    finally:
        con.close()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("kill_publish")
    make_warehouse(root / "warehouse.duckdb", 300_000)
    started = time.monotonic()
    publish_marts(root / "warehouse.duckdb", root / "probe", "probe")
    return root / "warehouse.duckdb", time.monotonic() - started


def test_a_killed_publish_leaves_a_whole_build_and_the_next_one_cleans_up(warehouse, tmp_path):
    source, seconds = warehouse
    out = tmp_path / "out"
    publish_marts(source, out, "20260101T000000Z-night0")
    rng = random.Random(14)  # kills at 13 %, 78 % and 84 % of a publish
    killed_mid_publish = 0
    for night in range(1, 4):
        build_id = f"20260101T00000{night}Z-killed"
        proc = start(PUBLISH, str(source), str(out), build_id)
        wait_for_line(proc, "publishing")
        time.sleep(rng.uniform(0.0, 1.2 * seconds))
        killed_mid_publish += proc.poll() is None
        kill9(proc)
        found, complete = published(out)
        assert complete, f"night {night}: a reader found an incomplete build {found}"
        assert found in {"20260101T000000Z-night0", build_id} or found.endswith("-rerun"), found
        result = publish_marts(source, out, f"20260101T00000{night}Z-rerun")  # the next night
        assert published(out) == (result.build_id, True)
        assert not list(out.glob(".funnel.duckdb.*")), "a dead publish's temporary file was not cleaned up"
    assert killed_mid_publish, "every publish finished before its kill: nothing was tested"
