"""One build at a time per warehouse: a second ``funnel build`` is refused with a clear message.

DuckDB allows one writer per file; two builds would fail halfway with a lock error from whichever
step collides. An advisory ``flock`` on ``<private>/build.lock`` is taken for the whole build and
released by the kernel if the process dies (kill -9 included), so a crash never leaves it stuck.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path


class BuildAlreadyRunning(RuntimeError):
    pass


@contextmanager
def build_lock(private_dir: Path) -> Iterator[None]:
    private_dir.mkdir(parents=True, exist_ok=True)
    path = private_dir / "build.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise BuildAlreadyRunning(
                f"another build of this warehouse is running (pid {holder}); wait for it to finish "
                f"or stop it — two builds never write the warehouse at once") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def build_running(private_dir: Path) -> str | None:
    """The pid text of a build holding the lock right now, else None — without taking or creating it.

    For ``funnel doctor``: a shared lock attempt fails exactly while a build holds the exclusive one.
    """
    path = private_dir / "build.lock"
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown pid"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
