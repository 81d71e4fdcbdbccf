"""Postgres publish against a real PostgreSQL 15: exact copy, one switch per build, secrets never shown."""

from __future__ import annotations

import logging
import threading
import time
import traceback
import urllib.parse

import psycopg
import pytest

from orchestration.publish.catalog import open_published, read_build
from orchestration.publish.duckdb_file import publish_marts
from orchestration.publish.postgres import PostgresPublishError, publish_postgres
from tests.publish.checksums import duckdb_checksum, postgres_checksum
from tests.publish.conftest import FIXTURE_BUILD
from tests.publish.fixture_marts import create_tagged_warehouse


def test_every_mart_round_trips_with_equal_counts_and_checksums(fixture_published, pg_database, dbt_manifest):
    result = publish_postgres(fixture_published, pg_database.url, manifest=dbt_manifest)
    with open_published(fixture_published) as duck, pg_database.connect() as pg:
        build = read_build(duck)
        assert sorted(r[0] for r in pg.execute(
            "select tablename from pg_tables where schemaname = 'marts'").fetchall()) == sorted(m.name for m in build.marts)
        for mart in build.marts:
            expected = duckdb_checksum(duck, f"marts.{mart.name}", list(mart.columns))
            assert postgres_checksum(pg, "marts", mart.name, list(mart.columns)) == expected, mart.name
            assert result.tables[mart.name] == mart.rows == expected[0]
        types = dict(pg.execute("select column_name, data_type from information_schema.columns "
                                "where table_schema = 'marts' and table_name = 'fct_type_zoo'").fetchall())
        assert types["amount"] == "numeric" and types["tstz"] == "timestamp with time zone"
        assert types["list_col"] == "jsonb" and types["bin"] == "bytea" and types["uid"] == "uuid"
        assert pg.execute("select build_id from marts_meta.build_info").fetchone()[0] == FIXTURE_BUILD
    assert result.build_id == FIXTURE_BUILD and result.kept_old_schema is None


def test_table_and_column_comments_come_from_the_dbt_docs(fixture_published, pg_database, dbt_manifest):
    result = publish_postgres(fixture_published, pg_database.url, manifest=dbt_manifest)
    with pg_database.connect() as pg:
        table = pg.execute("select obj_description('marts.mart_funnel_cohort'::regclass)").fetchone()[0]
        column = pg.execute("select col_description('marts.mart_funnel_cohort'::regclass, "
                            "(select attnum from pg_attribute where attrelid = 'marts.mart_funnel_cohort'::regclass "
                            "and attname = 'reached_count'))").fetchone()[0]
        weird = pg.execute("""select col_description('marts.fct_type_zoo'::regclass, (select attnum from pg_attribute
                              where attrelid = 'marts.fct_type_zoo'::regclass and attname = 'Weird "col", name'))""").fetchone()[0]
    assert table == "Grain: one row per cohort month × stage. 队列漏斗"
    assert column == "Leads that reached the stage. 到达数"
    assert weird == "A column name with quotes."
    assert result.comments == 4


def _build(tmp_path, n: int) -> tuple:
    wh = tmp_path / "warehouse.duckdb"
    create_tagged_warehouse(wh, f"b{n}", 100 + n * 37)
    return publish_marts(wh, tmp_path / "out", f"2026020{n}T000000Z-b{n}").path, f"b{n}", 100 + n * 37


def test_a_republish_replaces_the_build_and_drops_the_old_schema(tmp_path, pg_database):
    published, _, _ = _build(tmp_path, 1)
    publish_postgres(published, pg_database.url)
    published, tag, rows = _build(tmp_path, 2)
    result = publish_postgres(published, pg_database.url)
    with pg_database.connect() as pg:
        assert pg.execute("select count(*), min(build_tag), max(build_tag) from marts.fct_events").fetchone() == (rows, tag, tag)
        schemas = sorted(r[0] for r in pg.execute("select nspname from pg_namespace where nspname like 'marts%'"))
    assert schemas == ["marts", "marts_meta"]
    assert result.kept_old_schema is None and result.swap_seconds < 5


def test_a_reader_in_another_connection_sees_the_old_or_the_new_build_never_a_mix(tmp_path, pg_database):
    published, _, _ = _build(tmp_path, 0)
    publish_postgres(published, pg_database.url)
    stop, seen, errors = threading.Event(), [], []
    statement = ("select (select string_agg(distinct build_tag, ',') from marts.fct_events), "
                 "(select count(*) from marts.fct_events), (select build_id from marts_meta.build_info)")

    def reader(repeatable_read: bool):
        with pg_database.connect() as pg:
            while not stop.is_set():
                try:
                    if repeatable_read:  # several statements in one snapshot, with pauses between them
                        with pg.transaction():
                            pg.execute("set transaction isolation level repeatable read")
                            tag = pg.execute("select min(build_tag) from marts.fct_events").fetchone()[0]
                            time.sleep(0.01)
                            n = pg.execute("select count(*) from marts.fct_events").fetchone()[0]
                            time.sleep(0.01)
                            build = pg.execute("select build_id from marts_meta.build_info").fetchone()[0]
                    else:
                        tag, n, build = pg.execute(statement).fetchone()
                    seen.append((tag, n, build))
                except Exception as exc:
                    errors.append(repr(exc))

    threads = [threading.Thread(target=reader, args=(rr,)) for rr in (False, True)]
    for t in threads:
        t.start()
    try:
        for n in range(1, 6):
            published, _, _ = _build(tmp_path, n)
            publish_postgres(published, pg_database.url)
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    expected = {f"b{n}": (100 + n * 37, f"2026020{n}T000000Z-b{n}") for n in range(6)}
    for tag, n, build in seen:
        assert (n, build) == expected[tag], (tag, n, build)
    assert len({tag for tag, _, _ in seen}) >= 3


