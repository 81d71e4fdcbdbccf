"""A throw-away PostgreSQL 15 cluster for the tests: initdb into a temp dir, a free loopback port.

Postgres refuses to run as root, so when the tests run as root (CI, these machines) initdb and
the server run as the ``postgres`` user the Debian package creates (``runuser -u postgres``), in a
temp dir handed to that user. Password authentication (scram) over TCP, so the tests exercise a
real password — one with characters that need escaping in a URL, which the leak test looks for.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("FUNNEL_PG_BIN", "/usr/lib/postgresql/15/bin"))
USER = "funnel_publisher"
PASSWORD = "Pa55:w/rd@%-xyzzy"


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str
    password: str
    dbname: str = "postgres"

    @property
    def url(self) -> str:
        return (f"postgresql://{self.user}:{urllib.parse.quote(self.password, safe='')}@{self.host}:{self.port}/"
                f"{self.dbname}")

    def connect(self, **kwargs):
        import psycopg

        return psycopg.connect(self.url, autocommit=True, **kwargs)


def available() -> bool:
    return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(root: Path) -> list[str]:
    if os.geteuid() != 0:
        return []
    import pwd

    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("running as root but there is no 'postgres' user: apt-get install -y postgresql-15") from None
    for dirpath, _, files in os.walk(root):
        os.chown(dirpath, entry.pw_uid, entry.pw_gid)
        for f in files:
            os.chown(os.path.join(dirpath, f), entry.pw_uid, entry.pw_gid)
    return ["runuser", "-u", "postgres", "--"]


@contextmanager
def running_postgres() -> Iterator[PgServer]:
    root = Path(tempfile.mkdtemp(prefix="funnel-pg-"))
    os.chmod(root, 0o700)
    data, log = root / "data", root / "server.log"
    (root / "pw").write_text(PASSWORD + "\n")
    as_user = _as_server_user(root)
    started = False
    try:
        subprocess.run([*as_user, str(PG_BIN / "initdb"), "-D", str(data), "-U", USER, "--auth=scram-sha-256",
                        f"--pwfile={root / 'pw'}", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"],
                       check=True, capture_output=True, text=True)
        (root / "pw").unlink()
        for _ in range(3):
            port = _free_port()
            opts = f"-p {port} -h 127.0.0.1 -k {root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            proc = subprocess.run([*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(log),
                                   "-w", "-t", "30", "start"], capture_output=True, text=True)
            if proc.returncode == 0:
                started = True
                break
        if not started:
            raise RuntimeError(f"postgres did not start:\n{log.read_text() if log.exists() else proc.stderr}")
        yield PgServer("127.0.0.1", port, USER, PASSWORD)
    finally:
        if started:
            subprocess.run([*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
