"""A full disk or a read-only folder: a clear error, nothing published half-way, recovery once fixed.

Real file systems where the test runs as root (a tiny tmpfs that fills up, a tmpfs remounted
read-only); everywhere, the same failures injected at the swap itself (ENOSPC from the rename,
EIO from fsync), which a tmpfs cannot produce at that exact point.
"""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.generate import generate
from orchestration.ingest.run import ingest_landing
from orchestration.publish import duckdb_file
from orchestration.publish.duckdb_file import publish_marts
from orchestration.warehouse import connect
from tests.bad_inputs.invariants import manifest_problems, raw_checksums
from tests.faults.helpers import REPO, can_mount, remount_read_only, tmpfs
from tests.faults.test_kill_publish import make_warehouse, published

needs_mount = pytest.mark.skipif(not can_mount(), reason="needs root with CAP_SYS_ADMIN to mount a tmpfs")
FUNNEL = str(Path(sys.executable).parent / "funnel")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    root = tmp_path_factory.mktemp("marts")
    make_warehouse(root / "small.duckdb", 1_000)
    make_warehouse(root / "big.duckdb", 300_000)  # ~12 MB published: does not fit a 4 MB disk
    return root / "small.duckdb", root / "big.duckdb"


@needs_mount
def test_disk_full_while_publishing_leaves_the_published_file_as_it_was(warehouses, tmp_path):
    small, big = warehouses
    with tmpfs(tmp_path / "out", "4m") as out:
        publish_marts(small, out, "20260101T000000Z-lastgood")
        before = sha256(out / "funnel.duckdb")
        with pytest.raises((duckdb.IOException, OSError), match="No space left on device"):
            publish_marts(big, out, "20260102T000000Z-tonight")
        assert sha256(out / "funnel.duckdb") == before
        assert published(out) == ("20260101T000000Z-lastgood", True)
        assert not list(out.glob(".funnel.duckdb.*")), "the half-written file was left filling the disk"
        subprocess.run(["mount", "-o", "remount,size=64m", str(out)], check=True)  # space freed
        publish_marts(big, out, "20260102T000000Z-retry")
        assert published(out) == ("20260102T000000Z-retry", True)


@needs_mount
def test_disk_full_during_ingest_fails_with_the_cause_and_the_next_ingest_recovers(tmp_path):
    landing = tmp_path / "landing"
    generate(landing, leads=300, seed=3)
    clean = connect(tmp_path / "clean.duckdb")
    ingest_landing(clean, landing)
    expected = raw_checksums(clean)
    clean.close()
    with tmpfs(tmp_path / "private", "300k") as private:
        con = connect(private / "warehouse.duckdb")
        with pytest.raises(duckdb.Error, match="No space left on device"):
            ingest_landing(con, landing, workdir=tmp_path / "work")
        con.close()
        subprocess.run(["mount", "-o", "remount,size=64m", str(private)], check=True)
        con = connect(private / "warehouse.duckdb")  # the WAL of the failed run is replayed or dropped
        report = ingest_landing(con, landing, workdir=tmp_path / "work")
        assert not report.errors
        assert manifest_problems(con) == []
        assert raw_checksums(con) == expected
        con.close()


@needs_mount
def test_read_only_out_folder_publish_fails_clearly_and_changes_nothing(warehouses, tmp_path):
    small, _ = warehouses
    with tmpfs(tmp_path / "out", "16m") as out:
        publish_marts(small, out, "20260101T000000Z-lastgood")
        before = sha256(out / "funnel.duckdb")
        remount_read_only(out)
        with pytest.raises((duckdb.IOException, OSError), match="Read-only file system"):
            publish_marts(small, out, "20260102T000000Z-tonight")
        assert sha256(out / "funnel.duckdb") == before
        assert published(out) == ("20260101T000000Z-lastgood", True)


@needs_mount
def test_read_only_out_folder_through_the_cli_exits_1_with_the_reason(warehouses, tmp_path):
    small, _ = warehouses
    landing = tmp_path / "landing"
    landing.mkdir()
    with tmpfs(tmp_path / "out", "16m") as out:
        publish_marts(small, out, "20260101T000000Z-lastgood")
        (out / "private").mkdir()
        before = sha256(out / "funnel.duckdb")
        remount_read_only(out)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FUNNEL_")} | {"COLUMNS": "250"}
        proc = subprocess.run([FUNNEL, "build", "--landing", str(landing), "--out", str(out)], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "Read-only file system" in proc.stderr and "the published warehouse was not changed" in proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr
        assert sha256(out / "funnel.duckdb") == before


@pytest.mark.parametrize("where,error", [
    ("replace", OSError(errno.ENOSPC, "No space left on device")),
    ("fsync", OSError(errno.EIO, "Input/output error")),
    ("keep_previous", OSError(errno.ENOSPC, "No space left on device")),
])
def test_a_failure_at_the_swap_itself_leaves_the_old_file_and_no_debris(warehouses, tmp_path, monkeypatch, where, error):
    small, _ = warehouses
    out = tmp_path / "out"
    publish_marts(small, out, "20260101T000000Z-lastgood")
    before = sha256(out / "funnel.duckdb")

    def fail(*args, **kwargs):
        raise error

    target = {"replace": (duckdb_file.os, "replace"), "fsync": (duckdb_file, "fsync_file"),
              "keep_previous": (duckdb_file, "keep_previous")}[where]
    monkeypatch.setattr(*target, fail)
    with pytest.raises(OSError) as info:
        publish_marts(small, out, "20260102T000000Z-tonight")
    assert info.value.errno == error.errno
    monkeypatch.undo()
    assert sha256(out / "funnel.duckdb") == before
    assert not list(out.glob(".funnel.duckdb.*")), "the unswapped file was left behind"
