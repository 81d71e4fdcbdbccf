"""Publish a folder atomically: a reader of ``<out>/<name>`` sees the old export or the new one, whole.

A folder cannot be replaced in one step (``rename(2)`` refuses a non-empty target, and renaming
the old one away first leaves a moment with no folder at all). So ``<out>/<name>`` is a relative
symlink to ``<out>/.<name>-builds/<version>/``: a new export is written into a fresh version
folder, flushed, and then the *link* is replaced with ``os.replace`` — a rename, atomic on POSIX —
so whoever resolves the path gets one complete version. The previous version stays on disk
(``keep`` versions in all), so a reader that resolved the old link a moment ago can finish reading
it; the link is relative so the whole ``<out>`` folder can be moved or mounted elsewhere.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from pathlib import Path

from orchestration.publish.versions import fsync_dir

_STAGING_PREFIX = ".tmp-"
_STALE_STAGING_SECONDS = 3600


def builds_dir(out_dir: Path, name: str) -> Path:
    return out_dir / f".{name}-builds"


def stage_version(out_dir: Path, name: str, build_id: str) -> Path:
    """A fresh, empty folder to write the next version into (invisible to readers until swapped in)."""
    builds = builds_dir(out_dir, name)
    builds.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(builds)
    staged = builds / f"{_STAGING_PREFIX}{build_id}-{secrets.token_hex(3)}"
    staged.mkdir()
    return staged


def discard(staged: Path) -> None:
    shutil.rmtree(staged, ignore_errors=True)


def swap_in(out_dir: Path, name: str, staged: Path, *, keep: int = 2) -> Path:
    """Make ``staged`` the version ``<out>/<name>`` points to; prune versions beyond ``keep``."""
    _fsync_tree(staged)
    version = staged.with_name(staged.name.removeprefix(_STAGING_PREFIX))
    os.rename(staged, version)
    link = out_dir / name
    if link.exists() and not link.is_symlink():
        _move_legacy_folder(link, builds_dir(out_dir, name))
    tmp_link = out_dir / f".{name}.link-{secrets.token_hex(3)}"
    os.symlink(os.path.relpath(version, out_dir), tmp_link)
    try:
        os.replace(tmp_link, link)
    except BaseException:
        tmp_link.unlink(missing_ok=True)
        raise
    fsync_dir(out_dir)
    _prune(builds_dir(out_dir, name), version, keep)
    return version


def current_version(out_dir: Path, name: str) -> Path | None:
    link = out_dir / name
    return link.resolve() if link.is_symlink() else None


def _move_legacy_folder(folder: Path, builds: Path) -> None:
    """A plain folder left by an older release: move it aside once so the link can take its place."""
    builds.mkdir(parents=True, exist_ok=True)
    os.rename(folder, builds / f"legacy-{time.strftime('%Y%m%dT%H%M%S')}")


def _prune(builds: Path, current: Path, keep: int) -> None:
    versions = [p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(_STAGING_PREFIX)]
    versions.sort(key=lambda p: p.stat().st_mtime_ns, reverse=True)
    kept = 1
    for p in versions:
        if p == current:
            continue
        if kept < keep:
            kept += 1
            continue
        shutil.rmtree(p, ignore_errors=True)


def _remove_stale_staging(builds: Path) -> None:
    """Staging folders of a crashed export (older than an hour, so never a concurrent one)."""
    cutoff = time.time() - _STALE_STAGING_SECONDS
    for p in builds.glob(f"{_STAGING_PREFIX}*"):
        if p.stat().st_mtime < cutoff:
            shutil.rmtree(p, ignore_errors=True)


def _fsync_tree(root: Path) -> None:
    for dirpath, _, filenames in os.walk(root):
        for f in filenames:
            fd = os.open(os.path.join(dirpath, f), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))
