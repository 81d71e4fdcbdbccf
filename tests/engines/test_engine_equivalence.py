"""The same dbt project on DuckDB, PostgreSQL and Spark gives the same marts (issue #11).

One generated night (300 leads, seed 7: ~3,000 raw rows over 10 canonical tables) is built by the
real pipeline on DuckDB (`funnel build`: ingest, quality gate, dbt, root-cause engine, alerts). Its
dbt sources are then handed over the way a bigger installation would do it
(orchestration.handoff): copied into a real PostgreSQL 15 server started for the session, and
exported to Parquet for a local Spark session (pyspark, Java 17). `dbt build` runs on each with
the same vars: seeds, the snapshot where the engine has one, models, unit tests, and data tests
on Postgres (on Spark they would add minutes of one-job-per-test; the marts are compared instead).
Every mart (schema marts: dim_*, fct_*, mart_*; not the Python engine's mart_root_cause, which is
a source there) must have the same columns and the same rows: sorted, numbers equal to a relative
1e-9, everything else exactly.

Marked `engines` (a few minutes, mostly Spark): `make test` runs it as its own pytest step after
the default suite. It never skips: without Java or the Postgres binaries it fails and says what
to install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb
import psycopg
import pytest

from orchestration.handoff import copy_to_postgres, export_parquet
from tests.engines.compare import compare_mart
from tests.publish import pg_server

pytestmark = pytest.mark.engines

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
AS_OF = "2026-07-01 00:00:00"
PII_KEY = "engines-test-key"
LEADS, SEED = 300, 7
BUILD_SECONDS: dict[str, float] = {}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUNNEL_", "DBT_ENV_SECRET_"))}
    return {**env, "FUNNEL_PII_KEY": PII_KEY, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **extra}


def _dbt_build(target: str, target_path: Path, env: dict[str, str], exclude: tuple[str, ...] = ()) -> None:
    cmd = [str(DBT), "build", "--target", target, "--vars", json.dumps({"as_of": AS_OF}),
           *(["--exclude-resource-type", *exclude] if exclude else []),
           "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
           "--target-path", str(target_path), "--log-path", str(target_path / "logs")]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=target_path.parent, env=env, capture_output=True, text=True, timeout=1800)
    BUILD_SECONDS[target] = time.monotonic() - started
    if proc.returncode != 0:
        lines = [line for line in (proc.stdout + proc.stderr).splitlines()
                 if not line.lstrip().startswith("at ") and " WARN " not in line]
        pytest.fail(f"dbt build --target {target} failed:\n" + "\n".join(lines[-60:]))


def _marts(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' "
        "and table_name <> 'mart_root_cause' order by 1").fetchall()]


@pytest.fixture(scope="module")
def duckdb_night(tmp_path_factory):
    """One night built by the real pipeline on DuckDB: {mart: (columns, rows)} and the warehouse."""
    from orchestration.build import run_build
    from orchestration.generate import generate
    from orchestration.settings import load_settings

    root = tmp_path_factory.mktemp("engines")
    generate(root / "landing", leads=LEADS, seed=SEED)
    settings = load_settings(Path("/nonexistent/funnel.yml"), landing_dir=root / "landing", out_dir=root / "out",
                             as_of=AS_OF, pii_key=PII_KEY)
    started = time.monotonic()
    outcome = run_build(settings)
    BUILD_SECONDS["duckdb (whole pipeline)"] = time.monotonic() - started
    assert outcome.success, outcome.failures + outcome.failed_checks
    marts = {}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        for mart in _marts(con):
            cur = con.execute(f'select * from marts."{mart}"')
            marts[mart] = ([d[0] for d in cur.description], cur.fetchall())
    return root, settings.warehouse, marts


@pytest.fixture(scope="module")
def postgres_marts(duckdb_night, postgres_server):
    root, warehouse, _ = duckdb_night
    name = f"engines_{uuid.uuid4().hex[:8]}"
    with postgres_server.connect() as admin:
        admin.execute(f'create database "{name}"')
    db = pg_server.PgServer(postgres_server.host, postgres_server.port, postgres_server.user,
                            postgres_server.password, name)
    try:
        copy_to_postgres(warehouse, db.url)
        (root / "postgres").mkdir()
        _dbt_build("postgres", root / "postgres" / "target", _env(
            FUNNEL_PG_HOST=db.host, FUNNEL_PG_PORT=str(db.port), FUNNEL_PG_USER=db.user, FUNNEL_PG_DATABASE=name,
            DBT_ENV_SECRET_FUNNEL_PG_PASSWORD=db.password, FUNNEL_PG_SSLMODE="disable"))
        marts = {}
        with psycopg.connect(db.url) as pg:
            pg.execute("set timezone = 'UTC'")
            names = [r[0] for r in pg.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "and table_name <> 'mart_root_cause'").fetchall()]
            for mart in names:
                cur = pg.execute(f'select * from marts."{mart}"')
                marts[mart] = ([d.name for d in cur.description], cur.fetchall())
        return marts
    finally:
        with postgres_server.connect() as admin:
            admin.execute(f'drop database "{name}" with (force)')


def _require_java() -> None:
    java = Path(os.environ["JAVA_HOME"]) / "bin" / "java" if os.environ.get("JAVA_HOME") else shutil.which("java")
    if not java or subprocess.run([str(java), "-version"], capture_output=True).returncode != 0:
        pytest.fail("the Spark build needs Java 17 (pyspark starts a JVM): apt-get install -y openjdk-17-jre-headless "
                    "(.ci/system-packages installs it), or set JAVA_HOME")


@pytest.fixture(scope="module")
def spark_marts(duckdb_night):
    """dbt on a local Spark session; the marts are read back from the Parquet files Spark wrote."""
    _require_java()
    root, warehouse, _ = duckdb_night
    spark = root / "spark"
    export_parquet(warehouse, spark / "sources")
    # Data tests are left out on Spark (~370 of its ~470 nodes, each a Spark job: minutes): they
    # run on DuckDB and Postgres above, and the marts they guard are compared row by row below.
    _dbt_build("spark", spark / "target", _env(
        FUNNEL_SPARK_SOURCES_PATH=str(spark / "sources"), FUNNEL_SPARK_WAREHOUSE_DIR=str(spark / "warehouse"),
        SPARK_LOCAL_IP="127.0.0.1"), exclude=("test",))
    marts = {}
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        for folder in sorted((spark / "warehouse" / "marts.db").iterdir()):
            if folder.name == "mart_root_cause" or not folder.is_dir():
                continue
            cur = con.execute("select * from read_parquet(?)", [str(folder / "*.parquet")])
            marts[folder.name] = ([d[0] for d in cur.description], cur.fetchall())
    return marts


def test_every_mart_is_the_same_on_duckdb_postgres_and_spark(duckdb_night, postgres_marts, spark_marts):
    _, _, duck = duckdb_night
    assert len(duck) >= 20 and sum(len(rows) for _, rows in duck.values()) > 1000
    assert {m for m in duck if not duck[m][1]} <= {"mart_stalled_opportunities", "mart_alerts"}, "empty marts check nothing"
    problems = []
    for engine, marts in (("postgres", postgres_marts), ("spark", spark_marts)):
        if sorted(marts) != sorted(duck):
            problems.append(f"{engine}: marts {sorted(set(marts) ^ set(duck))} are not on both engines")
        for mart in sorted(set(duck) & set(marts)):
            problems += [str(d) for d in compare_mart(mart, *duck[mart], *marts[mart], names=("duckdb", engine))]
    print("\nbuild seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in BUILD_SECONDS.items()))
    assert not problems, "\n".join(problems)
