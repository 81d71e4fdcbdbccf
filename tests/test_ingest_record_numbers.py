"""Record numbers survive the parallel CSV read: every loaded row's ``_source_row`` is its position
among the file's records, however many threads read the file and whatever the memory budget.

The loader numbers records by the staging table's rowid (insertion order preserved) instead of a
single-threaded ``row_number()`` window; these tests plant the truth in the file itself — each
lead's Id carries its data-line index — and compute the expected numbers from it independently.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.ingest.run import ingest_landing
from orchestration.warehouse import connect
from tests.test_ingest_memory import write_leads

ROWS = 300_000  # several DuckDB row groups (122,880 rows) and several CSV buffers per thread
MALFORMED_EVERY, BAD_EVERY = 9_973, 7_919


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("landing")
    planted = write_leads(folder / "Lead.csv", ROWS, bad_every=BAD_EVERY, malformed_every=MALFORMED_EVERY)
    return folder, planted


@pytest.mark.parametrize("budget", ["256MB", "2GB"])
def test_every_record_number_is_its_position_among_the_records(landing, tmp_path, budget):
    folder, planted = landing
    con = connect(tmp_path / "w.duckdb", memory_limit="2GB", threads=2)
    report = ingest_landing(con, folder, memory_limit=budget)
    assert not report.errors
    # lead i is on data line i; malformed lines are not records, so lead i is record
    # i - (malformed leads before it)
    malformed = {i for i in range(1, ROWS + 1) if i % MALFORMED_EVERY == 0}
    expected = {}
    skipped = 0
    for i in range(1, ROWS + 1):
        if i in malformed:
            skipped += 1
            continue
        expected[f"00Q{i:015d}"] = i - skipped
    loaded = dict(con.execute("select lead_id, _source_row from raw.crm_leads").fetchall())
    bad = {f"00Q{i:015d}" for i in range(1, ROWS + 1) if i % BAD_EVERY == 0 and i not in malformed}
    assert len(loaded) == len(expected) - len(bad)
    assert loaded == {k: v for k, v in expected.items() if k not in bad}
    # quarantined values carry their record number; malformed lines their physical line number
    quarantined = con.execute("select record_number, line_number, raw_text from raw._quarantine").fetchall()
    by_record = sorted(r for r, line, _ in quarantined if r is not None)
    assert by_record == sorted(expected[k] for k in bad)
    assert sorted(line for r, line, _ in quarantined if r is None) == planted["malformed"]
