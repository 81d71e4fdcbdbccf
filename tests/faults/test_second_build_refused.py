"""A second ``funnel build`` of the same warehouse while one runs is refused: exit 3 and who holds it.

Through the real CLI, twice over: the second build must not wait, must not touch the
warehouse, and must name the running build's pid; when the first build is killed -9 the lock
is free again at once (the kernel drops a dead process's flock).
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from orchestration.generate import generate
from orchestration.lock import build_lock
from tests.faults.helpers import REPO

FUNNEL = str(Path(sys.executable).parent / "funnel")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNNEL_")}
    env["COLUMNS"] = "250"
    return env


def _lock_is_held(private: Path) -> bool:
    path = private / "build.lock"
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def test_a_second_build_is_refused_with_exit_3_and_the_first_builds_pid(tmp_path):
    landing, out = tmp_path / "landing", tmp_path / "out"
    generate(landing, leads=200, seed=4)
    first = subprocess.Popen([FUNNEL, "build", "--landing", str(landing), "--out", str(out)], cwd=REPO, env=_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _lock_is_held(out / "private"):
            assert first.poll() is None, "the first build ended before it was seen holding the lock"
            assert time.monotonic() < deadline, "the first build never took the lock"
            time.sleep(0.1)
        started = time.monotonic()
        second = subprocess.run([FUNNEL, "build", "--landing", str(landing), "--out", str(out)], cwd=REPO, env=_env(),
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 3, second.stdout + second.stderr
        assert "refused" in second.stderr
        assert f"another build of this warehouse is running (pid {first.pid})" in second.stderr
        assert "Traceback" not in second.stdout + second.stderr
        assert time.monotonic() - started < 60, "the second build waited instead of refusing"
        assert first.poll() is None, "the refused build disturbed the running one"
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    with build_lock(out / "private"):  # kill -9 freed it
        pass
