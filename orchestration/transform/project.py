"""The dbt project handle and a manifest that is never stale.

``DbtProject.prepare_if_dev()`` only parses under ``dagster dev``; the CLI, tests and CI load the
definitions directly, so we run ``dbt parse`` ourselves whenever a project file is newer than the
manifest (about 5 s, and only after an edit).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.settings import DBT_PROJECT_DIR

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
WATCHED = ("models", "seeds", "macros", "snapshots", "tests", "analyses", "dbt_project.yml", "profiles.yml")


def dbt_executable() -> str:
    """The dbt next to this Python (the project's venv), falling back to PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for name in WATCHED:
        p = project_dir / name
        if p.is_file():
            newest = max(newest, p.stat().st_mtime)
        elif p.is_dir():
            for f in p.rglob("*"):
                if f.is_file():
                    newest = max(newest, f.stat().st_mtime)
    return newest


def ensure_manifest(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """Return target/manifest.json, running ``dbt parse`` first if it is missing or stale."""
    manifest = project_dir / "target" / "manifest.json"
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime(project_dir):
        return manifest
    return parse_project(project_dir)


def parse_project(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """Run ``dbt parse`` with this process's environment; return target/manifest.json.

    Besides the manifest, dbt writes its partial-parse state, keyed on the profile — the
    warehouse path and DuckDB settings included. A build whose environment matches (the same
    out folder, see ``funnel prepare``) then checks that state instead of parsing every file
    again (~12 s on 2 cores).
    """
    manifest = project_dir / "target" / "manifest.json"
    env = {**os.environ}
    env.setdefault("FUNNEL_WAREHOUSE_PATH", str(project_dir / "target" / "parse.duckdb"))
    proc = subprocess.run(
        [dbt_executable(), "parse", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir), "--quiet"],
        capture_output=True, text=True, env=env, cwd=project_dir,
    )
    if proc.returncode != 0 or not manifest.exists():
        raise RuntimeError(f"dbt parse failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    return manifest


# Invocation folders (compiled SQL, dbt.log) kept per dbt asset: two weeks of nightly builds.
KEEP_INVOCATIONS = 14


def prune_invocation_folders(target_dir: Path, asset_name: str, keep: int = KEEP_INVOCATIONS) -> list[Path]:
    """Delete all but the ``keep`` newest ``<asset_name>-<run>-<time>`` folders under ``target_dir``.

    dagster-dbt gives every dbt invocation its own target folder and never removes it: ~8 MB a
    build (24 MB with dbt's debug file log), so a nightly schedule would fill the disk over the
    months. The newest ones stay for whoever reads a recent build's compiled SQL or dbt.log;
    another build running at the same time only ever has the newest folder. Returns what was removed.
    """
    folders = []
    for folder in target_dir.glob(f"{asset_name}-*"):
        try:  # a build on another out folder may be pruning the same target at the same time
            if folder.is_dir():
                folders.append((folder.stat().st_mtime, folder))
        except OSError:
            continue
    folders.sort(reverse=True)
    removed = []
    for _, old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)
        removed.append(old)
    return removed
