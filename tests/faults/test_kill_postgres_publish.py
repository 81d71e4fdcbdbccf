"""kill -9 while the marts are copied into Postgres: readers of schema ``marts`` always see one whole build.

The publish loads every mart into staging schemas in one transaction and swaps them in with one
rename (orchestration/publish/postgres.py, pg_swap.py). When the publisher is killed, the kernel
closes its socket; Postgres rolls the open transaction back and ends the backend, so a reader
keeps seeing the previous build, complete, and the next publish finds nothing half-made to trip
over. Checked here against a real PostgreSQL 15 with a reader querying throughout.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from psycopg import sql

from orchestration.publish.duckdb_file import publish_marts
from orchestration.publish.postgres import publish_postgres
from tests.faults.helpers import kill9, start, wait_for_line

PUBLISH = """
import os, sys, time
from pathlib import Path
from orchestration.publish.postgres import publish_postgres
print("publishing", flush=True)
started = time.monotonic()
result = publish_postgres(Path(sys.argv[1]), os.environ["KILL_TEST_PG_URL"])
print(f"done {time.monotonic() - started:.3f} {result.rows}", flush=True)
"""
APP = "funnel-warehouse publish"  # the publisher's application_name in pg_stat_activity
LOAD_STATEMENTS = ("create schema", "create table", "copy", "analyze", "comment on", "insert into", "grant",
                   "select distinct grantee")


@dataclass(frozen=True)
class Build:
    build_id: str
    tag: str
    counts: dict[str, int]
    path: Path


def make_build(root: Path, tag: str, counts: dict[str, int]) -> Build:
    """A published ``funnel.duckdb`` whose every row carries ``tag`` (so a mix of builds would show)."""
    root.mkdir()
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    con.execute("create schema marts")
    for name, rows in counts.items():
        con.execute(f"create table marts.{name} as select range as id, '{tag}' as build_tag, "
                    f"left(md5(range::varchar), 12) as label, range * 1.5 as amount, "
                    f"date '2026-01-01' + (range % 365)::integer as event_date from range({rows})")
    con.close()
    build_id = f"20260301T02000{len(tag)}Z-{tag}"
    path = publish_marts(root / "warehouse.duckdb", root / "out", build_id).path
    return Build(build_id, tag, counts, path)


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> tuple[Build, Build]:
    root = tmp_path_factory.mktemp("kill_pg_publish")
    return (make_build(root / "a", "a", {"fct_events": 200_000, "fct_opportunities": 60_000,
                                         "mart_funnel_cohort": 2_000}),
            make_build(root / "bb", "bb", {"fct_events": 203_011, "fct_opportunities": 58_377,
                                           "mart_funnel_cohort": 2_134}))


def read_marts(pg) -> tuple[str, dict, dict, set]:
    """(build id, row counts build_info promises, row counts found, build tags found) in one snapshot."""
    with pg.transaction():
        pg.execute("set transaction isolation level repeatable read")
        build_id, promised = pg.execute("select build_id, tables from marts_meta.build_info").fetchone()
        listed = {r[0] for r in pg.execute("select tablename from pg_tables where schemaname = 'marts'")}
        found, tags = {name: None for name in listed}, set()
        for name in promised:  # a table of another build, or half of one, shows in its count and first row
            n, tag = pg.execute(sql.SQL("select count(*), (select build_tag from {0} limit 1) from {0}").format(
                sql.Identifier("marts", name))).fetchone()
            found[name] = n
            tags.add(tag)
    return build_id, promised, found, tags


class Reader(threading.Thread):
    """Reads the marts over and over, as a BI tool would, recording (time, build id, whole?)."""

    def __init__(self, db, builds: tuple[Build, Build]):
        super().__init__(daemon=True)
        self.db, self.builds = db, {b.build_id: b for b in builds}
        self.stop, self.seen, self.errors = threading.Event(), [], []

    def whole(self, build_id, promised, found, tags) -> bool:
        build = self.builds.get(build_id)
        return build is not None and promised == build.counts == found and tags == {build.tag}

    def run(self):
        with self.db.connect() as pg:
            while not self.stop.is_set():
                try:
                    state = read_marts(pg)
                    self.seen.append((time.monotonic(), state[0], self.whole(*state), state))
                except Exception as exc:  # noqa: BLE001 - every failure to read is a finding
                    self.errors.append(repr(exc))
                time.sleep(0.02)  # leave the two cores to the publisher

    def between(self, t0: float, t1: float) -> list:
        return [s for s in self.seen if t0 <= s[0] <= t1]


def publisher_backends(pg) -> list[tuple]:
    return pg.execute("select pid, state, xact_start is not null, left(query, 40) from pg_stat_activity "
                      "where datname = current_database() and application_name = %s", [APP]).fetchall()


def leftover_schemas(pg) -> list[str]:
    return [r[0] for r in pg.execute("select nspname from pg_namespace where nspname like 'marts%' "
                                     "and nspname not in ('marts', 'marts_meta') order by 1")]


def wait_until_backends_gone(pg, pids: list[int], timeout_s: float = 5.0) -> float:
    """Seconds until no publisher backend and no lock of the killed one is left (fails after ``timeout_s``)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        backends = publisher_backends(pg)
        locks = pg.execute("select count(*) from pg_locks where pid = any(%s)", [pids]).fetchone()[0]
        if not backends and not locks:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"the killed publisher's backend is still there after {timeout_s} s: "
                         f"{publisher_backends(pg)}, locks of {pids}")


