"""Dependency audit against PyPI's vulnerability data, for the packages pinned in uv.lock.

    .venv/bin/python bench/security/audit_deps.py      # writes bench/security/audit.json

pip-audit could not run here (its per-release PyPI endpoint answers 404 from this network and
OSV is unreachable; docs/reliability.md). What this network does serve is PyPI's per-project JSON,
whose `vulnerabilities` field lists the advisories (PYSEC/GHSA/OSV ids, with `fixed_in`) that
affect the project's *latest* release. So, per pinned package:
  * pin == latest release: the advisories listed are exactly the ones affecting our pin;
  * pin older than latest: the pin is reported as not audited (an advisory fixed before the latest
    release is no longer listed there), unless a listed advisory's fixed_in shows it affects us.
"""

from __future__ import annotations

import json
import sys
import tomllib
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def pinned() -> list[tuple[str, str]]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return sorted((p["name"], p["version"]) for p in lock["package"] if "version" in p
                  and p.get("source", {}).get("registry"))


def project(name: str) -> dict:
    with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=30) as resp:
        return json.load(resp)


def audit(item: tuple[str, str]) -> dict:
    name, version = item
    try:
        data = project(name)
    except Exception as exc:  # noqa: BLE001 - recorded, never hidden
        return {"package": name, "pinned": version, "status": "error", "error": f"{type(exc).__name__}: {exc}"}
    latest = data["info"]["version"]
    vulns = [{"id": v.get("id"), "aliases": v.get("aliases"), "fixed_in": v.get("fixed_in"),
              "summary": (v.get("summary") or v.get("details") or "")[:200]} for v in data.get("vulnerabilities") or []]
    if version == latest:
        status = "vulnerable" if vulns else "no known vulnerabilities"
    else:
        status = "not audited (pin older than latest release)"
    return {"package": name, "pinned": version, "latest": latest, "status": status, "vulnerabilities": vulns}


def main() -> None:
    items = pinned()
    with ThreadPoolExecutor(max_workers=8) as pool:
        rows = list(pool.map(audit, items))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    out = {"generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "source": "https://pypi.org/pypi/<project>/json (vulnerabilities of the latest release)",
           "packages": len(rows), "summary": counts, "results": rows}
    (Path(__file__).with_name("audit.json")).write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(json.dumps(counts, indent=1))
    for r in rows:
        if r["status"] in ("vulnerable", "error"):
            print(r["package"], r["pinned"], r["status"], [v["id"] for v in r.get("vulnerabilities", [])], r.get("error", ""))
    sys.exit(1 if counts.get("vulnerable") else 0)


if __name__ == "__main__":
    main()
