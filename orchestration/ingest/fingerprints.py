"""Knowing a landing file's SHA-256 without reading it again, when the file has not been touched.

The ingest recognises a delivery by the SHA-256 of its bytes: the load manifest is keyed on it, so
re-delivered bytes load once and changed bytes load again. Landing folders keep every export ever
delivered, and hashing all of them each night read the whole folder: at 10M leads that is 21 GB
and most of the ingest's 25-33 s on a night that brings nothing new (docs/benchmarks.md).

So, as git's index does, the hash is recorded with the file's stat fingerprint (device, inode,
size, mtime and ctime, in nanoseconds), and a file whose fingerprint is unchanged is taken to hold
the same bytes. ctime cannot be set by a program: any write, a copy that keeps the old mtime
(``cp -p``, ``rsync -t``) or a file renamed into place gets a new ctime or a new inode, and is
hashed again. Two guards keep a fingerprint honest:

- it is recorded only if the file's stat did not change while it was hashed (a sync job still
  writing it);
- it is not recorded while the file's mtime or ctime is within ``RACY_SECONDS`` of the moment of
  hashing: a file written again in that same clock tick, on a file system with coarse timestamps,
  could keep its size and mtime. Such a file is simply hashed again the next night.

``FUNNEL_INGEST_TRUST_FILE_STAT=0`` hashes every file every night (a file system whose inodes or
ctimes are not stable, e.g. some network mounts).

The fingerprints live in ``build_state`` (``STATE_SCHEMA``), the warehouse's schema for what the
orchestration remembers between builds, not in ``raw``: they describe this machine's files, not
the data.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb

from orchestration.warehouse import STATE_SCHEMA

FINGERPRINT_TABLE = f"{STATE_SCHEMA}.landing_file_hashes"
ENV_VAR = "FUNNEL_INGEST_TRUST_FILE_STAT"
RACY_SECONDS = 2


def trust_file_stat() -> bool:
    """On unless ``FUNNEL_INGEST_TRUST_FILE_STAT`` is 0/false/no/off."""
    return os.environ.get(ENV_VAR, "1").strip().lower() not in ("0", "false", "no", "off")


def _fingerprint(stat: os.stat_result) -> tuple[int, int, int, int, int]:
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns


def ensure_fingerprint_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {STATE_SCHEMA}")
    con.execute(
        f"""
        create table if not exists {FINGERPRINT_TABLE} (
            source_file varchar primary key,
            file_sha256 varchar not null,
            device ubigint not null,
            inode ubigint not null,
            file_bytes bigint not null,
            mtime_ns bigint not null,
            ctime_ns bigint not null,
            hashed_at timestamp not null
        )"""
    )


def recorded_sha256(con: duckdb.DuckDBPyConnection, relpath: str, stat: os.stat_result) -> str | None:
    """The SHA-256 recorded for ``relpath`` if its stat fingerprint is still ``stat``'s, else None."""
    if not trust_file_stat():
        return None
    row = con.execute(
        f"select file_sha256 from {FINGERPRINT_TABLE} where source_file = ? and device = ? and inode = ? "
        "and file_bytes = ? and mtime_ns = ? and ctime_ns = ?",
        [relpath, *_fingerprint(stat)],
    ).fetchone()
    return row[0] if row else None


def record_sha256(con: duckdb.DuckDBPyConnection, relpath: str, path: Path, stat_before: os.stat_result,
                  sha256: str) -> bool:
    """Remember ``sha256`` for ``relpath`` with its fingerprint; False when that is not safe (see module)."""
    stat_after = path.stat()
    if _fingerprint(stat_after) != _fingerprint(stat_before):
        return False
    newest_change = max(stat_after.st_mtime_ns, stat_after.st_ctime_ns)
    if newest_change > time.time_ns() - RACY_SECONDS * 1_000_000_000:
        return False
    con.execute(f"delete from {FINGERPRINT_TABLE} where source_file = ?", [relpath])
    con.execute(
        f"insert into {FINGERPRINT_TABLE} values (?, ?, ?, ?, ?, ?, ?, current_timestamp)",
        [relpath, sha256, *_fingerprint(stat_after)],
    )
    return True
