"""kill -9 in the middle of an ingest: the next ingest recovers by itself, to the same raw tables.

Each file is loaded in its own transaction, so a kill leaves the files committed before it
and nothing of the one in flight; DuckDB replays its write-ahead log on the next open. The
re-run must end with raw tables, quarantine and manifest identical to an uninterrupted ingest
(load times aside), the manifest agreeing with the tables and no row loaded twice.
(The whole build killed at random points: bench/faults/kill_trials.py.)
"""

from __future__ import annotations

import random
import time

import pytest

from orchestration.generate import generate
from orchestration.ingest.run import ingest_landing
from orchestration.warehouse import connect
from tests.bad_inputs.invariants import duplicated_raw_rows, manifest_problems, raw_checksums
from tests.faults.helpers import kill9, start, wait_for_line

INGEST = """
import sys
from pathlib import Path
from orchestration.ingest.run import ingest_landing
from orchestration.warehouse import connect
con = connect(Path(sys.argv[1]))
print("ingesting", flush=True)
report = ingest_landing(con, Path(sys.argv[2]))
con.close()
print("done", len(report.loaded), flush=True)
"""


@pytest.fixture(scope="module")
def delivery(tmp_path_factory):
    """A generated night of exports (300 leads) and the raw state an uninterrupted ingest gives."""
    root = tmp_path_factory.mktemp("kill_ingest")
    landing = root / "landing"
    generate(landing, leads=300, seed=3)
    con = connect(root / "clean.duckdb")
    started = time.monotonic()
    report = ingest_landing(con, landing)
    seconds = time.monotonic() - started
    assert not report.errors
    clean = raw_checksums(con)
    con.close()
    return landing, clean, seconds


@pytest.mark.parametrize("seed", [1, 2])
def test_a_killed_ingest_is_completed_by_the_next_one(delivery, tmp_path, seed):
    landing, clean, seconds = delivery
    rng = random.Random(seed)
    warehouse = tmp_path / "warehouse.duckdb"
    delays, killed_mid_ingest = [], 0
    for _ in range(2):  # killed twice at random points, then left to finish
        delay = rng.uniform(0.1, 0.8 * seconds)
        for _attempt in range(6):
            proc = start(INGEST, str(warehouse), str(landing))
            wait_for_line(proc, "ingesting")
            time.sleep(delay)
            if proc.poll() is None:
                kill9(proc)
                delays.append(round(delay, 2))
                killed_mid_ingest += 1
                break
            # It finished first (the reference ingest ran slower, on a busier machine): start again
            # from an empty warehouse and kill sooner, so the test never passes without a kill.
            for leftover in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
                leftover.unlink(missing_ok=True)
            delay /= 2
    assert killed_mid_ingest == 2, f"an ingest finished before every kill (delays {delays}): nothing was tested"
    proc = start(INGEST, str(warehouse), str(landing))
    assert proc.wait(120) == 0, proc.stdout.read()
    con = connect(warehouse)
    try:
        assert manifest_problems(con) == [], f"killed after {delays} s"
        assert duplicated_raw_rows(con) == {}, f"killed after {delays} s"
        assert raw_checksums(con) == clean, f"killed after {delays} s"
    finally:
        con.close()
