"""Versions of the published file: the previous file kept under ``versions/`` at every publish,
and ``funnel rollback``, which swaps one of them back in.

A version is a hard link to the file it was (the publish never writes a file in place, so the
link keeps exactly what readers saw), named after its build id so that names sort by time.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import duckdb

PUBLISHED_NAME = "funnel.duckdb"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def published_build_id(path: Path) -> str | None:
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        return con.execute("select build_id from meta.build_info").fetchone()[0]
    except duckdb.Error:
        return None
    finally:
        con.close()


def keep_previous(final: Path, out_dir: Path, keep_versions: int) -> Path | None:
    """Hard-link the current published file into versions/ before it is replaced; prune old ones."""
    if not final.exists():
        return None
    versions = out_dir / "versions"
    versions.mkdir(exist_ok=True)
    old_id = published_build_id(final) or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-unknown")
    kept = versions / f"funnel-{old_id}.duckdb"
    if not kept.exists():
        try:
            os.link(final, kept)
        except OSError:
            shutil.copy2(final, kept)
    for stale in list_versions(out_dir)[keep_versions:]:
        stale.unlink(missing_ok=True)
    return kept


def list_versions(out_dir: Path) -> list[Path]:
    """Kept versions, newest first (build ids start with a UTC timestamp, so names sort by time)."""
    return sorted((out_dir / "versions").glob("funnel-*.duckdb"), reverse=True)


def rollback(out_dir: Path, build_id: str | None = None) -> Path:
    """Swap a kept version back in (the newest one unless ``build_id`` names another)."""
    versions = list_versions(out_dir)
    if build_id:
        versions = [v for v in versions if v.name == f"funnel-{build_id}.duckdb"]
    if not versions:
        raise FileNotFoundError(f"no kept version{' ' + build_id if build_id else ''} under {out_dir / 'versions'}")
    chosen = versions[0]
    tmp = out_dir / f".{PUBLISHED_NAME}.rollback.tmp"
    shutil.copy2(chosen, tmp)
    fsync_file(tmp)
    os.replace(tmp, out_dir / PUBLISHED_NAME)
    fsync_dir(out_dir)
    return chosen
