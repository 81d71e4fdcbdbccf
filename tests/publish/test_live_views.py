"""A mart that is a view over one table in the warehouse is published as that view over a copy of
the table (orchestration/publish/live_views.py): the table is carried over or patched like a mart,
and the view, whose "now" moves every night, is written again.

The expected ages are computed by hand: entry n entered at 2026-01-01 + n hours, so at "now"
2026-02-01 it has been open 744 - n hours.
"""

from __future__ import annotations

import duckdb
import pytest

from orchestration.publish.duckdb_file import publish_marts
from orchestration.publish.parquet import export_parquet

ENTRIES = 1000
HOURS_TO_FEB_1 = 31 * 24
VIEW = ("create view marts.fct_stage_events as with entries as (select * from intermediate.entries) "
        "select n, label, date_diff('hour', entered_at, timestamp '{now}') as hours_open from entries")


def _warehouse(path, *, now: str = "2026-02-01", entries: int = ENTRIES, view: str | None = VIEW,
               extra_columns: str = "", changed_labels: int = 0) -> None:
    """marts.fct_leads, and marts.fct_stage_events: a view over intermediate.entries (or, with
    view=None, a table of the same rows)."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema intermediate")
    con.execute("create table marts.fct_leads as select range as lead_id from range(50)")
    con.execute(f"""create table intermediate.entries as
        select range as n,
               case when range < {changed_labels} then 'changed ' else 'entry ' end || range as label,
               timestamp '2026-01-01' + to_hours(range) as entered_at {extra_columns}
        from range({entries})""")
    if view is None:
        con.execute(f"create table marts.fct_stage_events as {VIEW.format(now=now).split(' as ', 1)[1]}")
    else:
        con.execute(view.format(now=now))
    con.close()


def _relations(path) -> dict[str, str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {f"{s}.{n}": t for s, n, t in con.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_schema <> 'meta'").fetchall()}


def _same_rows(warehouse, published, name: str = "fct_stage_events") -> int:
    """Row count of the published mart, after checking it equals the warehouse's, row for row."""
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as w (read_only)")
        con.execute(f"attach '{published}' as p (read_only)")
        for a, b in (("w", "p"), ("p", "w")):
            assert con.execute(f"select count(*) from (select * from {a}.marts.{name} except all "
                               f"select * from {b}.marts.{name})").fetchone()[0] == 0
        return con.execute(f"select count(*) from p.marts.{name}").fetchone()[0]


def _hours_open(published) -> tuple[int, int]:
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute("select count(*), sum(hours_open) from marts.fct_stage_events").fetchone()


def test_a_view_is_published_as_a_view_over_its_table_which_stays_while_only_the_clock_moves(tmp_path):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    published = out / "funnel.duckdb"
    _warehouse(wh, now="2026-02-01")
    first = publish_marts(wh, out, "20260101T000000Z-first")
    assert _relations(published) == {"marts.fct_leads": "BASE TABLE", "marts.fct_stage_events": "VIEW",
                                     "intermediate.entries": "BASE TABLE"}
    assert _hours_open(published) == (ENTRIES, HOURS_TO_FEB_1 * ENTRIES - sum(range(ENTRIES)))
    assert first.tables == {"marts.fct_leads": 50, "intermediate.entries": ENTRIES,
                            "marts.fct_stage_events": ENTRIES}

    _warehouse(wh, now="2026-02-02")  # the next night, nothing new: only "now" moved
    second = publish_marts(wh, out, "20260102T000000Z-second")
    assert second.carried_over == ["marts.fct_leads", "intermediate.entries"]
    assert _hours_open(published) == (ENTRIES, (HOURS_TO_FEB_1 + 24) * ENTRIES - sum(range(ENTRIES)))
    assert _same_rows(wh, published) == ENTRIES

    _warehouse(wh, now="2026-02-02", entries=ENTRIES + 1)  # a new entry
    third = publish_marts(wh, out, "20260103T000000Z-third")
    assert third.carried_over == ["marts.fct_leads"]
    assert _same_rows(wh, published) == ENTRIES + 1

    with duckdb.connect() as con:  # however a reader attaches the file, the view reads its own table
        con.execute(f"attach '{published}' as any_name (read_only)")
        assert con.execute("select count(*) from any_name.marts.fct_stage_events").fetchone()[0] == ENTRIES + 1
        sql = con.execute("select sql from duckdb_views() where view_name = 'fct_stage_events'").fetchone()[0]
    assert "pub" not in sql and "src" not in sql and str(wh) not in sql


def test_the_table_of_a_view_is_patched_when_it_is_partition_incremental(tmp_path):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    digest = ", cast(range as hugeint) as _partition_digest"  # internal: never published
    _warehouse(wh, extra_columns=digest)
    publish_marts(wh, out, "20260101T000000Z-first")
    _warehouse(wh, extra_columns=digest, changed_labels=7)
    result = publish_marts(wh, out, "20260102T000000Z-second")
    assert result.patched == {"intermediate.entries": 14}  # 7 rows deleted, 7 inserted
    assert _same_rows(wh, out / "funnel.duckdb") == ENTRIES
    with duckdb.connect(str(out / "funnel.duckdb"), read_only=True) as con:
        assert [c for (c,) in con.execute("select column_name from duckdb_columns() "
                                          "where table_name = 'entries' order by column_index").fetchall()] == \
               ["n", "label", "entered_at"]


