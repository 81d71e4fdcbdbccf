"""A BI-like reader in its own process: polls ``funnel.duckdb`` read-only and records what it saw.

Run as ``python -m tests.publish.duckdb_reader PUBLISHED STOP_FILE RESULT_FILE``. Every poll opens
the file afresh (as a dashboard refresh does), reads ``meta.build_info`` and checks every mart
against it: the build tag planted in every row must be the build's, and the row count must be
the one the build recorded. It stops when STOP_FILE appears and writes a JSON summary.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb


def poll_once(path: str) -> tuple[str, list[str]]:
    """The build id seen and every inconsistency found in one read of the published file."""
    problems = []
    con = duckdb.connect(path, read_only=True)
    try:
        build_id, tables = con.execute("select build_id, tables from meta.build_info").fetchone()
        tables = json.loads(tables)
        tag = build_id.rsplit("-", 1)[1]
        present = {f"marts.{t}" for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
        if present != set(tables):
            problems.append(f"{build_id}: tables {sorted(present)} but build_info lists {sorted(tables)}")
        for table, expected_rows in tables.items():
            rows, tags = con.execute(f"select count(*), list(distinct build_tag) from {table}").fetchone()
            if rows != expected_rows or (rows and tags != [tag]):
                problems.append(f"{build_id}: {table} has {rows} rows tagged {tags}, expected {expected_rows} of {tag}")
    finally:
        con.close()
    return build_id, problems


def main(published: str, stop_file: str, result_file: str) -> None:
    polls, errors, problems, builds = 0, [], [], {}
    started = time.monotonic()
    while not Path(stop_file).exists() and time.monotonic() - started < 120:
        try:
            build_id, found = poll_once(published)
            builds[build_id] = builds.get(build_id, 0) + 1
            problems.extend(found)
        except Exception as exc:  # an error is exactly what this reader is here to catch
            errors.append(f"{type(exc).__name__}: {exc}")
        polls += 1
        if polls == 1:
            Path(result_file + ".ready").touch()
    Path(result_file).write_text(json.dumps({"polls": polls, "errors": errors[:20], "error_count": len(errors),
                                             "problems": problems[:20], "builds": builds}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
