"""A second build of the same warehouse is refused while the first runs, and a dead build frees the lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from orchestration.lock import BuildAlreadyRunning, build_lock

HOLDER = """
import sys, time
from pathlib import Path
from orchestration.lock import build_lock
with build_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(60)
"""


def _start_holder(private_dir):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(private_dir)], stdout=subprocess.PIPE, text=True,
                            cwd=os.getcwd())
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_build_is_refused_with_the_holders_pid(tmp_path):
    proc = _start_holder(tmp_path)
    try:
        with pytest.raises(BuildAlreadyRunning, match=f"pid {proc.pid}"):
            with build_lock(tmp_path):
                pass
    finally:
        proc.kill()
        proc.wait()


def test_kill_9_releases_the_lock(tmp_path):
    proc = _start_holder(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with build_lock(tmp_path):
        assert (tmp_path / "build.lock").read_text() == str(os.getpid())