@pytest.mark.parametrize("view", [
    # the table holds a text column the view does not show (it could be contact data)
    "create view marts.fct_stage_events as select n, date_diff('hour', entered_at, timestamp '{now}') "
    "as hours_open from intermediate.entries",
    # two tables
    "create view marts.fct_stage_events as select entries.n, entries.label, "
    "date_diff('hour', entered_at, timestamp '{now}') as hours_open from intermediate.entries "
    "inner join marts.fct_leads on entries.n = fct_leads.lead_id",
    # a view over a view
    "create view intermediate.entries_view as select * from intermediate.entries; "
    "create view marts.fct_stage_events as select n, label, date_diff('hour', entered_at, timestamp '{now}') "
    "as hours_open from intermediate.entries_view",
], ids=["hides_a_text_column", "reads_two_tables", "reads_a_view"])
def test_any_other_view_is_published_as_a_table_and_its_tables_are_not(tmp_path, view):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    _warehouse(wh, view=view)
    publish_marts(wh, out, "20260101T000000Z-first")
    assert _relations(out / "funnel.duckdb") == {"marts.fct_leads": "BASE TABLE",
                                                 "marts.fct_stage_events": "BASE TABLE"}
    assert _same_rows(wh, out / "funnel.duckdb") > 0


def test_a_mart_turning_from_table_to_view_and_back_leaves_nothing_behind(tmp_path):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    published = out / "funnel.duckdb"
    _warehouse(wh, view=None)
    publish_marts(wh, out, "20260101T000000Z-table")
    assert _relations(published)["marts.fct_stage_events"] == "BASE TABLE"
    _warehouse(wh)
    publish_marts(wh, out, "20260102T000000Z-view")
    assert _relations(published) == {"marts.fct_leads": "BASE TABLE", "marts.fct_stage_events": "VIEW",
                                     "intermediate.entries": "BASE TABLE"}
    assert _same_rows(wh, published) == ENTRIES
    _warehouse(wh, view=None)
    publish_marts(wh, out, "20260103T000000Z-table")
    assert _relations(published) == {"marts.fct_leads": "BASE TABLE", "marts.fct_stage_events": "BASE TABLE"}
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from duckdb_schemas() where schema_name = 'intermediate'"
                           ).fetchone()[0] == 0
    assert _same_rows(wh, published) == ENTRIES


def test_parquet_exports_the_view_not_its_table_and_shares_its_files_only_while_it_is_the_same(tmp_path):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    exports = []
    for night, now in enumerate(["2026-02-01", "2026-02-02", "2026-02-02"]):
        _warehouse(wh, now=now)
        publish_marts(wh, out, f"2026010{night + 1}T000000Z-n{night}")
        exports.append(export_parquet(out / "funnel.duckdb", out))
    assert sorted(exports[0].marts) == ["fct_leads", "fct_stage_events"]
    assert "fct_stage_events" not in exports[1].carried_over  # "now" moved: every age changed
    assert "fct_stage_events" in exports[2].carried_over  # same table, same view: same rows
    with duckdb.connect() as con:
        assert con.execute(f"select count(*), sum(hours_open) from "
                           f"read_parquet('{out}/parquet/fct_stage_events/*.parquet')").fetchone() == \
               (ENTRIES, (HOURS_TO_FEB_1 + 24) * ENTRIES - sum(range(ENTRIES)))


def test_a_view_that_cannot_be_created_over_the_published_table_is_published_as_a_table(tmp_path):
    """The view shows the internal digest column, which is never published: no view over the copy
    can show it, so the mart is written as a table (without that column) and the copy is dropped."""
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "out"
    _warehouse(wh, extra_columns=", cast(range as hugeint) as _partition_digest",
               view="create view marts.fct_stage_events as select n, label, _partition_digest, "
                    "date_diff('hour', entered_at, timestamp '{now}') as hours_open from intermediate.entries")
    result = publish_marts(wh, out, "20260101T000000Z-first")
    assert _relations(out / "funnel.duckdb") == {"marts.fct_leads": "BASE TABLE",
                                                 "marts.fct_stage_events": "BASE TABLE"}
    assert set(result.tables) == {"marts.fct_leads", "marts.fct_stage_events"}
    with duckdb.connect(str(out / "funnel.duckdb"), read_only=True) as con:
        assert con.execute("select count(*), sum(hours_open) from marts.fct_stage_events").fetchone() == \
               (ENTRIES, HOURS_TO_FEB_1 * ENTRIES - sum(range(ENTRIES)))
        assert "_partition_digest" not in {c for (c,) in con.execute(
            "select column_name from duckdb_columns() where table_name = 'fct_stage_events'").fetchall()}
