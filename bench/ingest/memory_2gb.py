"""Peak memory of ingesting one large Salesforce Lead.csv (default 2 GB) — bounded, not growing with size.

    .venv/bin/python bench/ingest/memory_2gb.py --gb 2 [--work /tmp/funnel_mem]
    .venv/bin/python bench/ingest/memory_2gb.py --gb 0.5

Writes the file streaming (never in memory; kept in <work>/landing_<gb>gb/ for the next run),
ingests it in a child process through ``ingest_landing`` on a warehouse opened as the pipeline
opens it (DuckDB memory limit 4GB by default, 2 threads; the ingest lowers it to its own budget,
``FUNNEL_INGEST_MEMORY_LIMIT``, 256MB by default), and reports wall time, CPU time and the child's
peak RSS from wait4() (imports included). Results go to bench/ingest/results.json, one entry per
size (other sizes' entries are kept).
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
from orchestration.ingest.memory import ingest_memory_limit
from orchestration.ingest.run import ingest_landing
from orchestration.warehouse import connect
con = connect(Path(sys.argv[2]), memory_limit=sys.argv[3], threads=2)
report = ingest_landing(con, Path(sys.argv[1]), memory_limit=sys.argv[4] or None)
assert not report.errors, report.errors
r = report.loaded[0]
n = con.execute("select count(*) from raw.crm_leads").fetchone()[0]
assert n == r.rows_loaded, (n, r.rows_loaded)
con.close()
print(r.rows_read, r.rows_loaded, r.rows_quarantined, sys.argv[4] or ingest_memory_limit())
"""


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--gb", type=float, default=2.0)
    p.add_argument("--work", type=Path, default=Path(os.environ.get("FUNNEL_BENCH_DATA", "/tmp/funnel_mem")))
    p.add_argument("--memory-limit", default="4GB", help="the warehouse connection's DuckDB limit (pipeline default)")
    p.add_argument("--ingest-memory-limit", default="",
                   help="the ingest's budget (default: FUNNEL_INGEST_MEMORY_LIMIT, else 256MB)")
    args = p.parse_args()
    landing = args.work / f"landing_{args.gb:g}gb"
    landing.mkdir(parents=True, exist_ok=True)
    leads = landing / "Lead.csv"
    if not leads.exists() or abs(leads.stat().st_size - args.gb * 1e9) > args.gb * 1e9 * 0.01:
        rows_written = write_leads(leads, int(args.gb * 1e9))
    else:
        rows_written = None
    wh = args.work / "warehouse.duckdb"
    for leftover in (wh, wh.with_name(wh.name + ".wal")):
        leftover.unlink(missing_ok=True)
    load_before = os.getloadavg()
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(landing), str(wh), args.memory_limit,
                             args.ingest_memory_limit], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    read, loaded, quarantined, budget = out.split()
    import duckdb  # the DuckDB the child ran (after the child: not in its RSS, not in this process' timing)
    result = {
        "gb": args.gb, "file_bytes": leads.stat().st_size, "rows_written": rows_written, "rows_read": int(read),
        "rows_loaded": int(loaded), "rows_quarantined": int(quarantined), "wall_s": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "duckdb_memory_limit": args.memory_limit, "ingest_memory_limit": budget, "exit_status": status,
        "measured_at": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "load_average_start": [round(x, 2) for x in load_before],
                    "load_average_end": [round(x, 2) for x in os.getloadavg()],
                    "python": platform.python_version(), "duckdb": duckdb.__version__},
    }
    print(json.dumps(result, indent=2))
    path = Path(__file__).parent / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results.setdefault("runs", {})[f"{args.gb:g}gb"] = result
    path.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
