"""Scoped data tests (macros/test_scopes.sql): a night's tests of a keyed incremental model read only
the rows not yet tested, and a row that failed stays under test until a run passes.

Night by night on int_leads__resolved (replace_partitions on lead_id) and its inputs, with tests:

- night 1 builds L1..L3 from scratch: every row is tested, then the scope is created empty;
- night 2 delivers L4 (models only, no tests), and a hand-made duplicate of L4's row stands for a
  bug of that night: its keys are in scope, so `dbt test` fails on it. So does a copy of L1's row
  of int_leads__merged put in L4's partition there: its key is not lead_id, so the unique lead_id
  reads every row of a lead id that a written row holds, L1's old row included;
- the copy is removed; night 3 delivers only L5: the duplicate of L4, written the night before,
  still fails the night;
- the duplicate is removed and one of L1, which no night wrote since the first, is made by hand: a
  test run passes (L1 is outside the scope: what scoping trades) and empties the scope;
- a full refresh drops the scope: the next test run reads every row.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from dbt_harness import DbtBuild, connect, load_raw, run_dbt
from partition_nights import crm_lead

NIGHT_1 = datetime(2024, 3, 2, 2, 0)
NIGHT_2 = datetime(2024, 3, 3, 2, 0)
NIGHT_3 = datetime(2024, 3, 4, 2, 0)
RESOLVED = "intermediate.int_leads__resolved"
SELECTION = ["+int_leads__resolved"]
MERGED = "intermediate.int_leads__merged"
UNIQUE_TEST = "unique_int_leads__resolved_lead_id"
# lead_id is not int_leads__merged's key (_partition_key, the hash of its match key): a duplicate
# may pair a written row with an unwritten one, so the test reads every row of a written lead id
MERGED_UNIQUE_TEST = "unique_int_leads__merged_lead_id"


def _leads(night: datetime, load: str, *ids: str) -> dict:
    return {"crm_leads": [crm_lead(lead_id, f"{lead_id.lower()}@example.com", datetime(2024, 1, 10 + row), "Open",
                                   load, night, row) for row, lead_id in enumerate(ids, start=1)]}


def _dbt(build: DbtBuild, command: str, night: datetime, *extra: str):
    skip_unit_tests = [] if command == "run" else ["--exclude-resource-type", "unit_test"]
    return run_dbt([command, "--select", *SELECTION, "--indirect-selection", "cautious", *skip_unit_tests, *extra],
                   warehouse=build.warehouse, target_path=build.target_path, as_of=night.isoformat(sep=" "))


def _failed_tests(proc) -> set[str]:
    """Names of the tests dbt reports failing ("12 of 30 FAIL 1 unique_x ...")."""
    return set(re.findall(r" FAIL \d+ (\S+)", proc.stdout))


def _duplicate(build: DbtBuild, lead_id: str) -> None:
    with connect(build.warehouse) as con:
        con.execute(f"insert into {RESOLVED} select * from {RESOLVED} where lead_id = ?", [lead_id])


def _remove_duplicate(build: DbtBuild, lead_id: str) -> None:
    with connect(build.warehouse) as con:
        con.execute(f"create temp table kept as select distinct * from {RESOLVED} where lead_id = ?", [lead_id])
        con.execute(f"delete from {RESOLVED} where lead_id = ?", [lead_id])
        con.execute(f"insert into {RESOLVED} select * from kept")


def _merged_copy(build: DbtBuild, lead_id: str, into_partition_of: str) -> None:
    """A second row of ``lead_id`` in int_leads__merged, in the partition of ``into_partition_of``."""
    with connect(build.warehouse) as con:
        con.execute(f"create temp table copied as select * from {MERGED} where lead_id = ?", [lead_id])
        # without a digest: the partition's stored digest stays as it was, so no night recomputes it
        con.execute(f"update copied set _partition_digest = null, "
                    f"_partition_key = (select _partition_key from {MERGED} where lead_id = ?)", [into_partition_of])
        con.execute(f"insert into {MERGED} select * from copied")


def _drop_merged_copy(build: DbtBuild, lead_id: str, from_partition_of: str) -> None:
    with connect(build.warehouse) as con:
        con.execute(f"delete from {MERGED} where lead_id = ? and _partition_key = "
                    f"(select _partition_key from {MERGED} where lead_id = ?)", [lead_id, from_partition_of])


def _scope(build: DbtBuild, model: str = "int_leads__resolved") -> list[str] | None:
    """The keys in the model's scope, None when it has no scope table."""
    if not build.query("select 1 from duckdb_tables() where schema_name = 'test_scopes' and table_name = ?", [model]):
        return None
    return sorted(row[0] for row in build.query(f"select lead_id from test_scopes.{model}"))


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("test_scopes")
    build = DbtBuild(warehouse=root / "warehouse.duckdb", target_path=root / "target")
    seen = {}
    load_raw(build.warehouse, _leads(NIGHT_1, "load-1", "L1", "L2", "L3"))
    first = _dbt(build, "build", NIGHT_1)
    seen["night 1"] = (first.returncode, _scope(build))

    load_raw(build.warehouse, _leads(NIGHT_2, "load-2", "L4"))
    assert _dbt(build, "run", NIGHT_2).returncode == 0
    seen["night 2 models"] = (_scope(build), _scope(build, "base_crm__leads"))
    _duplicate(build, "L4")
    _merged_copy(build, "L1", into_partition_of="L4")  # L1 was not written; L4's partition was
    second = _dbt(build, "test", NIGHT_2)
    seen["night 2 tests"] = (second.returncode, _failed_tests(second), _scope(build))
    # (a failing test of int_leads__merged would make dbt build skip everything downstream)
    _drop_merged_copy(build, "L1", from_partition_of="L4")

    load_raw(build.warehouse, _leads(NIGHT_3, "load-3", "L5"))
    third = _dbt(build, "build", NIGHT_3)
    seen["night 3"] = (third.returncode, _failed_tests(third), _scope(build))

    # L4 repaired; duplicates of L1 in int_leads__resolved and of L2 in its own partition of
    # int_leads__merged, which no night since the first wrote, are outside the scope
    _remove_duplicate(build, "L4")
    _duplicate(build, "L1")
    _merged_copy(build, "L2", into_partition_of="L2")
    fixed = _dbt(build, "test", NIGHT_3)
    seen["fixed"] = (fixed.returncode, _failed_tests(fixed), _scope(build))

    refresh = _dbt(build, "run", NIGHT_3, "--full-refresh")  # rebuilt from raw: no duplicate left
    assert refresh.returncode == 0, refresh.stdout[-3000:]
    seen["full refresh"] = _scope(build)
    _duplicate(build, "L1")
    after_refresh = _dbt(build, "test", NIGHT_3)
    seen["after full refresh"] = (after_refresh.returncode, _failed_tests(after_refresh), _scope(build))
    return seen