def test_views_users_built_on_the_marts_are_never_dropped(tmp_path, pg_database):
    published, _, _ = _build(tmp_path, 1)
    publish_postgres(published, pg_database.url)
    with pg_database.connect() as pg:
        pg.execute("create schema analyst")
        pg.execute("create view analyst.events as select * from marts.fct_events")
    published, _, _ = _build(tmp_path, 2)
    result = publish_postgres(published, pg_database.url)
    assert result.kept_old_schema == "marts__old_20260202T000000Z-b2"
    assert "depend on it" in result.notes[0]
    with pg_database.connect() as pg:
        assert pg.execute("select min(build_tag) from analyst.events").fetchone()[0] == "b1"  # still works
        assert pg.execute("select min(build_tag) from marts.fct_events").fetchone()[0] == "b2"


def test_a_publish_that_died_mid_load_is_cleaned_up_by_the_next(fixture_published, pg_database):
    with pg_database.connect() as pg:
        pg.execute('create schema "marts__new_20250101T000000Z-dead"')
        pg.execute('create table "marts__new_20250101T000000Z-dead".half (x int)')
    publish_postgres(fixture_published, pg_database.url)
    with pg_database.connect() as pg:
        assert pg.execute("select count(*) from pg_namespace where nspname like 'marts\\_\\_%'").fetchone()[0] == 0


def _forms(secret: str) -> list[str]:
    return [secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)]


@pytest.mark.parametrize("make_url", [
    lambda s: s.url.replace(urllib.parse.quote(s.password, safe=""), urllib.parse.quote(s.password + "x", safe="")),
    lambda s: s.url.replace(str(s.port), "1"),  # nothing listens there
    lambda s: s.url + "?sslmode=bogus",
    lambda s: f"host={s.host} port={s.port} user={s.user} password {s.password} dbname=x",  # libpq echoes this one
], ids=["wrong-password", "unreachable", "bad-option", "malformed"])
def test_the_password_never_appears_in_errors_or_logs(fixture_published, postgres_server, caplog, make_url):
    url = make_url(postgres_server)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PostgresPublishError) as info:
        publish_postgres(fixture_published, url)
    text = "\n".join([str(info.value), repr(info.value), caplog.text,
                      "".join(traceback.format_exception(info.value))])
    assert "Postgres publish" in str(info.value)
    for secret in _forms(postgres_server.password):
        assert secret not in text
    assert url not in text


def test_a_successful_publish_logs_no_secret(fixture_published, pg_database, caplog):
    caplog.set_level(logging.DEBUG)
    publish_postgres(fixture_published, pg_database.url)
    assert "published" in caplog.text
    for secret in [*_forms(pg_database.password), pg_database.url]:
        assert secret not in caplog.text


def test_connection_problems_are_retryable_and_data_problems_are_not(fixture_published, postgres_server):
    with pytest.raises(PostgresPublishError) as unreachable:
        publish_postgres(fixture_published, postgres_server.url.replace(str(postgres_server.port), "1"))
    assert unreachable.value.retryable
    with pytest.raises(PostgresPublishError) as no_url:
        publish_postgres(fixture_published, "")
    assert not no_url.value.retryable
    with psycopg.connect(postgres_server.url, autocommit=True) as pg:
        pg.execute("create role reader_without_rights login password 'x'")
    denied = postgres_server.url.replace(f"{postgres_server.user}:", "reader_without_rights:").replace(
        urllib.parse.quote(postgres_server.password, safe=""), "x")
    with pytest.raises(PostgresPublishError, match="permission denied") as forbidden:
        publish_postgres(fixture_published, denied)
    assert not forbidden.value.retryable


def test_readers_who_could_read_the_last_build_can_read_the_next(fixture_published, pg_database):
    import uuid

    inherited, configured = f"bi_{uuid.uuid4().hex[:8]}", f"team_{uuid.uuid4().hex[:8]}"
    publish_postgres(fixture_published, pg_database.url)
    with pg_database.connect() as pg:
        for role in (inherited, configured):
            pg.execute(f"create role {role} login password 'reader-pw'")
        pg.execute(f"grant usage on schema marts to {inherited}")
        pg.execute(f"grant select on all tables in schema marts to {inherited}")
    publish_postgres(fixture_published, pg_database.url, grant_select_to=(configured,))
    for role in (inherited, configured):
        url = pg_database.url.replace(f"{pg_database.user}:", f"{role}:").replace(
            urllib.parse.quote(pg_database.password, safe=""), "reader-pw")
        with psycopg.connect(url) as reader:
            assert reader.execute("select count(*) from marts.mart_funnel_cohort").fetchone()[0] == 12
            assert reader.execute("select build_id from marts_meta.build_info").fetchone()[0] == FIXTURE_BUILD