def run_publish(build: Build) -> tuple[float, int]:
    """Publish ``build`` in a subprocess, uninterrupted: (seconds the publish took, exit code)."""
    proc = start(PUBLISH, str(build.path))
    out, _ = proc.communicate(timeout=60)
    done = [line for line in out.splitlines() if line.startswith("done ")]
    assert proc.returncode == 0 and done, out
    return float(done[0].split()[1]), proc.returncode


def test_a_publish_killed_during_the_copy_leaves_the_old_build_whole_and_the_rerun_recovers(
        builds, pg_database, tmp_path, monkeypatch):
    """Three kills at a seeded random moment of the copy (56 %, 44 %, 57 % of an uninterrupted publish).

    Checked: a reader querying throughout, and after each kill, sees one whole build — the old one
    when the kill came before the switch; the killed backend and its locks are gone within seconds;
    no staging schema is left; the re-run exits 0, shows the new build whole and leaves no schema or
    temporary file of the dead publish.
    """
    a, b = builds
    tmp = tmp_path / "publisher_tmp"  # the publishers' temp folder, to look for what a dead one left
    tmp.mkdir()
    monkeypatch.setenv("KILL_TEST_PG_URL", pg_database.url)
    monkeypatch.setenv("TMPDIR", str(tmp))
    started = time.monotonic()
    publish_postgres(a.path, pg_database.url)  # the first build; and how long an uninterrupted publish takes
    seconds = time.monotonic() - started
    reader = Reader(pg_database, builds)
    reader.start()
    rng = random.Random(10)
    trials, old = [], a
    try:
        with pg_database.connect() as pg:
            for trial in range(1, 4):
                new = b if old is a else a
                t0 = time.monotonic()
                proc = start(PUBLISH, str(new.path))
                wait_for_line(proc, "publishing")
                delay = rng.uniform(0.05, 0.95) * seconds
                time.sleep(delay)
                backends = publisher_backends(pg)
                alive = proc.poll() is None
                kill9(proc)
                gone_after = wait_until_backends_gone(pg, [row[0] for row in backends])
                state = read_marts(pg)
                left_schemas, left_files = leftover_schemas(pg), sorted(p.name for p in tmp.iterdir())
                t1 = time.monotonic()
                seen = {build_id for _, build_id, _, _ in reader.between(t0, t1)}

                # (1) one whole build, the old one (or the new one if the kill came after its switch)
                assert reader.whole(*state), f"trial {trial}: after the kill the marts hold {state}"
                assert seen <= {old.build_id, new.build_id} and seen, (trial, seen)
                in_load = bool(backends) and backends[0][2] and backends[0][3].lower().startswith(LOAD_STATEMENTS)
                if in_load:
                    assert state[0] == old.build_id and seen == {old.build_id}, (trial, state[0], seen)
                # (2) a killed load leaves no staging schema: its transaction was rolled back
                assert set(left_schemas) <= {f"{s}__{k}_{new.build_id}" for s in ("marts", "marts_meta")
                                             for k in ("new", "old")}, left_schemas

                # (3) the re-run exits 0 and readers then see the new build, whole
                rerun_seconds, code = run_publish(new)
                state = read_marts(pg)
                assert state[0] == new.build_id and reader.whole(*state), state
                assert leftover_schemas(pg) == [], "the re-run did not clean up what the killed publish left"
                assert list(tmp.iterdir()) == [], f"the killed publish's temporary files were never removed: {left_files}"
                trials.append({"trial": trial, "delay_s": round(delay, 3), "of_publish": f"{delay / seconds:.0%}",
                               "alive_at_kill": alive, "backend_at_kill": backends[0][1:] if backends else None,
                               "in_load": in_load, "backend_gone_s": round(gone_after, 2),
                               "reads_during": len(reader.between(t0, t1)), "builds_read": sorted(seen),
                               "schemas_left": left_schemas, "temp_files_left": left_files,
                               "rerun_exit": code, "rerun_s": rerun_seconds})
                old = new
    finally:
        reader.stop.set()
        reader.join(10)
    print(f"\nuninterrupted publish {seconds:.2f} s; reader reads {len(reader.seen)}")
    for row in trials:
        print(row)
    assert reader.errors == []
    assert reader.seen and all(whole for _, _, whole, _ in reader.seen), \
        [s for s in reader.seen if not s[2]][:3]
    assert sum(t["in_load"] for t in trials) >= 2, f"fewer than 2 of 3 kills landed during the copy: {trials}"


