"""``funnel doctor``: a healthy install passes; each broken part fails with its fix; no secret is printed."""

from __future__ import annotations

import os
import shutil
import socket
import urllib.parse
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestration import doctor
from orchestration.cli import app
from orchestration.lock import build_lock
from orchestration.publish.duckdb_file import publish_marts
from tests.faults.helpers import can_mount, remount_read_only, tmpfs
from tests.publish.fixture_marts import create_private_warehouse

runner = CliRunner()
PASSWORD = "Pa55:w/rd@%-xyzzy"  # characters that need escaping in a URL, like the Postgres fixture's


@pytest.fixture
def install(tmp_path) -> tuple[Path, Path]:
    """A landing folder with one export and an out folder that has been built and published once."""
    landing, out = tmp_path / "landing", tmp_path / "out"
    (landing / "salesforce").mkdir(parents=True)
    (landing / "salesforce" / "Lead.csv").write_text('"Id","LastName"\n"00Q1","Li"\n')
    (out / "private").mkdir(parents=True)
    create_private_warehouse(out / "private" / "warehouse.duckdb")
    publish_marts(out / "private" / "warehouse.duckdb", out, "20260301T020000Z-doctor")
    return landing, out


def by_name(checks: list[doctor.Check]) -> dict[str, doctor.Check]:
    return {c.name: c for c in checks}


