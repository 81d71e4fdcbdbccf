"""Representative bad deliveries through the real ``funnel build``: exit code, message, and the
published warehouse left exactly as it was (same bytes, same build id).

A reader of ``<out>/funnel.duckdb`` must never notice a bad night: the CLI exits 1, names every
rejected file and why (once, without a stack trace), and publishes nothing.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from orchestration.publish.duckdb_file import publish_marts
from tests.bad_inputs.cases import LEAD_HEADER, OPP_HEADER, garbage, leads, opp, sf_csv, zip_of_csv

FUNNEL = str(Path(sys.executable).parent / "funnel")
PUBLISHED_BUILD = "20260101T000000Z-lastgood"


def published_before(out: Path) -> str:
    """Publish a small 'last good night' into ``out`` and return its sha256."""
    src = out.parent / "last_good.duckdb"
    con = duckdb.connect(str(src))
    con.execute("create schema marts")
    con.execute("create table marts.mart_funnel_cohort as "
                "select date '2026-01-01' as cohort_month, 'lead' as stage_key, 42 as reached_count")
    con.close()
    publish_marts(src, out, PUBLISHED_BUILD)
    return sha256(out / "funnel.duckdb")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def funnel_build(landing: Path, out: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNNEL_")}
    env["FUNNEL_AS_OF"] = "2026-07-01 00:00:00"
    env["COLUMNS"] = "250"  # wide enough that Rich does not wrap the messages we look for
    return subprocess.run([FUNNEL, "build", "--landing", str(landing), "--out", str(out)], capture_output=True,
                          text=True, env=env, timeout=timeout, cwd=Path(__file__).resolve().parents[2])


def assert_untouched(out: Path, digest: str) -> None:
    assert sha256(out / "funnel.duckdb") == digest
    con = duckdb.connect(str(out / "funnel.duckdb"), read_only=True)
    try:
        assert con.execute("select build_id from meta.build_info").fetchone()[0] == PUBLISHED_BUILD
    finally:
        con.close()
    assert not list(out.glob(".funnel.duckdb.*.tmp")), "a half-written publish was left behind"


def test_rejected_files_fail_the_build_with_one_clear_message_each(tmp_path):
    landing, out = tmp_path / "landing", tmp_path / "out"
    landing.mkdir()
    out.mkdir()
    digest = published_before(out)
    (tmp_path / "secret.csv").write_text(sf_csv(leads(2)))
    (landing / "Lead.csv").write_text(sf_csv(leads(3)))  # a good file: still loads
    (landing / "Lead (2).csv").write_bytes(zip_of_csv())
    (landing / "x[").mkdir()  # the relative path "x[/]y [red].csv" is Rich markup
    (landing / "x[/]y [red].csv").write_text(sf_csv(leads(2), [h for h in LEAD_HEADER if h != "CreatedDate"]))
    (landing / "new\nline.csv").write_bytes(garbage())
    os.symlink(tmp_path / "secret.csv", landing / "evil.csv")

    proc = funnel_build(landing, out)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "build failed" in proc.stderr and "the published warehouse was not changed" in proc.stderr
    assert "4 file(s) rejected" in proc.stderr
    assert "Lead (2).csv: is not text (detected zip content)" in proc.stderr
    assert "x[/]y [red].csv, line 1: missing required column(s) 'CreatedDate'" in proc.stderr
    assert "new\\nline.csv: is not text" in proc.stderr
    assert "evil.csv: resolves to" in proc.stderr and "outside the landing folder" in proc.stderr
    assert "Traceback" not in output and "Stack Trace" not in output
    assert_untouched(out, digest)
    con = duckdb.connect(str(out / "private" / "warehouse.duckdb"), read_only=True)
    try:  # the good file of the same delivery was loaded, in full
        assert con.execute("select count(*) from raw.crm_leads where _source_file = 'Lead.csv'").fetchone()[0] == 3
    finally:
        con.close()


def test_a_critical_quality_failure_blocks_publishing(tmp_path):
    landing, out = tmp_path / "landing", tmp_path / "out"
    landing.mkdir()
    out.mkdir()
    digest = published_before(out)
    (landing / "Lead.csv").write_text(sf_csv(leads(3)))
    (landing / "Opportunity.csv").write_text(sf_csv([opp(1), opp(2, Probability="150")], OPP_HEADER))

    proc = funnel_build(landing, out)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "check failed" in proc.stderr and "probability_between_0_and_100" in proc.stderr
    assert "Opportunity.csv" in proc.stderr
    assert "Traceback" not in output and "Stack Trace" not in output
    assert_untouched(out, digest)


def test_rich_markup_in_a_file_name_is_printed_literally(monkeypatch, capsys):
    """The message naming a rejected file is printed even when the name looks like Rich markup
    (before the fix, ``x[/]y.csv`` made the CLI crash with a MarkupError while reporting it)."""
    from orchestration import build, cli

    name = "x[/]y [red].csv"
    outcome = build.BuildOutcome(False, "run-1234", 1.0, None,
                                 failures=[f"ingest_landing: 1 file(s) rejected:\n- {name}: bad"],
                                 failed_checks=[f"raw/crm_leads · suite: [/bold] in {name}"], warnings=[f"[/] {name}"])
    monkeypatch.setattr(build, "run_build", lambda settings, log_level="WARNING", **dbt_options: outcome)
    cli._run(object())
    captured = capsys.readouterr()
    assert captured.err.count(name) == 2 and name in captured.out
