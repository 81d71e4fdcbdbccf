"""A file that vanishes or cannot be read while the ingest runs costs that file only, with its reason.

Sync tools move files while the nightly ingest walks the folder; before the fix an OSError from
one file ended the whole ingest with a traceback. A full disk is the machine's problem, not the
file's: it still stops the run (and says so).
"""

from __future__ import annotations

import errno

import duckdb
import pytest

import orchestration.ingest.run as run
from orchestration.ingest.run import ingest_landing
from tests.bad_inputs.cases import two_lead_exports
from tests.bad_inputs.invariants import manifest_problems


@pytest.fixture
def landing(tmp_path):
    return two_lead_exports(tmp_path)


def _failing_for(name: str, error: OSError, monkeypatch):
    real = run.sha256_of

    def sha(path, *args, **kwargs):
        if path.name == name:
            if error.errno == errno.ENOENT:
                path.unlink()
            raise error
        return real(path, *args, **kwargs)

    monkeypatch.setattr(run, "sha256_of", sha)


@pytest.mark.parametrize("error,says", [
    (FileNotFoundError(errno.ENOENT, "No such file or directory"), "cannot be read: No such file or directory"),
    (PermissionError(errno.EACCES, "Permission denied"), "cannot be read: Permission denied"),
    (OSError(errno.EIO, "Input/output error"), "cannot be read: Input/output error"),
])
def test_an_unreadable_file_is_rejected_alone(landing, monkeypatch, error, says):
    _failing_for("a_Lead.csv", error, monkeypatch)
    con = duckdb.connect()
    report = ingest_landing(con, landing)
    assert [(e.file, says in str(e)) for e in report.errors] == [("a_Lead.csv", True)]
    assert [(r.source_file, r.rows_loaded) for r in report.loaded] == [("b_Lead.csv", 3)]
    assert manifest_problems(con) == []


def test_a_full_disk_stops_the_ingest_with_its_cause(landing, monkeypatch):
    _failing_for("a_Lead.csv", OSError(errno.ENOSPC, "No space left on device"), monkeypatch)
    with pytest.raises(OSError, match="No space left on device"):
        ingest_landing(duckdb.connect(), landing)