def test_the_first_build_tests_every_row_then_starts_an_empty_scope(nights):
    assert nights["night 1"] == (0, [])


def test_a_night_records_the_keys_it_writes(nights):
    replaced_partitions, deleted_and_inserted = nights["night 2 models"]
    assert replaced_partitions == ["L4"]  # int_leads__resolved: strategy replace_partitions
    assert deleted_and_inserted == ["L4"]  # base_crm__leads: delete+insert on lead_id


def test_a_scoped_test_fails_on_a_row_the_night_wrote_and_keeps_it_in_scope(nights):
    returncode, failed, scope = nights["night 2 tests"]
    assert returncode != 0
    assert failed == {UNIQUE_TEST, MERGED_UNIQUE_TEST}
    assert scope == ["L4"]


def test_a_failed_row_is_tested_again_the_next_night(nights):
    returncode, failed, scope = nights["night 3"]
    assert returncode != 0
    assert failed == {UNIQUE_TEST}
    assert scope == ["L4", "L5"]


def test_rows_no_night_wrote_are_not_read_again_and_a_passing_run_empties_the_scope(nights):
    assert nights["fixed"] == (0, set(), [])


def test_a_full_refresh_drops_the_scope_and_the_next_tests_read_every_row(nights):
    assert nights["full refresh"] is None
    returncode, failed, scope = nights["after full refresh"]
    assert returncode != 0
    assert failed == {UNIQUE_TEST}
    assert scope is None
