"""Two nights in a row, as production runs them: the second night adds files and builds on the first.

Night 1 builds the first delivery (six months of history) into an out folder. Night 2's delivery
(the next month's exports, new files in a new dated folder) lands beside it and ``run_build`` runs
again on the same out folder. Checked:

- night 2's ingest loaded exactly the files of the new delivery, and left every load of night 1 as
  it was (same load ids, same load times: nothing re-read, nothing replaced) — read from
  ``raw._load_manifest``;
- every mart night 2 published equals, row by row, the mart of a rebuild of both deliveries from
  scratch into a fresh out folder (order-independent, floats rounded to 9 digits), and so do the
  raw tables. FUNNEL_AS_OF is pinned to each night's date, so "now" is the same for night 2 and
  the rebuild.

One mart is history by design and cannot be rebuilt from the files: ``mart_dq_trends`` keeps one
row per table and delivery day of the quality checks with the number of validations, the last
run id and check time, so two nights hold two validations and a rebuild one; for it the test
checks exactly that. (Likewise the opportunity
snapshot dates stages seen on a later night for CRMs without a stage history; every generated
opportunity has one, so it changes no mart here.)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.build import run_build
from orchestration.generate import export_date, generate_delivery
from orchestration.ingest.files import discover_files
from orchestration.settings import load_settings
from tests.bad_inputs.invariants import manifest_problems, raw_checksums
from tests.e2e.compare import differing_marts, published_marts

pytestmark = pytest.mark.e2e
LEADS, SEED, START, MONTHS = 300, 20260701, date(2026, 1, 1), 6
BUILD_HISTORY_MARTS = {"mart_dq_trends"}  # see the module docstring


def _as_of(index: int) -> str:
    return f"{export_date(index, start=START, months=MONTHS).isoformat()} 02:00:00"  # the 02:00 schedule


def _build(landing: Path, out: Path, as_of: str):
    settings = load_settings(Path("/nonexistent/funnel.yml"), landing_dir=landing, out_dir=out, as_of=as_of)
    outcome = run_build(settings)
    assert outcome.success, outcome.failures + outcome.failed_checks
    return settings


def _manifest(settings) -> dict[tuple[str, str | None], tuple]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        rows = con.execute("select source_file, target_table, load_id, status, file_sha256, loaded_at "
                           "from raw._load_manifest").fetchall()
    finally:
        con.close()
    return {(f, t): (lid, status, sha, at) for f, t, lid, status, sha, at in rows}


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    root = tmp_path_factory.mktemp("two_nights")
    landing = root / "landing"
    night1_folder = generate_delivery(landing, 0, leads=LEADS, seed=SEED, start=START, months=MONTHS)
    night1 = _build(landing, root / "out", _as_of(0))
    after_night1 = _manifest(night1)

    night2_folder = generate_delivery(landing, 1, leads=LEADS, seed=SEED, start=START, months=MONTHS)
    night2 = _build(landing, root / "out", _as_of(1))
    after_night2 = _manifest(night2)

    scratch = _build(landing, root / "scratch", _as_of(1))
    return {"landing": landing, "night1_folder": night1_folder, "night2_folder": night2_folder, "night2": night2,
            "scratch": scratch, "after_night1": after_night1, "after_night2": after_night2}


def _relpaths(landing: Path, folder: Path) -> set[str]:
    return {p.relative_to(landing.resolve()).as_posix() for p in discover_files(folder)}


def test_night_two_loads_only_the_new_files_and_leaves_night_one_as_it_was(nights):
    landing, before, after = nights["landing"], nights["after_night1"], nights["after_night2"]
    night1_files = _relpaths(landing, nights["night1_folder"])
    night2_files = _relpaths(landing, nights["night2_folder"])
    assert night1_files and night2_files and not night1_files & night2_files
    assert {f for f, _ in before} == night1_files  # night 1 loaded all of its delivery

    new_loads = {key: v for key, v in after.items() if key not in before}
    assert {f for f, _ in new_loads} == night2_files, "night 2 loaded something other than its new files"
    assert all(status == "loaded" for _, status, _, _ in new_loads.values())
    assert {key: v for key, v in after.items() if key in before} == before, \
        "a load of night 1 was re-read, replaced or changed status on night 2"
    assert min(at for *_, at in new_loads.values()) > max(at for *_, at in before.values())

    con = duckdb.connect(str(nights["night2"].warehouse), read_only=True)
    try:
        assert manifest_problems(con) == []
        per_night = dict(con.execute(
            "select split_part(_source_file, '/', 1), count(*) from raw.crm_leads group by 1").fetchall())
    finally:
        con.close()
    assert set(per_night) == {nights["night1_folder"].name, nights["night2_folder"].name}


def test_every_mart_of_night_two_equals_a_rebuild_of_both_nights_from_scratch(nights):
    incremental, scratch = published_marts(nights["night2"].published), published_marts(nights["scratch"].published)
    assert sorted(incremental) == sorted(scratch)
    assert len(incremental) >= 20 and "mart_funnel_cohort" in incremental
    assert differing_marts(incremental, scratch, skip=BUILD_HISTORY_MARTS) == {}
    cohorts = incremental["mart_funnel_cohort"][1]
    assert sum(cohorts.values()) > 0
    july = date(2026, 7, 1)
    assert any(july in row for row in cohorts), "night 2's cohort month is missing from the funnel"


def test_the_raw_tables_equal_the_rebuild_load_times_aside(nights):
    with duckdb.connect(str(nights["night2"].warehouse), read_only=True) as a, \
            duckdb.connect(str(nights["scratch"].warehouse), read_only=True) as b:
        assert raw_checksums(a) == raw_checksums(b)


def test_the_quality_history_mart_records_one_validation_per_night(nights):
    """Night 2's mart_dq_trends counts two validations of every table (one per night); the rebuild
    one — of the same rows."""
    def per_table(published: Path) -> dict[tuple[str, str], tuple[int, int]]:
        with duckdb.connect(str(published), read_only=True) as con:
            return {(s, t): (int(n), int(rows)) for s, t, n, rows in con.execute(
                "select source_system, table_name, sum(delivery_count), sum(validated_row_count) "
                "from marts.mart_dq_trends group by all").fetchall()}

    incremental, scratch = per_table(nights["night2"].published), per_table(nights["scratch"].published)
    assert incremental.keys() == scratch.keys() and len(scratch) >= 9
    assert {k: n for k, (n, _) in incremental.items()} == dict.fromkeys(scratch, 2)
    assert {k: n for k, (n, _) in scratch.items()} == dict.fromkeys(scratch, 1)
    assert {k: rows for k, (_, rows) in incremental.items()} == {k: rows for k, (_, rows) in scratch.items()}
