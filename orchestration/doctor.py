"""``funnel doctor``: is this installation able to run tonight's build? One function per check.

Each check returns a :class:`Check` with what it found and, when it fails, one line saying how to
fix it — for the person on call before the 2 a.m. schedule, not after. Checks never write outside
a temp file they delete, never take the build lock, and never print a secret: the Postgres URL is
shown as ``user@host:port/db`` and any error text is scrubbed of its password; the webhook URL is
shown only as its kind (Slack, WeCom, DingTalk, generic).
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT, Settings, SettingsError

OK, FAIL, SKIP = "OK", "FAIL", "SKIP"
LOCKED_PACKAGES = ("dagster", "dbt-core", "dbt-duckdb", "duckdb", "great-expectations")
MIN_FREE_BYTES = 1 << 30  # 1 GiB, or three times the warehouse files if that is more
GiB = float(1 << 30)


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # OK | FAIL | SKIP
    detail: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.status == FAIL


# ---------------------------------------------------------------------------------------- settings
def check_settings(landing: Path | None = None, out: Path | None = None) -> tuple[Check, Settings]:
    """Validate the settings; on failure the other checks still run on the paths that were given."""
    from orchestration.settings import load_settings

    try:
        settings = load_settings(landing_dir=landing, out_dir=out)
    except SettingsError as exc:
        fallback = Settings()
        paths = {"landing_dir": landing or os.environ.get("FUNNEL_LANDING_DIR"),
                 "out_dir": out or os.environ.get("FUNNEL_OUT_DIR")}
        fallback = replace(fallback, **{k: Path(v) for k, v in paths.items() if v})
        fallback = replace(fallback, postgres_url=os.environ.get("FUNNEL_POSTGRES_URL") or None,
                           webhook_url=os.environ.get("FUNNEL_WEBHOOK_URL") or None)
        return Check("settings", FAIL, "invalid", f"{exc} (funnel.yml, $FUNNEL_SETTINGS or FUNNEL_* variables)"), fallback
    source = os.environ.get("FUNNEL_SETTINGS") or ("funnel.yml" if Path("funnel.yml").is_file() else "defaults")
    return Check("settings", OK, f"valid ({source} + environment)"), settings


# ---------------------------------------------------------------------------------------- folders
def check_landing(landing_dir: Path) -> Check:
    from orchestration.ingest.files import discover_files

    if not landing_dir.exists():
        return Check("landing folder", FAIL, f"{landing_dir} does not exist",
                     f"create it or point FUNNEL_LANDING_DIR / --landing at the folder the exports are dropped in")
    if not landing_dir.is_dir():
        return Check("landing folder", FAIL, f"{landing_dir} is not a folder",
                     "point FUNNEL_LANDING_DIR / --landing at a folder, not a file")
    try:
        files = discover_files(landing_dir)
    except OSError as exc:
        return Check("landing folder", FAIL, f"{landing_dir} cannot be read ({exc.strerror or exc})",
                     f"give the user running the build read access: chmod -R u+rX {landing_dir}")
    unreadable = [f for f in files if not os.access(f, os.R_OK)]
    if unreadable:
        return Check("landing folder", FAIL, f"{len(unreadable)} of {len(files)} file(s) unreadable, e.g. "
                     f"{unreadable[0].relative_to(landing_dir)}", f"chmod -R u+rX {landing_dir}")
    return Check("landing folder", OK, f"{landing_dir}: {len(files)} file(s)"
                 + ("" if files else " (nothing delivered yet)"))


def _existing_ancestor(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _writable(name: str, folder: Path, env: str) -> Check:
    """Write and delete a temp file there (os.access lies for root and read-only mounts)."""
    target = folder if folder.exists() else _existing_ancestor(folder)
    if not target.is_dir():
        return Check(name, FAIL, f"{target} is not a folder", f"remove {target} or point {env} elsewhere")
    try:
        with tempfile.NamedTemporaryFile(dir=target, prefix=".funnel-doctor-") as f:
            f.write(b"ok")
            f.flush()
    except OSError as exc:
        return Check(name, FAIL, f"{target} is not writable ({exc.strerror or exc})",
                     f"make {target} writable for the user running the build (chmod u+w, or remount read-write), "
                     f"or point {env} at a writable folder")
    note = "" if folder.exists() else f" (will be created under {target})"
    return Check(name, OK, f"{folder} writable{note}")


def check_out_writable(settings: Settings) -> Check:
    return _writable("out folder", settings.out_dir, "FUNNEL_OUT_DIR / --out")


def check_private_writable(settings: Settings) -> Check:
    return _writable("private warehouse folder", settings.private_dir, "FUNNEL_WAREHOUSE_PATH")


def check_disk_space(settings: Settings, min_free_bytes: int = MIN_FREE_BYTES) -> Check:
    """A build writes a new warehouse version and a published copy next to the old ones."""
    used = sum(p.stat().st_size for p in (settings.warehouse, settings.published) if p.is_file())
    need = max(min_free_bytes, 3 * used)
    problems, seen = [], {}
    for folder in {settings.out_dir, settings.private_dir}:
        base = _existing_ancestor(folder)
        usage = shutil.disk_usage(base)
        seen[str(base)] = usage.free
        if usage.free < need:
            problems.append(f"{base}: {usage.free / GiB:.2f} GiB free")
    if problems:
        return Check("free disk space", FAIL, "; ".join(problems) + f" (need {need / GiB:.1f} GiB)",
                     f"free at least {need / GiB:.1f} GiB (e.g. lower FUNNEL_KEEP_VERSIONS, remove old "
                     f"<out>/versions) or move the out folder to a larger disk")
    return Check("free disk space", OK, ", ".join(f"{b}: {free / GiB:.1f} GiB free" for b, free in seen.items()))


# ---------------------------------------------------------------------------------------- versions
def locked_versions(lock_path: Path = PROJECT_ROOT / "uv.lock") -> tuple[str | None, dict[str, str]]:
    """``requires-python`` and the version of every package pinned in uv.lock."""
    data = tomllib.loads(lock_path.read_text(encoding="utf-8"))
    return data.get("requires-python"), {p["name"]: p["version"] for p in data.get("package", []) if "version" in p}


def check_versions(lock_path: Path = PROJECT_ROOT / "uv.lock") -> Check:
    """Installed versions against uv.lock, read from package metadata (nothing is imported)."""
    from packaging.specifiers import SpecifierSet

    python = ".".join(map(str, sys.version_info[:3]))
    installed = {}
    for name in LOCKED_PACKAGES:
        try:
            installed[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed[name] = None
    found = f"python {python}, " + ", ".join(f"{n} {v or 'missing'}" for n, v in installed.items())
    if not lock_path.is_file():
        missing = [n for n, v in installed.items() if v is None]
        if missing:
            return Check("versions", FAIL, found, f"install {', '.join(missing)} (pip install funnel-warehouse)")
        return Check("versions", OK, found + f" ({lock_path.name} not found: not compared)")
    requires, pinned = locked_versions(lock_path)
    wrong = []
    if requires and python not in SpecifierSet(requires):
        wrong.append(f"python {python} (lock: {requires})")
    wrong += [f"{n} {v or 'missing'} (lock: {pinned.get(n)})" for n, v in installed.items()
              if pinned.get(n) and v != pinned[n]]
    if wrong:
        return Check("versions", FAIL, "differ from uv.lock: " + ", ".join(wrong),
                     "reinstall the locked set: make install (uv sync --frozen) in the project folder")
    return Check("versions", OK, found + " (as in uv.lock)")


# ---------------------------------------------------------------------------------------- dbt
def check_dbt_parse(project_dir: Path = DBT_PROJECT_DIR) -> Check:
    """``dbt parse`` (only if a project file changed since the manifest, as every build does)."""
    from orchestration.transform.project import ensure_manifest

    try:
        manifest = ensure_manifest(project_dir)
    except (RuntimeError, OSError) as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reason = next((line for line in lines if "error" in line.lower() and "dbt parse failed" not in line),
                      lines[-1] if lines else "dbt parse failed")
        return Check("dbt parse", FAIL, reason[:300],
                     f"run `dbt parse --project-dir {project_dir} --profiles-dir {project_dir}` for the full "
                     f"error and fix the file it names")
    return Check("dbt parse", OK, f"{manifest} up to date")


# ---------------------------------------------------------------------------------------- warehouse files
def check_warehouse(settings: Settings) -> Check:
    """The private warehouse opens read-only and no build is writing it right now."""
    import duckdb

    from orchestration.lock import build_running

    path = settings.warehouse
    holder = build_running(settings.private_dir)
    if holder:
        return Check("private warehouse", FAIL, f"a build is running (pid {holder}) and holds {settings.private_dir / 'build.lock'}",
                     f"wait for it to finish (or stop pid {holder}), then run funnel doctor again")
    if not path.exists():
        return Check("private warehouse", OK, f"{path} not created yet (the first build creates it)")
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            tables = con.execute("select count(*) from duckdb_tables()").fetchone()[0]
        finally:
            con.close()
    except duckdb.Error as exc:
        text = str(exc).splitlines()[0][:200]
        if "lock" in text.lower():
            return Check("private warehouse", FAIL, f"{path} is held by another process: {text}",
                         "close the program holding it open for writing (a notebook, a DuckDB shell, a stuck build)")
        return Check("private warehouse", FAIL, f"{path} does not open: {text}",
                     f"move {path} aside and rebuild from the landing folder (funnel build re-creates it)")
    return Check("private warehouse", OK, f"{path} opens ({tables} tables)")


def check_published(settings: Settings) -> Check:
    """The file BI tools read opens read-only and carries a build id."""
    from orchestration.publish.catalog import open_published, read_build

    path = settings.published
    if not path.exists():
        return Check("published warehouse", OK, f"{path} not published yet (the first good build publishes it)")
    try:
        with open_published(path) as con:
            build = read_build(con)
    except Exception as exc:  # noqa: BLE001 - PublishedFileError, a DuckDB error: any reason is the finding
        return Check("published warehouse", FAIL, f"{path}: {str(exc).splitlines()[0][:200]}",
                     f"restore the previous version: funnel rollback --out {settings.out_dir}")
    return Check("published warehouse", OK, f"{path}: build {build.build_id}, {len(build.marts)} marts")


# ---------------------------------------------------------------------------------------- services
def describe_postgres_url(url: str) -> str:
    """``user@host:port/db`` — everything needed to recognise the target, never the password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - psycopg's message may quote the URL
        return "(unparseable URL)"
    host = parts.get("host") or "localhost"
    return f"{parts.get('user') or '?'}@{host}:{parts.get('port') or 5432}/{parts.get('dbname') or '?'}"


