"""Processes to kill and file systems to fill, for the fault tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def start(script: str, *args: str) -> subprocess.Popen:
    """``python -c script args`` in its own process group (so a kill reaches its children too)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNNEL_")}
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def kill9(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def wait_for_line(proc: subprocess.Popen, text: str) -> None:
    for line in proc.stdout:
        if text in line:
            return
    raise AssertionError(f"the process ended (exit {proc.wait()}) before printing {text!r}")


def can_mount() -> bool:
    if os.geteuid() != 0:
        return False
    probe = Path("/proc/self/status").read_text()
    cap_eff = int(next(line.split()[1] for line in probe.splitlines() if line.startswith("CapEff")), 16)
    return bool(cap_eff & (1 << 21))  # CAP_SYS_ADMIN


@contextmanager
def tmpfs(path: Path, size: str):
    """A tmpfs of ``size`` mounted at ``path`` (root only): a disk that really fills up."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def remount_read_only(path: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
