"""Table and column descriptions of the marts, taken from the dbt docs (``target/manifest.json``).

The dbt YAML beside each mart is the one place a mart is documented (grain, every column, en + zh
labels). Outputs that can carry documentation — Postgres comments, the Parquet manifest — copy it
from the manifest instead of keeping a second copy that would drift. A missing or unreadable
manifest only means no descriptions: it never blocks a publish.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR

log = logging.getLogger(__name__)
DEFAULT_MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


@dataclass(frozen=True)
class MartDoc:
    description: str = ""
    columns: dict[str, str] = field(default_factory=dict)


def mart_docs(manifest: Path | None = None, schema: str = "marts") -> dict[str, MartDoc]:
    """``{table name: MartDoc}`` for every dbt model materialized in ``schema``."""
    path = manifest or DEFAULT_MANIFEST
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("no dbt descriptions (%s unreadable: %s); publishing without comments", path, type(exc).__name__)
        return {}
    docs: dict[str, MartDoc] = {}
    for node in data.get("nodes", {}).values():
        if node.get("resource_type") != "model" or node.get("schema") != schema:
            continue
        name = node.get("alias") or node.get("name")
        columns = {c: (meta.get("description") or "").strip() for c, meta in (node.get("columns") or {}).items()}
        docs[name] = MartDoc((node.get("description") or "").strip(), {c: d for c, d in columns.items() if d})
    return docs
