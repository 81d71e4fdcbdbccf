"""`funnel report`, `funnel publish` and `funnel docs` (dbt docs generate + a loopback web server)."""

from __future__ import annotations

import json
import stat
import sys
import threading
import urllib.request

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.publish.docs_site import DocsError, docs_server, generate_docs

runner = CliRunner()


def test_funnel_report_writes_english_and_chinese_reports(published_out):
    result = runner.invoke(app, ["report", "--out", str(published_out)])
    assert result.exit_code == 0, result.output
    assert (published_out / "report" / "funnel_report.html").exists()
    result = runner.invoke(app, ["report", "--out", str(published_out), "--lang", "zh"])
    assert result.exit_code == 0 and (published_out / "report" / "funnel_report.zh.html").exists()


def test_funnel_report_without_a_build_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["report", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "funnel build" in result.output


def test_funnel_publish_remakes_the_outputs_and_skips_postgres_without_a_url(published_out, monkeypatch):
    monkeypatch.delenv("FUNNEL_POSTGRES_URL", raising=False)
    result = runner.invoke(app, ["publish", "--out", str(published_out)])
    assert result.exit_code == 0, result.output
    assert "FUNNEL_POSTGRES_URL is not set" in result.output
    assert (published_out / "parquet" / "manifest.json").exists()
    assert (published_out / "report" / "funnel_report.html").exists()


FAKE_DBT = """#!{python}
import json, os, pathlib, sys
args = sys.argv[1:]
target = pathlib.Path(args[args.index("--target-path") + 1])
target.mkdir(parents=True, exist_ok=True)
(target / "call.json").write_text(json.dumps({{"args": args, "warehouse": os.environ["FUNNEL_WAREHOUSE_PATH"]}}))
if os.environ.get("FAKE_DBT_FAIL"):
    print("Runtime Error: Could not set lock on file"); sys.exit(2)
(target / "index.html").write_text("<html>dbt docs</html>")
"""


@pytest.fixture
def fake_dbt(tmp_path):
    path = tmp_path / "dbt"
    path.write_text(FAKE_DBT.format(python=sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_docs_generate_runs_dbt_against_the_warehouse(tmp_path, fake_dbt):
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(b"")
    target = generate_docs(warehouse, target_path=tmp_path / "site", dbt=fake_dbt)
    call = json.loads((target / "call.json").read_text())
    assert call["args"][:2] == ["docs", "generate"] and "--profiles-dir" in call["args"]
    assert call["warehouse"] == str(warehouse.resolve())


def test_docs_without_a_warehouse_use_a_scratch_database_and_create_nothing(tmp_path, fake_dbt):
    missing = tmp_path / "out" / "private" / "warehouse.duckdb"
    target = generate_docs(missing, target_path=tmp_path / "site", dbt=fake_dbt)
    assert json.loads((target / "call.json").read_text())["warehouse"] != str(missing)
    assert not missing.exists()


def test_a_dbt_failure_is_reported_with_its_output(tmp_path, fake_dbt, monkeypatch):
    monkeypatch.setenv("FAKE_DBT_FAIL", "1")
    with pytest.raises(DocsError, match="Could not set lock"):
        generate_docs(None, target_path=tmp_path / "site", dbt=fake_dbt)


def test_the_docs_server_serves_the_site_on_loopback(tmp_path):
    (tmp_path / "index.html").write_text("<html>dbt docs</html>")
    server = docs_server(tmp_path, port=0)
    host, port = server.server_address[:2]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as r:
            assert r.status == 200 and b"dbt docs" in r.read()
    finally:
        server.shutdown()
        server.server_close()
    assert host == "127.0.0.1"


def test_funnel_docs_command_generates_into_the_project_target(tmp_path, monkeypatch):
    import orchestration.publish.docs_site as docs_site

    calls = []

    def fake_generate(warehouse, **kwargs):
        calls.append(warehouse)
        return tmp_path

    monkeypatch.setattr(docs_site, "generate_docs", fake_generate)
    result = runner.invoke(app, ["docs", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert calls == [tmp_path / "out" / "private" / "warehouse.duckdb"]
    assert "no column types" in result.output
