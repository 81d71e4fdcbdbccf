"""``funnel docs``: generate the dbt docs site (lineage, every mart and column) and serve it locally.

The dbt YAML is where marts are documented; ``dbt docs generate`` turns it into a browsable site
in ``dbt_project/target`` (``index.html`` + ``manifest.json`` + ``catalog.json``). The catalog's
column types come from the private warehouse, so a built warehouse gives the fullest site; without
one the site is generated against a throw-away empty database (descriptions and lineage, no types)
instead of creating an empty warehouse file as a side effect. Served on 127.0.0.1 only: the docs
describe the private layers (raw, staging) and are not meant for the network.
"""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR


class DocsError(RuntimeError):
    """dbt could not generate the docs; the message holds the end of dbt's output."""


def generate_docs(warehouse: Path | None, *, target_path: Path | None = None,
                  project_dir: Path = DBT_PROJECT_DIR, dbt: str | None = None) -> Path:
    """Run ``dbt docs generate``; return the folder holding ``index.html``."""
    from orchestration.transform.project import dbt_executable

    dbt = dbt or dbt_executable()
    target = (target_path or project_dir / "target").resolve()
    with tempfile.TemporaryDirectory(prefix="funnel-docs-") as scratch:
        db = warehouse if warehouse is not None and warehouse.exists() else Path(scratch) / "empty.duckdb"
        env = {**os.environ, "FUNNEL_WAREHOUSE_PATH": str(Path(db).resolve())}
        cmd = [dbt, "docs", "generate", "--project-dir", str(project_dir),
               "--profiles-dir", str(project_dir), "--target-path", str(target)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=project_dir)
    if proc.returncode != 0 or not (target / "index.html").exists():
        raise DocsError(f"dbt docs generate failed (exit {proc.returncode}); if a build is running, the warehouse "
                        f"is locked — try again when it is done.\n{proc.stdout[-3000:]}\n{proc.stderr[-1500:]}")
    return target


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's signature
        pass


def docs_server(directory: Path, port: int = 8080, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server for ``directory`` on loopback (``port=0`` picks a free port); call ``serve_forever``."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    return ThreadingHTTPServer((host, port), handler)
