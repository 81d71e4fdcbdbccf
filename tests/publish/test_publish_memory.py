"""The publish steps' DuckDB connections run under the build's memory limit and spill beside the
output (at 10M leads, unbounded, the Parquet export peaked at 9.8 GB RSS and the published copy
at 6.9 GB; bounded, both ~3.2 GB — docs/benchmarks.md). Peak memory itself is measured in the
benchmark, not here: these tests check the settings and that no spill folder is left behind.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.publish.catalog import open_published
from orchestration.publish.memory import DEFAULT_LIMIT, ENV_VAR, spill_folder
from orchestration.publish.parquet import export_parquet


def _setting(con, name: str) -> str:
    return con.execute(f"select current_setting('{name}')").fetchone()[0]


@pytest.mark.parametrize("limit, shown", [(None, "2.7 GiB"), ("512MB", "488.2 MiB")])
def test_the_published_file_is_read_under_the_builds_limit_spilling_into_the_out_folder(
        published_out, monkeypatch, limit, shown):
    if limit:
        monkeypatch.setenv(ENV_VAR, limit)
    else:
        monkeypatch.delenv(ENV_VAR, raising=False)
        assert DEFAULT_LIMIT == "3GB"
    with open_published(published_out / "funnel.duckdb") as con:
        assert _setting(con, "memory_limit") == shown
        spill = Path(_setting(con, "temp_directory"))
        assert spill.parent == published_out and spill.name.startswith(".duckdb-spill-") and spill.is_dir()
    assert not spill.exists()
    assert sorted(p.name for p in published_out.iterdir()) == ["funnel.duckdb"]


def test_an_export_leaves_no_spill_folder(published_out, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "256MB")
    export = export_parquet(published_out / "funnel.duckdb", published_out)
    assert export.marts
    assert not [p for p in published_out.iterdir() if p.name.startswith(".duckdb-spill-")]


def test_an_out_folder_it_cannot_write_spills_into_the_system_temporary_folder(tmp_path):
    unwritable = tmp_path / "not-a-folder"
    unwritable.write_text("a file where the folder should be")  # mkdtemp there fails, as read-only would
    with spill_folder(unwritable) as spill:
        assert spill.parent != unwritable and spill.is_dir()
    assert not spill.exists()
