"""Checks that hold after any ingest, whatever was delivered or killed: nothing lost, nothing doubled.

Shared by the bad-input corpus and the fault tests. Every figure is counted in the warehouse
itself (raw tables, quarantine) and compared with what the load manifest claims.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb

from orchestration.canonical import RAW_SCHEMA, TABLES
from orchestration.sql import quote_ident


def manifest_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every way the manifest disagrees with the tables (an empty list when all is well).

    - each load: rows read = loaded + quarantined + summary;
    - a load with status ``loaded`` has exactly ``rows_loaded`` rows in its raw table and
      ``rows_quarantined`` rows in the quarantine; a ``replaced`` load has none left;
    - no raw row or quarantined row belongs to a load the manifest does not list as loaded;
    - at most one ``loaded`` load per (file, table): a file is never loaded twice.
    """
    problems: list[str] = []
    rows = con.execute(
        "select load_id, source_file, target_table, status, rows_read, rows_loaded, rows_quarantined, rows_summary "
        "from raw._load_manifest").fetchall()
    loaded_ids = set()
    per_file_table: dict[tuple[str, str], int] = {}
    for load_id, source, target, status, read, loaded, quarantined, summary in rows:
        if status == "loaded" and target is not None:
            loaded_ids.add(load_id)
            per_file_table[(source, target)] = per_file_table.get((source, target), 0) + 1
            if read != loaded + quarantined + summary:
                problems.append(f"{source} → {target}: read {read} != loaded {loaded} + quarantined {quarantined} "
                                f"+ summary {summary}")
            in_raw = con.execute(f"select count(*) from {RAW_SCHEMA}.{quote_ident(target)} where _load_id = ?",
                                 [load_id]).fetchone()[0]
            in_q = con.execute("select count(*) from raw._quarantine where _load_id = ?", [load_id]).fetchone()[0]
            if in_raw != loaded:
                problems.append(f"{source} → {target}: manifest says {loaded} loaded, raw table holds {in_raw}")
            if in_q != quarantined:
                problems.append(f"{source} → {target}: manifest says {quarantined} quarantined, quarantine holds {in_q}")
        elif status == "replaced" and target is not None:
            left = con.execute(f"select count(*) from {RAW_SCHEMA}.{quote_ident(target)} where _load_id = ?",
                               [load_id]).fetchone()[0]
            if left:
                problems.append(f"{source} → {target}: replaced load {load_id} still has {left} rows")
    for key, n in per_file_table.items():
        if n > 1:
            problems.append(f"{key[0]} → {key[1]}: loaded {n} times")
    for name in TABLES:
        orphans = con.execute(
            f"select count(*) from {RAW_SCHEMA}.{quote_ident(name)} where _load_id not in "
            "(select load_id from raw._load_manifest where status = 'loaded')").fetchone()[0]
        if orphans:
            problems.append(f"raw.{name}: {orphans} rows of loads the manifest does not list as loaded")
    orphans = con.execute("select count(*) from raw._quarantine where _load_id not in "
                          "(select load_id from raw._load_manifest where status = 'loaded')").fetchone()[0]
    if orphans:
        problems.append(f"raw._quarantine: {orphans} rows of loads the manifest does not list as loaded")
    return problems


def duplicated_raw_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Raw rows present more than once for the same (file, record number, table) — a doubled load."""
    out = {}
    for name in TABLES:
        n = con.execute(
            f"select count(*) - count(distinct (_source_file, _source_row)) from {RAW_SCHEMA}.{quote_ident(name)}"
        ).fetchone()[0]
        if n:
            out[name] = n
    return out


def run_with_timeout(fn, timeout_s: float, what: str):
    """Run ``fn()`` in a thread; fail (instead of hanging the suite) if it does not return in time."""
    box: dict = {}

    def work():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    t = threading.Thread(target=work, daemon=True, name=what)
    t.start()
    t.join(timeout_s)
    if t.is_alive():
        raise TimeoutError(f"{what} did not finish within {timeout_s:.0f} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def table_checksums(path: Path, schemas: tuple[str, ...] | None = None,
                    round_doubles: int | None = None) -> dict[str, tuple[int, int]]:
    """{schema.table: (rows, order-independent hash of all values)} for a DuckDB file, read-only.

    ``round_doubles``: compare DOUBLE/FLOAT columns rounded to that many decimals — two builds of
    the same data may differ in the last bit of a float sum (parallel aggregation adds in any order).
    """
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
            "order by 1, 2").fetchall()
        out = {}
        for schema, name in tables:
            if schemas is not None and schema not in schemas:
                continue
            cols = con.execute("select column_name, data_type from information_schema.columns "
                               "where table_schema = ? and table_name = ? order by ordinal_position",
                               [schema, name]).fetchall()
            select = ", ".join(
                f"round({quote_ident(c)}, {int(round_doubles)}) as {quote_ident(c)}"
                if round_doubles is not None and ty in ("DOUBLE", "FLOAT") else quote_ident(c) for c, ty in cols)
            out[f"{schema}.{name}"] = tuple(con.execute(
                f"select count(*), coalesce(sum(hash(t)), 0) from (select {select} "
                f"from {quote_ident(schema)}.{quote_ident(name)}) t").fetchone())
        return out
    finally:
        con.close()


def raw_checksums(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """{table: (rows, hash of all values)} for schema ``raw`` (raw tables, quarantine, manifest),
    load timestamps left out: two ingests of the same files at different times compare equal."""
    out = {}
    for (name,) in con.execute("select table_name from information_schema.tables where table_schema = 'raw' "
                               "and table_type = 'BASE TABLE' order by 1").fetchall():
        cols = [c for (c,) in con.execute("select column_name from information_schema.columns where table_schema = 'raw' "
                                          "and table_name = ? order by ordinal_position", [name]).fetchall()
                if c not in ("_loaded_at", "loaded_at")]
        select = ", ".join(quote_ident(c) for c in cols)
        out[name] = tuple(con.execute(
            f"select count(*), coalesce(sum(hash(t)), 0) from (select {select} from raw.{quote_ident(name)}) t").fetchone())
    return out
