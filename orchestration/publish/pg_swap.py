"""Switching Postgres readers from one build's schemas to the next in one transaction.

Renaming schemas is a catalog change, and Postgres resolves table names against the *current*
catalog while reading rows with the statement's (or a repeatable-read transaction's) snapshot. A
rename alone is therefore not enough; three rules make the switch atomic for every reader:

1. Everything a reader can see of a build lives in the swapped schemas — the marts *and* the
   build record (``<schema>_meta.build_info``) — so no row is updated in place at switch time.
2. Before switching, wait until every snapshot taken before the new tables were committed is
   gone (as ``CREATE INDEX CONCURRENTLY`` does): a repeatable-read reader with an older snapshot
   would otherwise resolve the new tables but not see their rows.
3. The switch locks every live table ``ACCESS EXCLUSIVE`` first, so it waits for readers that
   already touched the old build to finish their transaction; readers arriving meanwhile queue
   and, after the commit, re-resolve their names to the new tables. Each attempt waits at most
   ``lock_wait_s`` (0.2 s) for the locks, then gives them back and tries again a moment later,
   within ``switch_timeout_s``. Short waits keep readers from queueing long behind the switch and
   stay below Postgres' ``deadlock_timeout`` (1 s): if a reader transaction and the switch ever
   wait on each other, the switch gives up first, so a reader is never the deadlock victim.
"""

from __future__ import annotations

import logging
import time

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)


def sql_names(template: str, *names: str):
    return sql.SQL(template).format(*(sql.Identifier(n) for n in names))


def schema_exists(pg, schema: str) -> bool:
    return pg.execute("select 1 from pg_namespace where nspname = %s", [schema]).fetchone() is not None


def older_snapshots(pg, xid: str) -> int:
    """Other client sessions of this database whose oldest snapshot may predate transaction ``xid``."""
    return pg.execute(
        "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() "
        "and backend_type = 'client backend' and backend_xmin is not null and age(backend_xmin) >= age(%s::xid)",
        [xid]).fetchone()[0]


def wait_for_older_snapshots(pg, xid: str, timeout_s: float) -> int:
    """Wait until no session holds a snapshot older than ``xid``; return how many still do at the timeout."""
    deadline = time.monotonic() + timeout_s
    while (n := older_snapshots(pg, xid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return n


def _lock_tables(pg, schemas: list[str]) -> None:
    tables = pg.execute(
        "select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v', 'm') order by 1, 2", [schemas]).fetchall()
    if tables:
        pg.execute(sql.SQL("lock table {} in access exclusive mode").format(
            sql.SQL(", ").join(sql.Identifier(s, t) for s, t in tables)))


def _free_name(pg, name: str) -> str:
    """``name``, or ``name_2``, ``name_3`` … if a kept previous build already holds it (63 bytes at most).

    The old schema is named after the build being published, so a re-run of the same build — e.g.
    after a publish killed between its switch and its drop — found the kept ``__old_<build>`` schema
    (a view still depends on it, or a reader still held it) and failed every time on the rename.
    """
    candidate, n = name, 1
    while schema_exists(pg, candidate):
        n += 1
        suffix = f"_{n}"
        candidate = name.encode()[:63 - len(suffix)].decode(errors="ignore") + suffix
    return candidate


def swap_schemas(pg, pairs: list[tuple[str, str, str]], *, lock_wait_s: float = 0.2,
                 switch_timeout_s: float = 60.0) -> list[str]:
    """Rename each ``(live, staging, old)``: live → old, staging → live, in one transaction.

    Returns the old schema names that now hold the previous build (to be dropped by the caller).
    """
    deadline = time.monotonic() + switch_timeout_s
    attempt = 0
    while True:
        attempt += 1
        try:
            with pg.transaction():
                pg.execute("select set_config('lock_timeout', %s, true)", [f"{max(1, int(lock_wait_s * 1000))}ms"])
                live = [(name, staging, _free_name(pg, old)) for name, staging, old in pairs if schema_exists(pg, name)]
                _lock_tables(pg, [p[0] for p in live])
                for name, _, old in live:
                    pg.execute(sql_names("alter schema {} rename to {}", name, old))
                for name, staging, _ in pairs:
                    pg.execute(sql_names("alter schema {} rename to {}", staging, name))
            return [old for _, _, old in live]
        except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
            if time.monotonic() >= deadline:
                raise
            time.sleep(min(0.02 * attempt, 0.5))


def drop_schema_safely(pg, schema: str, lock_timeout_s: float) -> str | None:
    """Drop a previous build's schema, tables ``RESTRICT``; return why it was kept, or None if dropped.

    ``RESTRICT`` because a view someone built on the marts now points at these old tables; dropping
    it with ``CASCADE`` would silently delete their work.
    """
    try:
        with pg.transaction():
            pg.execute("select set_config('lock_timeout', %s, true)", [f"{int(lock_timeout_s * 1000)}ms"])
            tables = [r[0] for r in pg.execute(
                "select tablename from pg_tables where schemaname = %s order by 1", [schema]).fetchall()]
            if tables:
                pg.execute(sql.SQL("drop table {} restrict").format(
                    sql.SQL(", ").join(sql.Identifier(schema, t) for t in tables)))
            pg.execute(sql_names("drop schema {} restrict", schema))
        return None
    except psycopg.errors.DependentObjectsStillExist:
        return ("objects outside it depend on it — views built on the marts keep reading these old tables; "
                "recreate them on the live schema")
    except psycopg.errors.LockNotAvailable:
        return "a reader still holds it; the next publish drops it"


def drop_leftovers(pg, prefixes: list[str]) -> None:
    """Staging schemas of a publish that died mid-load (nobody reads them); kept old builds are retried."""
    for (name,) in pg.execute("select nspname from pg_namespace order by 1").fetchall():
        if any(name.startswith(f"{p}__new_") for p in prefixes):
            pg.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(name)))
        elif any(name.startswith(f"{p}__old_") for p in prefixes):
            reason = drop_schema_safely(pg, name, 1.0)
            if reason:
                log.info("previous build schema %s still kept: %s", name, reason)
