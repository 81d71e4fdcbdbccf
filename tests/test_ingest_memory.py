"""The ingest's memory budget: DuckDB's limit is lowered while files load and put back after; a file
bigger than the budget spills to disk and loads exactly as it would in memory (same rows, same
quarantine, same line numbers); a file too wide for the budget is read with the connection's limit.

The peak-RSS figures for a 2 GB file are measured in bench/ingest/memory_2gb.py, not here.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import loader, run
from orchestration.ingest.memory import DEFAULT_LIMIT, ENV_VAR, IngestMemory, _as_set, ingest_memory_limit, parse_size
from orchestration.ingest.run import ingest_landing
from orchestration.warehouse import connect
from tests.bad_inputs.invariants import manifest_problems

HEADER = ["Id", "IsDeleted", "FirstName", "LastName", "Company", "Email", "Phone", "LeadSource", "Status",
          "Industry", "AnnualRevenue", "NumberOfEmployees", "OwnerId", "IsConverted", "ConvertedDate",
          "CreatedDate", "Description"]


def _lead(i: int) -> list[str]:
    return [f"00Q{i:015d}", "0", "Ann", f"Lee{i % 97}", f"Company {i % 500}", f"user{i}@example.com",
            f"(415) 555-{i % 10_000:04d}", "Web", "Working", "Technology", str(1000 + i), "25",
            "005000000000000AAA", "0", "", f"2026-0{1 + i % 6}-1{i % 9} 10:00:00", "x" * 60]


def write_leads(path: Path, rows: int, *, bad_every: int = 0, malformed_every: int = 0, extra_columns: int = 0) -> dict:
    """A Salesforce Lead export; returns the file line numbers (1-based) of the planted faults."""
    planted = {"bad_revenue": [], "malformed": []}
    extra = [f"Extra_{k}__c" for k in range(extra_columns)]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(HEADER + extra)
        line = 1
        for i in range(1, rows + 1):
            line += 1
            if malformed_every and i % malformed_every == 0:
                f.write(f'"00Q{i:015d}","0","a line with too few columns"\n')
                planted["malformed"].append(line)
                continue
            row = _lead(i) + [f"v{k}" for k in range(extra_columns)]
            if bad_every and i % bad_every == 0:
                row[HEADER.index("AnnualRevenue")] = "about a million"
                planted["bad_revenue"].append(line)
            w.writerow(row)
    return planted


def _loaded(con: duckdb.DuckDBPyConnection) -> tuple[list, list, list]:
    raw = con.execute("select * exclude (_loaded_at) from raw.crm_leads order by _source_row").fetchall()
    quarantine = con.execute("select line_number, record_number, raw_text, reason from raw._quarantine "
                             "order by coalesce(line_number, 0), record_number").fetchall()
    manifest = con.execute("select rows_read, rows_loaded, rows_quarantined, rows_summary, message "
                           "from raw._load_manifest").fetchall()
    return raw, quarantine, manifest


def _memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_setting('memory_limit')").fetchone()[0]


def test_sizes_parse_and_a_shown_limit_is_put_back_as_shown():
    assert parse_size("256MB") == 256 * 10**6
    assert parse_size("3.7 GiB") == int(3.7 * 2**30)
    assert parse_size("1000B") == 1000
    assert parse_size("lots") is None
    con = duckdb.connect()
    for limit in ("4GB", "1GB", "300MB", "18.8 GiB"):
        con.execute(f"set memory_limit = '{limit}'")
        shown = _memory_limit(con)
        con.execute(f"set memory_limit = '{_as_set(shown)}'")
        assert _memory_limit(con) == shown
        assert abs(parse_size(_as_set(shown)) - parse_size(limit)) <= 0.05 * 2**30


def test_the_budget_comes_from_the_environment(monkeypatch):
    assert ingest_memory_limit() == DEFAULT_LIMIT
    monkeypatch.setenv(ENV_VAR, "512MB")
    assert ingest_memory_limit() == "512MB"
    monkeypatch.setenv(ENV_VAR, "half of it")
    with pytest.raises(ValueError, match=ENV_VAR):
        ingest_memory_limit()


def test_the_limit_is_lowered_while_loading_and_put_back_after(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    landing.mkdir()
    write_leads(landing / "Lead.csv", 100)
    con = connect(tmp_path / "warehouse.duckdb", memory_limit="2GB")
    before = _memory_limit(con)
    during = []
    real = run.load_plans

    def spy(con_, *args, **kwargs):
        during.append(_memory_limit(con_))
        return real(con_, *args, **kwargs)

    monkeypatch.setattr(run, "load_plans", spy)
    report = ingest_landing(con, landing)
    assert not report.errors and report.loaded[0].rows_loaded == 100
    assert during == ["953.6 MiB"]  # 1GB
    assert _memory_limit(con) == before
    # a budget above the connection's own limit changes nothing
    small = connect(tmp_path / "small.duckdb", memory_limit="200MB")
    with IngestMemory(small, "1GB") as memory:
        assert not memory.lowered and _memory_limit(small) == "190.7 MiB"
    con.close()
    small.close()


def test_a_file_bigger_than_the_budget_spills_and_loads_exactly_as_in_memory(tmp_path, monkeypatch):
    """Rows, lineage row numbers, quarantine (line numbers, text, reasons) and manifest are identical."""
    landing = tmp_path / "landing"
    landing.mkdir()
    planted = write_leads(landing / "Lead.csv", 450_000, bad_every=49_999, malformed_every=70_001)
    assert (landing / "Lead.csv").stat().st_size > 100 * 10**6
    spilled = []
    real_drop = loader._drop_staging

    def measure_then_drop(con_):
        spilled.append(con_.execute("select sum(temporary_storage_bytes) from duckdb_memory()").fetchone()[0])
        real_drop(con_)

    monkeypatch.setattr(loader, "_drop_staging", measure_then_drop)
    results = {}
    for name, budget in (("in_memory", "100GB"), ("spilled", "200MB")):
        con = connect(tmp_path / f"{name}.duckdb", memory_limit="4GB", threads=2)
        report = ingest_landing(con, landing, memory_limit=budget)
        assert not report.errors, report.errors
        assert manifest_problems(con) == []
        results[name] = _loaded(con)
        con.close()
    # one load each (no retry), and the budget really made the second one spill
    assert len(spilled) == 2 and spilled[0] == 0 and spilled[1] > 10 * 2**20, spilled
    assert results["spilled"] == results["in_memory"]
    raw, quarantine, manifest = results["spilled"]
    n_bad, n_malformed = len(planted["bad_revenue"]), len(planted["malformed"])
    assert manifest[0][:3] == (450_000, 450_000 - n_bad - n_malformed, n_bad + n_malformed)
    assert sorted(q[0] for q in quarantine if q[0] is not None) == planted["malformed"]
    bad_text = [q for q in quarantine if q[0] is None]
    assert all("about a million" in q[2] and "AnnualRevenue" in q[3] for q in bad_text)
    # record numbers of the bad rows: file line - 1 (header) - malformed lines before them
    assert [q[1] for q in bad_text] == [
        line - 1 - sum(m < line for m in planted["malformed"]) for line in planted["bad_revenue"]]
    assert raw[-1][0] == f"00Q{450_000:015d}"


def test_a_file_too_wide_for_the_budget_is_read_with_the_connection_limit(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    landing.mkdir()
    write_leads(landing / "Lead.csv", 50, extra_columns=3_000, bad_every=7)
    lifted = []
    real = IngestMemory.lifted

    def spy(self):
        lifted.append(True)
        return real(self)

    monkeypatch.setattr(IngestMemory, "lifted", spy)
    con = connect(tmp_path / "warehouse.duckdb", memory_limit="4GB")
    before = _memory_limit(con)
    report = ingest_landing(con, landing, memory_limit="64MB")
    assert not report.errors, report.errors
    assert lifted == [True]
    r = report.loaded[0]
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (50, 43, 7)
    assert "read twice" in r.message and "64MB" in r.message
    stored = con.execute("select message from raw._load_manifest where load_id = ?", [r.load_id]).fetchone()[0]
    assert "did not fit the ingest memory budget (64MB)" in stored
    assert manifest_problems(con) == []
    assert _memory_limit(con) == before
    con.close()