def _secrets_of(url: str) -> list[str]:
    import urllib.parse

    from psycopg.conninfo import conninfo_to_dict

    secrets = [url]
    try:
        password = conninfo_to_dict(url).get("password")
    except Exception:  # noqa: BLE001
        password = urllib.parse.urlsplit(url).password if "://" in url else None
    if password:
        secrets += [password, urllib.parse.quote(password, safe=""), urllib.parse.quote(password)]
    return sorted(set(secrets), key=len, reverse=True)


def scrub(text: str, secrets: list[str]) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return text


def check_postgres(url: str | None, timeout_s: int = 5) -> Check:
    """Connect, and check the user may create the schemas ``funnel publish`` swaps in."""
    if not url:
        return Check("postgres", SKIP, "FUNNEL_POSTGRES_URL not set (Postgres publishing off)")
    import psycopg

    target = describe_postgres_url(url)
    secrets = _secrets_of(url)
    try:
        with psycopg.connect(url, connect_timeout=timeout_s, autocommit=True,
                             application_name="funnel-warehouse doctor") as pg:
            version = pg.execute("show server_version").fetchone()[0]
            may_create = pg.execute("select has_database_privilege(current_user, current_database(), 'CREATE')").fetchone()[0]
    except Exception as exc:  # noqa: BLE001 - psycopg raises several kinds; each is reported, scrubbed
        reason = scrub(" ".join(str(exc).split()), secrets)[:240] or type(exc).__name__
        low = reason.lower()
        if "password" in low or "authentication" in low:
            fix = "check the user name and password in FUNNEL_POSTGRES_URL"
        elif "does not exist" in low:
            fix = "create the database (createdb) or fix its name in FUNNEL_POSTGRES_URL"
        else:
            fix = "start the server or fix host/port in FUNNEL_POSTGRES_URL; check the firewall allows this machine"
        return Check("postgres", FAIL, f"{target} unreachable: {reason}", fix)
    if not may_create:
        return Check("postgres", FAIL, f"{target}: PostgreSQL {version}, but the user may not create schemas",
                     "grant create on database <db> to <user> (funnel publish swaps in a new schema each night)")
    return Check("postgres", OK, f"{target}: PostgreSQL {version}, user may create schemas")