def squashed(text: str) -> str:
    """The CLI output without spaces, line breaks and table borders: a secret wrapped over two
    lines of a table cell is still found."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in "│┃║|")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def test_a_healthy_install_passes_every_check(install):
    landing, out = install
    checks = doctor.run_checks(landing, out)
    assert [c for c in checks if c.failed] == []
    found = by_name(checks)
    assert set(found) == {"settings", "landing folder", "out folder", "private warehouse folder", "free disk space",
                          "versions", "dbt parse", "private warehouse", "published warehouse", "postgres",
                          "alert webhook"}
    assert "build 20260301T020000Z-doctor" in found["published warehouse"].detail
    assert "1 file(s)" in found["landing folder"].detail
    assert (found["postgres"].status, found["alert webhook"].status) == ("SKIP", "SKIP")
    assert not list(out.glob(".funnel-doctor-*")), "the write probe left its temp file behind"

    result = runner.invoke(app, ["doctor", "--landing", str(landing), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output and "all 11 checks passed" in result.output


def test_a_missing_landing_folder_fails_and_names_the_fix(install):
    _, out = install
    checks = by_name(doctor.run_checks(out.parent / "no_such_landing", out))
    assert checks["landing folder"].failed
    assert "does not exist" in checks["landing folder"].detail
    assert "FUNNEL_LANDING_DIR" in checks["landing folder"].fix
    assert [c.name for c in checks.values() if c.failed] == ["landing folder"]

    result = runner.invoke(app, ["doctor", "--landing", str(out.parent / "no_such_landing"), "--out", str(out)])
    assert result.exit_code == 1
    assert "landing folder" in result.output.split("checks failed")[-1]


@pytest.fixture
def read_only_out(tmp_path):
    """An out folder nobody can write — a read-only mount as root (root ignores file modes)."""
    out = tmp_path / "ro_out"
    if os.geteuid() != 0:
        out.mkdir()
        out.chmod(0o555)
        yield out
        out.chmod(0o755)
    elif can_mount():
        with tmpfs(out, "1m"):
            remount_read_only(out)
            yield out
    else:
        pytest.skip("running as root without CAP_SYS_ADMIN: cannot make a folder root cannot write")


def test_an_unwritable_out_folder_fails_and_names_the_fix(install, read_only_out):
    landing, _ = install
    checks = by_name(doctor.run_checks(landing, read_only_out))
    out_check = checks["out folder"]
    assert out_check.failed and "not writable" in out_check.detail
    assert "writable" in out_check.fix and "FUNNEL_OUT_DIR" in out_check.fix
    assert checks["private warehouse folder"].failed  # <out>/private would be created inside it

    result = runner.invoke(app, ["doctor", "--landing", str(landing), "--out", str(read_only_out)])
    assert result.exit_code == 1
    assert "FUNNEL_OUT_DIR" in squashed(result.output)


def test_an_unreachable_postgres_fails_names_the_fix_and_never_prints_the_password(install, monkeypatch):
    landing, out = install
    url = f"postgresql://funnel:{urllib.parse.quote(PASSWORD, safe='')}@127.0.0.1:{closed_port()}/warehouse"
    monkeypatch.setenv("FUNNEL_POSTGRES_URL", url)
    checks = by_name(doctor.run_checks(landing, out))
    pg = checks["postgres"]
    assert pg.failed and "unreachable" in pg.detail and "funnel@127.0.0.1" in pg.detail
    assert "start the server or fix host/port in FUNNEL_POSTGRES_URL" in pg.fix

    result = runner.invoke(app, ["doctor", "--landing", str(landing), "--out", str(out)])
    assert result.exit_code == 1
    assert_no_secret(result.output, PASSWORD)


def assert_no_secret(output: str, password: str) -> None:
    flat = squashed(output)
    for form in (password, urllib.parse.quote(password, safe=""), urllib.parse.quote(password), "xyzzy"):
        assert form not in output and form not in flat, f"the password ({form!r}) was printed"


def test_a_reachable_postgres_passes_and_its_password_is_not_printed(install, postgres_server, monkeypatch):
    landing, out = install
    monkeypatch.setenv("FUNNEL_POSTGRES_URL", postgres_server.url)
    pg = by_name(doctor.run_checks(landing, out))["postgres"]
    assert pg.status == "OK", pg
    assert "PostgreSQL 15" in pg.detail and "may create schemas" in pg.detail

    result = runner.invoke(app, ["doctor", "--landing", str(landing), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert_no_secret(result.output, postgres_server.password)


def test_a_wrong_postgres_password_is_named_without_printing_it(postgres_server):
    wrong = postgres_server.url.replace(urllib.parse.quote(postgres_server.password, safe=""),
                                        urllib.parse.quote("Wr0ng:xyzzy@pw", safe=""))
    pg = doctor.check_postgres(wrong)
    assert pg.failed and "password" in pg.fix
    assert "Wr0ng" not in pg.detail + pg.fix and postgres_server.password not in pg.detail


def test_a_running_build_is_reported_with_its_pid(install):
    _, out = install
    from orchestration.settings import load_settings

    settings = load_settings(Path("/nonexistent/funnel.yml"), out_dir=out)
    with build_lock(settings.private_dir):
        check = doctor.check_warehouse(settings)
    assert check.failed and f"pid {os.getpid()}" in check.detail and "wait for it to finish" in check.fix
    assert doctor.check_warehouse(settings).status == "OK"


def test_a_damaged_published_file_fails_with_rollback_as_the_fix(install):
    _, out = install
    from orchestration.settings import load_settings

    (out / "funnel.duckdb").write_bytes(b"not a duckdb file" * 100)
    check = doctor.check_published(load_settings(Path("/nonexistent/funnel.yml"), out_dir=out))
    assert check.failed and "funnel rollback" in check.fix


@pytest.mark.parametrize("url, ok", [
    ("https://oapi.dingtalk.com/robot/send?access_token=tok3n", True),
    ("http://127.0.0.1:8099/hook", True),
    ("hooks.slack.com/services/T0/B0/tok3n", False),  # no scheme
    ("https://hooks.slack.com/services/T0/B0/tok3n ", False),  # a pasted trailing space
    ("https://hooks.slack.com:port/services/tok3n", False),
    ("ftp://example.com/tok3n", False),
])
def test_the_webhook_url_is_checked_but_never_shown(url, ok):
    check = doctor.check_webhook(url)
    assert (check.status == "OK") is ok, check
    assert "tok3n" not in check.detail + check.fix
    assert ok or "FUNNEL_WEBHOOK_URL" in check.fix


def test_invalid_settings_fail_with_the_settings_message_and_the_other_checks_still_run(install, monkeypatch):
    landing, out = install
    monkeypatch.setenv("FUNNEL_BASE_CURRENCY", "dollars")
    checks = by_name(doctor.run_checks(landing, out))
    assert checks["settings"].failed and "ISO 4217" in checks["settings"].fix
    assert checks["landing folder"].status == "OK" and checks["published warehouse"].status == "OK"


def test_versions_that_differ_from_the_lock_fail_with_make_install(tmp_path):
    lock = tmp_path / "uv.lock"
    text = (doctor.PROJECT_ROOT / "uv.lock").read_text()
    lock.write_text(text.replace('name = "dagster"\nversion = "', 'name = "dagster"\nversion = "0.0.1-was-'))
    check = doctor.check_versions(lock)
    assert check.failed and "dagster" in check.detail and "make install" in check.fix
    assert doctor.check_versions().status == "OK"


def test_too_little_free_space_fails(install):
    _, out = install
    from orchestration.settings import load_settings

    free = shutil.disk_usage(out).free
    check = doctor.check_disk_space(load_settings(Path("/nonexistent/funnel.yml"), out_dir=out), free * 2)
    assert check.failed and "free at least" in check.fix
