"""A landing file is read for its SHA-256 only when its stat says it may have changed.

Every night used to hash every file in the landing folder again (21 GB at 10M leads). Now the hash
is recorded with the file's stat fingerprint (``orchestration/ingest/fingerprints.py``). These
tests count the files actually read and check that no changed file is ever taken for unchanged:
new bytes behind an old size and mtime, a copy put in place, a file still being written.
"""

from __future__ import annotations

import os
import shutil

import duckdb
import pytest

import orchestration.ingest.fingerprints as fingerprints
import orchestration.ingest.run as run
from orchestration.ingest.run import ingest_landing
from tests.bad_inputs.cases import leads, sf_csv, two_lead_exports


@pytest.fixture
def hashed(monkeypatch):
    """The relpaths whose bytes the ingest reads to hash them, in order."""
    names: list[str] = []
    real = run.sha256_of

    def counting(path, *args, **kwargs):
        names.append(path.name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(run, "sha256_of", counting)
    monkeypatch.delenv(fingerprints.ENV_VAR, raising=False)
    return names


@pytest.fixture
def settled(monkeypatch):
    """Files written by the test count as settled at once (the racy-time guard has its own test)."""
    monkeypatch.setattr(fingerprints, "RACY_SECONDS", 0)


@pytest.fixture
def landing(tmp_path):
    return two_lead_exports(tmp_path)


def _industries(con) -> list[str]:
    return [r[0] for r in con.execute("select distinct industry from raw.crm_leads order by 1").fetchall()]


def test_a_second_night_reads_no_unchanged_file(landing, hashed, settled):
    con = duckdb.connect()
    first = ingest_landing(con, landing)
    assert sorted(hashed) == ["a_Lead.csv", "b_Lead.csv"]
    assert len(first.loaded) == 2

    hashed.clear()
    second = ingest_landing(con, landing)
    assert hashed == []
    assert [r.status for r in second.results] == ["unchanged", "unchanged"]
    assert con.execute("select count(*) from raw.crm_leads").fetchone()[0] == 5


def test_new_bytes_behind_the_old_size_and_mtime_are_read_and_loaded(landing, hashed, settled):
    con = duckdb.connect()
    ingest_landing(con, landing)
    target = landing / "a_Lead.csv"
    before = target.stat()
    old, new = sf_csv(leads(2)), sf_csv(leads(2, Industry="Technologz"))
    assert len(old) == len(new) and old != new
    target.write_text(new)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # what cp -p or rsync -t would leave
    assert (target.stat().st_size, target.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)

    hashed.clear()
    report = ingest_landing(con, landing)
    assert hashed == ["a_Lead.csv"]  # its ctime moved
    assert [(r.source_file, r.status) for r in report.results] == [("a_Lead.csv", "loaded"), ("b_Lead.csv", "unchanged")]
    assert "Technologz" in _industries(con)


def test_a_file_replaced_by_a_copy_is_read_again(landing, hashed, settled, tmp_path):
    con = duckdb.connect()
    ingest_landing(con, landing)
    (tmp_path / "copy.csv").write_text(sf_csv(leads(4)))
    shutil.copy2(tmp_path / "copy.csv", tmp_path / "staged.csv")
    os.replace(tmp_path / "staged.csv", landing / "b_Lead.csv")  # renamed into place: another inode

    hashed.clear()
    report = ingest_landing(con, landing)
    assert hashed == ["b_Lead.csv"]
    assert [r.rows_loaded for r in report.loaded] == [4]


def test_a_file_written_while_it_is_hashed_is_not_remembered(landing, hashed, settled, monkeypatch):
    con = duckdb.connect()
    counting = run.sha256_of

    def hash_then_append(path, *args, **kwargs):
        digest = counting(path, *args, **kwargs)
        if path.name == "a_Lead.csv":
            with path.open("a") as f:  # a sync job still writing it
                f.write('"00Q5g0000000000099"\r\n')
        return digest

    monkeypatch.setattr(run, "sha256_of", hash_then_append)
    ingest_landing(con, landing)
    recorded = con.execute(f"select source_file from {fingerprints.FINGERPRINT_TABLE}").fetchall()
    assert recorded == [("b_Lead.csv",)]

    hashed.clear()
    ingest_landing(con, landing)
    assert hashed == ["a_Lead.csv"]


def test_a_file_changed_just_before_it_was_hashed_is_read_again_next_night(landing, hashed):
    """Default guard: on a file system with 1-2 s timestamps a second write in the same tick could
    keep the size and mtime, so a just-written file's hash is not recorded."""
    con = duckdb.connect()
    ingest_landing(con, landing)
    assert con.execute(f"select count(*) from {fingerprints.FINGERPRINT_TABLE}").fetchone()[0] == 0

    hashed.clear()
    ingest_landing(con, landing)
    assert sorted(hashed) == ["a_Lead.csv", "b_Lead.csv"]


def test_the_stat_can_be_distrusted(landing, hashed, settled, monkeypatch):
    con = duckdb.connect()
    ingest_landing(con, landing)
    monkeypatch.setenv(fingerprints.ENV_VAR, "0")

    hashed.clear()
    report = ingest_landing(con, landing)
    assert sorted(hashed) == ["a_Lead.csv", "b_Lead.csv"]
    assert [r.status for r in report.results] == ["unchanged", "unchanged"]
