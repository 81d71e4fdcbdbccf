"""Every case of the bad-input corpus (cases.py) through ``ingest_landing``: the declared outcome,
never a traceback, never a hang, never a row lost.

For each case: the files are written into a fresh landing folder, ingested once (twice for a
re-delivery) under a timeout, and then

- the rejected files are exactly the declared ones, each error naming the file and saying what
  was expected, and nothing of a rejected file is in any table;
- each loaded file has one manifest row with the declared counts, its raw rows and quarantined
  rows are really there (counted in the tables), the quarantine holds the bad rows' text with a
  reason, and the declared values were loaded;
- the manifest agrees with the tables everywhere (rows read = loaded + quarantined + summary).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.canonical import RAW_SCHEMA, TABLES
from orchestration.ingest.errors import FileRejected, printable
from orchestration.ingest.run import IngestReport, ingest_landing
from orchestration.sql import quote_ident
from tests.bad_inputs.cases import CASES, Case, Loaded, Rejected, Skipped
from tests.bad_inputs.invariants import duplicated_raw_rows, manifest_problems, run_with_timeout

TIMEOUT_S = 60


def write_files(landing: Path, files: dict) -> None:
    for rel, content in files.items():
        path = landing / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content() if callable(content) else content
        path.write_bytes(data.encode() if isinstance(data, str) else data)


def build_landing(case: Case, root: Path) -> Path:
    landing, outside = root / "landing", root / "outside"
    landing.mkdir()
    outside.mkdir()
    write_files(landing, case.files)
    if case.setup:
        case.setup(landing, outside)
    return landing


def ingest(con, landing: Path, case: Case) -> IngestReport:
    return run_with_timeout(lambda: ingest_landing(con, landing), TIMEOUT_S, f"ingest of case {case.name}")


def run_case(case: Case, root: Path):
    landing = build_landing(case, root)
    con = duckdb.connect()  # in memory: the loader is the same, the corpus runs twice as fast
    con.execute("set enable_progress_bar = false")
    report = ingest(con, landing, case)
    first_loads = {}
    if case.redeliver:
        first_loads = {r.source_file: r.load_id for r in report.loaded}
        write_files(landing, case.redeliver)
        report = ingest(con, landing, case)
    return con, report, first_loads


def _rows_of_file(con, rel: str) -> int:
    return sum(con.execute(f"select count(*) from {RAW_SCHEMA}.{quote_ident(t)} where _source_file = ?", [rel]).fetchone()[0]
               for t in TABLES)


def check_rejected(con, errors: dict[str, FileRejected], rel: str, outcome: Rejected) -> None:
    message = str(errors[rel])
    assert message.startswith(printable(rel)), f"the error does not start with the file's name: {message!r}"
    for text in outcome.says:
        assert text.lower() in message.lower(), f"{rel}: {text!r} not in {message!r}"
    loads = con.execute("select count(*) from raw._load_manifest where source_file = ? and status = 'loaded'",
                        [rel]).fetchone()[0]
    assert loads == 0 and _rows_of_file(con, rel) == 0, f"{rel} was rejected but something of it was loaded"


def check_loaded(con, rel: str, o: Loaded) -> None:
    rows = con.execute(
        "select load_id, rows_read, rows_loaded, rows_quarantined, rows_summary, message from raw._load_manifest "
        "where source_file = ? and target_table = ? and status = 'loaded'", [rel, o.table]).fetchall()
    assert len(rows) == 1, f"{rel} → {o.table}: {len(rows)} loaded manifest rows"
    load_id, read, loaded, quarantined, summary, message = rows[0]
    assert (read, loaded, quarantined, summary) == (o.read, o.loaded, o.quarantined, o.summary), \
        f"{rel}: manifest (read, loaded, quarantined, summary) = {(read, loaded, quarantined, summary)}"
    in_raw = con.execute(f"select count(*) from {RAW_SCHEMA}.{quote_ident(o.table)} where _load_id = ?",
                         [load_id]).fetchone()[0]
    assert in_raw == o.loaded
    quarantine = con.execute("select raw_text, reason from raw._quarantine where _load_id = ?", [load_id]).fetchall()
    assert len(quarantine) == o.quarantined
    assert all(reason for _, reason in quarantine), "a quarantined row without a reason"
    for text in o.reasons:
        assert any(text in reason for _, reason in quarantine), f"{rel}: no quarantine reason holds {text!r}: {quarantine}"
    for text in o.kept:
        assert any(text in (raw or "") for raw, _ in quarantine), f"{rel}: the bad row {text!r} is not in the quarantine"
    if o.note:
        assert o.note in (message or ""), f"{rel}: manifest message {message!r} lacks {o.note!r}"
    for expr, expected in o.values:
        got = con.execute(f"select {expr} from {RAW_SCHEMA}.{quote_ident(o.table)} where _load_id = ?",
                          [load_id]).fetchone()[0]
        assert got == expected, f"{rel}: {expr} = {got!r}, expected {expected!r}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, tmp_path):
    con, report, first_loads = run_case(case, tmp_path)
    try:
        errors = {e.file: e for e in report.errors}
        rejected = {rel for rel, o in case.expect.items() if isinstance(o, Rejected)}
        assert set(errors) == rejected, report.summary()
        for rel, outcome in case.expect.items():
            if isinstance(outcome, Rejected):
                check_rejected(con, errors, rel, outcome)
            elif isinstance(outcome, (Loaded, tuple)):
                for one in outcome if isinstance(outcome, tuple) else (outcome,):
                    check_loaded(con, rel, one)
            elif isinstance(outcome, Skipped):
                assert con.execute("select count(*) from raw._load_manifest where source_file = ?",
                                   [rel]).fetchone()[0] == 0
        for rel, old in first_loads.items():  # a re-delivery retires the first version everywhere
            assert con.execute("select status from raw._load_manifest where load_id = ?", [old]).fetchone()[0] == "replaced"
        assert manifest_problems(con) == []
        assert duplicated_raw_rows(con) == {}
    finally:
        con.close()


def test_corpus_is_big_and_varied_enough():
    assert len(CASES) >= 40
    kinds = {type(o) for c in CASES for o in c.expect.values()}
    assert {Rejected, Loaded, Skipped} <= kinds
    assert len({c.name for c in CASES}) == len(CASES)


def test_every_file_of_a_case_has_an_expected_outcome():
    for case in CASES:
        assert set(case.files) - {f for f in case.files if f.startswith("_mappings/")} <= set(case.expect), case.name