def check_webhook(url: str | None) -> Check:
    """Well-formed http(s) URL with a host; shown only as its kind, the URL itself is a credential."""
    import urllib.parse

    from orchestration.alerts.webhook import detect_flavor

    if not url:
        return Check("alert webhook", SKIP, "FUNNEL_WEBHOOK_URL not set (failure alerts only in the Dagster UI)")
    fix = "set FUNNEL_WEBHOOK_URL to the full https://… URL the chat tool gave you (no quotes or spaces)"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return Check("alert webhook", FAIL, "the URL contains whitespace or control characters", fix)
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises on a non-numeric port
    except ValueError:
        return Check("alert webhook", FAIL, "the URL does not parse", fix)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Check("alert webhook", FAIL, f"not an http(s) URL with a host (scheme {parts.scheme or 'missing'!r})", fix)
    kind = detect_flavor(url)
    return Check("alert webhook", OK, f"{kind} webhook, {parts.scheme} (URL not shown)")


# ---------------------------------------------------------------------------------------- all
def run_checks(landing: Path | None = None, out: Path | None = None, *, dbt_project_dir: Path = DBT_PROJECT_DIR,
               min_free_bytes: int = MIN_FREE_BYTES) -> list[Check]:
    """Every check, in the order a build needs them; a check that crashes is reported, not raised."""
    settings_check, s = check_settings(landing, out)
    steps: list[tuple[str, Callable[[], Check]]] = [
        ("landing folder", lambda: check_landing(s.landing_dir)),
        ("out folder", lambda: check_out_writable(s)),
        ("private warehouse folder", lambda: check_private_writable(s)),
        ("free disk space", lambda: check_disk_space(s, min_free_bytes)),
        ("versions", check_versions),
        ("dbt parse", lambda: check_dbt_parse(dbt_project_dir)),
        ("private warehouse", lambda: check_warehouse(s)),
        ("published warehouse", lambda: check_published(s)),
        ("postgres", lambda: check_postgres(s.postgres_url)),
        ("alert webhook", lambda: check_webhook(s.webhook_url)),
    ]
    results = [settings_check]
    for name, step in steps:
        try:
            results.append(step())
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            secrets = _secrets_of(s.postgres_url) if s.postgres_url else []
            text = scrub(f"{type(exc).__name__}: {exc}", secrets + ([s.webhook_url] if s.webhook_url else []))
            results.append(Check(name, FAIL, f"the check itself failed: {text[:200]}",
                                 "run funnel doctor again; if it repeats, report this line"))
    return results