SWITCH_THEN_HANG = """
import os, sys, time
from pathlib import Path
from orchestration.publish import pg_swap
from orchestration.publish.postgres import publish_postgres
switch = pg_swap.swap_schemas
def switch_then_hang(*args, **kwargs):
    olds = switch(*args, **kwargs)
    print("switched", flush=True)
    time.sleep(60)
pg_swap.swap_schemas = switch_then_hang
publish_postgres(Path(sys.argv[1]), os.environ["KILL_TEST_PG_URL"])
"""


def test_a_publish_killed_after_its_switch_is_rerun_even_when_a_view_keeps_the_previous_build(
        pg_database, tmp_path, monkeypatch):
    """Killed between the switch and the drop of the previous build, which a user's view keeps.

    The previous build's schema is named after the build being published (``marts__old_<build>``),
    so the re-run of that build used to fail on the rename, every time, until the view was dropped.
    """
    old, new = (make_build(tmp_path / tag, tag, {"fct_events": rows, "dim_tag": 1})
                for tag, rows in (("old", 1_000), ("new", 1_500)))
    monkeypatch.setenv("KILL_TEST_PG_URL", pg_database.url)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    run_publish(old)
    with pg_database.connect() as pg:
        pg.execute("create schema analyst")
        pg.execute("create view analyst.events as select * from marts.fct_events")
    proc = start(SWITCH_THEN_HANG, str(new.path))
    wait_for_line(proc, "switched")
    kill9(proc)
    whole = Reader(pg_database, (old, new)).whole
    with pg_database.connect() as pg:
        wait_until_backends_gone(pg, [])
        state = read_marts(pg)
        assert state[0] == new.build_id and whole(*state)  # the switch had committed: the new build, whole
        assert leftover_schemas(pg) == [f"marts__old_{new.build_id}", f"marts_meta__old_{new.build_id}"]
        _, code = run_publish(new)  # the re-run of the same build
        state = read_marts(pg)
        assert code == 0 and state[0] == new.build_id and whole(*state)
        assert pg.execute("select count(*), min(build_tag) from analyst.events").fetchone() == (1_000, "old")
        assert leftover_schemas(pg) == [f"marts__old_{new.build_id}"]  # only what the view holds is kept
    assert list(tmp_path.glob("funnel-pg-copy-*")) == []
