"""Copy every mart of the published build into a Postgres schema; readers see one whole build.

For teams whose BI tool speaks Postgres only. Enabled when ``FUNNEL_POSTGRES_URL`` is set; the URL
(and so the password) comes from the environment and never appears in a log line or an error:
every message is passed through :func:`redact` and the original exception is not chained.

**Load aside, then swap schemas in one transaction** (details and the reasoning in ``pg_swap``):

1. Load, one transaction, into staging schemas no reader queries: ``<schema>__new_<build>`` gets
   every mart — ``CREATE TABLE`` with types mapped from DuckDB, ``COPY … FROM STDIN (FORMAT csv)``
   streamed from a CSV file DuckDB writes (bulk speed, no row-by-row Python), row counts checked
   against the published file, comments from the dbt docs, grants, ``ANALYZE`` — and
   ``<schema>_meta__new_<build>.build_info`` records the build. A failure leaves nothing behind;
   nor does a kill -9 (Postgres rolls the load back; the next publish removes the CSV folder).
2. Wait until no reader holds a snapshot older than that load, then switch in one short
   transaction: lock the live tables, rename live → ``__old_<build>`` and staging → live, commit.
3. Drop the old schemas (``RESTRICT``: a user's view on the marts is never dropped; the old
   schema is then kept and the result says so).

Why not ``TRUNCATE`` + ``INSERT`` in one transaction: ``TRUNCATE`` holds ``ACCESS EXCLUSIVE`` on
every mart for the whole load (BI queries stall for minutes) and is not MVCC-safe (a
repeatable-read reader that started before it sees empty tables afterwards); ``DELETE`` +
``INSERT`` is MVCC-safe but bloats every table and cannot follow a mart whose columns changed.
One publisher at a time per schema (the Dagster asset runs in a pool).
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from orchestration.publish import pg_swap
from orchestration.publish.catalog import MARTS_SCHEMA, Mart, PublishedBuild, open_published, read_build
from orchestration.publish.descriptions import MartDoc, mart_docs
from orchestration.publish.pg_types import csv_expression, postgres_type
from orchestration.publish.redact import redact
from orchestration.sql import quote_ident, quote_literal

log = logging.getLogger(__name__)
DEFAULT_SCHEMA = "marts"
_COPY_CHUNK = 1 << 20
_COPY_FOLDER = "funnel-pg-copy-"


class PostgresPublishError(RuntimeError):
    """Publishing to Postgres failed. The message is safe to log: it never holds the URL or password.

    ``retryable`` is true for connection and lock problems (worth another try in a minute) and
    false for data, permission and authentication problems (a retry would fail the same way).
    """

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


@dataclass
class PostgresPublish:
    schema: str
    build_id: str
    tables: dict[str, int]
    seconds: float = 0.0
    swap_seconds: float = 0.0
    comments: int = 0
    kept_old_schema: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def publish_postgres(published: Path, url: str, *, schema: str = DEFAULT_SCHEMA, manifest: Path | None = None,
                     grant_select_to: tuple[str, ...] = (), switch_timeout_s: float = 60.0,
                     snapshot_wait_s: float = 60.0) -> PostgresPublish:
    """Publish every mart of ``published`` into ``schema`` of the database at ``url`` (see module doc)."""
    if not url:
        raise PostgresPublishError("no Postgres URL: set FUNNEL_POSTGRES_URL", retryable=False)
    try:
        return _publish(published, url, schema, manifest, grant_select_to, switch_timeout_s, snapshot_wait_s)
    except psycopg.Error as exc:
        message = redact(f"Postgres publish to schema {schema!r} failed: {type(exc).__name__}: {exc}".strip(), url)
        retryable = isinstance(exc, psycopg.OperationalError) and "authentication failed" not in str(exc)
        raise PostgresPublishError(message, retryable=retryable) from None


def _publish(published: Path, url: str, schema: str, manifest: Path | None, grant_select_to: tuple[str, ...],
             switch_timeout_s: float, snapshot_wait_s: float) -> PostgresPublish:
    started = time.monotonic()
    docs = mart_docs(manifest)
    meta = f"{schema}_meta"
    with open_published(published) as duck, _copy_folder() as tmp:
        duck.execute("set TimeZone = 'UTC'")
        build = read_build(duck)
        result = PostgresPublish(schema, build.build_id, {m.name: m.rows for m in build.marts})
        pairs = [(name, _name(name, "new", build.build_id), _name(name, "old", build.build_id)) for name in (schema, meta)]
        with psycopg.connect(url, autocommit=True, connect_timeout=10,
                             application_name="funnel-warehouse publish") as pg:
            pg_swap.drop_leftovers(pg, [schema, meta])
            with pg.transaction():
                staging, staging_meta = pairs[0][1], pairs[1][1]
                pg.execute(pg_swap.sql_names("create schema {}", staging))
                for mart in build.marts:
                    result.comments += _load_mart(pg, duck, staging, mart, docs.get(mart.name), tmp)
                _record_build(pg, staging_meta, build)
                _grant(pg, [staging, staging_meta], schema, grant_select_to)
                load_xid = pg.execute("select pg_current_xact_id()::xid::text").fetchone()[0]
            waiting = pg_swap.wait_for_older_snapshots(pg, load_xid, snapshot_wait_s)
            if waiting:
                result.notes.append(f"switched with {waiting} reader transaction(s) older than the load still open; "
                                    f"if they read the marts now they see them empty until they end")
            swap_started = time.monotonic()
            olds = pg_swap.swap_schemas(pg, pairs, switch_timeout_s=switch_timeout_s)
            result.swap_seconds = time.monotonic() - swap_started
            for old in olds:
                reason = pg_swap.drop_schema_safely(pg, old, lock_timeout_s=10.0)
                if reason:
                    result.kept_old_schema = result.kept_old_schema or old
                    result.notes.append(f"kept the previous build as schema {old}: {reason}")
    result.seconds = time.monotonic() - started
    for note in result.notes:
        log.warning(note)
    log.info("published %d marts (%d rows) to Postgres schema %s in %.1f s (switch %.3f s)",
             len(result.tables), result.rows, schema, result.seconds, result.swap_seconds)
    return result


@contextmanager
def _copy_folder() -> Iterator[Path]:
    """A temp folder for the CSV files, removed at the end — or by the next publish if this one is killed.

    A publisher killed mid-copy (kill -9, the OOM killer, a reboot) runs no cleanup and used to
    leave its CSV in the temp folder, up to a whole mart per kill, until the disk filled. Each
    folder now holds ``owner.lock``, ``flock``-ed by its publisher for its lifetime; the kernel
    drops that lock however the process ends, so a folder whose lock can be taken belongs to a dead
    publisher and is removed. Publishers of other schemas running meanwhile hold theirs: left alone.
    """
    root = Path(tempfile.gettempdir())
    _remove_dead_copy_folders(root)
    folder = Path(tempfile.mkdtemp(prefix=_COPY_FOLDER, dir=root))
    try:
        with open(folder / "owner.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            lock.write(str(os.getpid()))  # written only under the lock: an empty file is not yet owned
            lock.flush()
            yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _remove_dead_copy_folders(root: Path) -> None:
    for folder in root.glob(f"{_COPY_FOLDER}*"):
        try:
            with open(folder / "owner.lock", "r+") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its publisher is running
                if not lock.read() and _age_s(folder) < 3600:
                    continue  # just created; its publisher is about to lock it
                log.info("removing %s, left by a publish that was killed mid-copy", folder)
                shutil.rmtree(folder, ignore_errors=True)
        except FileNotFoundError:  # killed between creating the folder and its lock file
            if _age_s(folder) > 3600:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _age_s(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def _name(schema: str, kind: str, build_id: str) -> str:
    """``<schema>__new_<build>``, cut to Postgres' 63-byte identifier limit."""
    return f"{schema}__{kind}_{build_id}".encode()[:63].decode(errors="ignore")


