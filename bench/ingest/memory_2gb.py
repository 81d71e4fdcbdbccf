"""Peak memory of ingesting one large Salesforce Lead.csv (default 2 GB) — bounded, not growing with size.

    .venv/bin/python bench/ingest/memory_2gb.py --gb 2 [--work /tmp/funnel_mem]

Writes the file streaming (never in memory), ingests it in a child process with the warehouse's
DuckDB memory limit, and reports wall time, CPU time and the child's peak RSS from wait4().
Results go to bench/ingest/results.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HEADER = ["Id", "IsDeleted", "FirstName", "LastName", "Company", "Email", "Phone", "LeadSource", "Status",
          "Industry", "AnnualRevenue", "NumberOfEmployees", "OwnerId", "IsConverted", "ConvertedDate",
          "ConvertedOpportunityId", "ConvertedAccountId", "CreatedDate", "Description"]


def write_leads(path: Path, target_bytes: int) -> int:
    rows = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(HEADER)
        while f.tell() < target_bytes:
            for _ in range(10_000):
                rows += 1
                w.writerow([f"00Q{rows:015d}", "0", "Ann", f"Lee{rows % 997}", f"Company {rows % 50_000}",
                            f"user{rows}@example.com", f"(415) 555-{rows % 10_000:04d}", "Web", "Working",
                            "Technology", "1200000", "250", "005000000000000AAA", "0", "", "000000000000000AAA",
                            "", f"2026-0{1 + rows % 6}-1{rows % 9} 10:00:00", "x" * 40])
    return rows


CHILD = """
import sys, time
from pathlib import Path
from orchestration.ingest.run import ingest_landing
from orchestration.warehouse import connect
con = connect(Path(sys.argv[2]), memory_limit=sys.argv[3], threads=2)
report = ingest_landing(con, Path(sys.argv[1]))
assert not report.errors, report.errors
r = report.loaded[0]
print(r.rows_read, r.rows_loaded, r.rows_quarantined)
"""


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--gb", type=float, default=2.0)
    p.add_argument("--work", type=Path, default=Path(os.environ.get("FUNNEL_BENCH_DATA", "/tmp/funnel_mem")))
    p.add_argument("--memory-limit", default="1GB")
    args = p.parse_args()
    landing = args.work / "landing"
    landing.mkdir(parents=True, exist_ok=True)
    leads = landing / "Lead.csv"
    if not leads.exists() or leads.stat().st_size < args.gb * 1e9 * 0.99:
        rows_written = write_leads(leads, int(args.gb * 1e9))
    else:
        rows_written = None
    wh = args.work / "warehouse.duckdb"
    wh.unlink(missing_ok=True)
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(landing), str(wh), args.memory_limit],
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    read, loaded, quarantined = (int(x) for x in out.split())
    result = {
        "file_bytes": leads.stat().st_size, "rows_written": rows_written, "rows_read": read, "rows_loaded": loaded,
        "rows_quarantined": quarantined, "wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1), "duckdb_memory_limit": args.memory_limit,
        "exit_status": status, "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(),
                                            "python": platform.python_version()},
    }
    print(json.dumps(result, indent=2))
    (Path(__file__).parent / "results.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
