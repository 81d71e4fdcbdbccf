"""`funnel prepare` (run by `make install` for the demo's out folder): the project is parsed with the
environment a build into that folder gives dbt, so that build's dbt skips the full parse.

Runs on a copy of the dbt project (the shared one's target/ belongs to the other tests' builds).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from orchestration.settings import DBT_PROJECT_DIR, load_settings
from orchestration.transform.project import dbt_executable, parse_project


@pytest.fixture()
def project(tmp_path) -> Path:
    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    return copy


def _parse_log(project: Path, env: dict) -> str:
    """What a second `dbt parse` says about partial parsing, with ``env``."""
    proc = subprocess.run([dbt_executable(), "parse", "--project-dir", str(project), "--profiles-dir", str(project)],
                          capture_output=True, text=True, env=env, cwd=project)
    assert proc.returncode == 0, proc.stdout[-2000:]
    return proc.stdout


def _build_env(out: Path) -> dict:
    saved = dict(os.environ)
    try:
        load_settings(out_dir=out).export_env()
        return dict(os.environ)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_a_build_into_the_prepared_folder_skips_the_parse_and_another_folder_does_not(project, tmp_path):
    prepared, other = tmp_path / "out", tmp_path / "elsewhere"
    saved = dict(os.environ)
    try:
        os.environ.update(_build_env(prepared))
        manifest = parse_project(project)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert manifest.is_file() and (project / "target" / "partial_parse.msgpack").is_file()

    same = _parse_log(project, _build_env(prepared))
    assert "Unable to do partial parsing" not in same
    # the state is keyed on the warehouse path: a build into another folder parses again
    elsewhere = _parse_log(project, _build_env(other))
    assert "Unable to do partial parsing because profile has changed" in elsewhere