def _load_mart(pg, duck: duckdb.DuckDBPyConnection, staging: str, mart: Mart, doc: MartDoc | None,
               tmp: Path) -> int:
    columns = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(postgres_type(c.type)))
                                 for c in mart.columns)
    table = sql.Identifier(staging, mart.name)
    pg.execute(sql.SQL("create table {} ({})").format(table, columns))
    csv = tmp / "mart.csv"
    select = ", ".join(csv_expression(c) for c in mart.columns)
    duck.execute(f"copy (select {select} from {MARTS_SCHEMA}.{quote_ident(mart.name)}) "
                 f"to {quote_literal(str(csv))} (format csv, header false)")
    names = sql.SQL(", ").join(sql.Identifier(c.name) for c in mart.columns)
    with pg.cursor() as cur, open(csv, "rb") as f:
        with cur.copy(sql.SQL("copy {} ({}) from stdin (format csv)").format(table, names)) as copy:
            while chunk := f.read(_COPY_CHUNK):
                copy.write(chunk)
        loaded = cur.rowcount
    csv.unlink()
    if loaded != mart.rows:
        raise PostgresPublishError(f"{mart.name}: Postgres loaded {loaded} rows, the published file has {mart.rows}",
                                   retryable=False)
    pg.execute(sql.SQL("analyze {}").format(table))
    return _comment(pg, staging, mart, doc)


def _comment(pg, staging: str, mart: Mart, doc: MartDoc | None) -> int:
    if doc is None:
        return 0
    count = 0
    if doc.description:
        pg.execute(sql.SQL("comment on table {} is {}").format(sql.Identifier(staging, mart.name),
                                                               sql.Literal(doc.description)))
        count += 1
    for column in mart.columns:
        if text := doc.columns.get(column.name):
            pg.execute(sql.SQL("comment on column {} is {}").format(
                sql.Identifier(staging, mart.name, column.name), sql.Literal(text)))
            count += 1
    return count


def _record_build(pg, staging_meta: str, build: PublishedBuild) -> None:
    """The build record travels with the marts: it is swapped in by the same rename, never updated in place."""
    table = sql.Identifier(staging_meta, "build_info")
    pg.execute(pg_swap.sql_names("create schema {}", staging_meta))
    pg.execute(sql.SQL("create table {} (build_id text not null, published_at timestamp, "
                       "loaded_at timestamptz not null default now(), tables jsonb)").format(table))
    pg.execute(sql.SQL("insert into {} (build_id, published_at, tables) values (%s, %s, %s)").format(table),
               [build.build_id, build.published_at, Jsonb({m.name: m.rows for m in build.marts})])
    pg.execute(sql.SQL("comment on table {} is {}").format(
        table, sql.Literal("The funnel-warehouse build the marts schema holds (one row).")))


def _grant(pg, schemas: list[str], live: str, roles: tuple[str, ...]) -> None:
    """SELECT for the configured roles and for every role that could read the live schema."""
    inherited = [r[0] for r in pg.execute(
        "select distinct grantee from information_schema.role_table_grants "
        "where table_schema = %s and privilege_type = 'SELECT' and grantee <> current_user", [live]).fetchall()]
    for role in dict.fromkeys([*roles, *inherited]):
        grantee = sql.SQL("public") if role.upper() == "PUBLIC" else sql.Identifier(role)
        for schema in schemas:
            pg.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(schema), grantee))
            pg.execute(sql.SQL("grant select on all tables in schema {} to {}").format(sql.Identifier(schema), grantee))
