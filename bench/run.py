"""Performance harness: floor (plain DuckDB SQL) vs funnel-warehouse (full build) vs pandas.

    .venv/bin/python bench/run.py --sizes S M --reps 3

Data is generated once per size with the project's generator (L: M tiled ten times, bench/tile.py) and cached in $FUNNEL_BENCH_DATA
(default /tmp/funnel_bench/<size>/landing). Every contender runs as its own process on the same
files; contenders alternate within each repetition (the order rotates between repetitions). Wall
time, CPU (user+sys of the process tree, from os.wait4) and peak RSS are recorded per run. The three
outputs are compared (floor = pandas = marts of the built warehouse) before any timing is reported.
The build is followed by an empty re-delivery (no new file: the fixed overhead) and a one-day delta
(one more day of leads, activities and form submissions, as new files), on the first repetition unless --delta-reps says more.
Results: bench/results/<timestamp>.json and the generated section of docs/benchmarks.md (bench/report.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from report import markdown, summarize, write_docs

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
SIZES = {"S": 10_000, "M": 1_000_000, "L": 10_000_000}
COHORT_STAGES = ("lead", "qualified", "discovery", "proposal", "negotiation", "won")
# not "_bench_delta": the ingest skips `_`-folders, so until session 8 the "delta" rebuild loaded
# nothing and timed a second empty night (the delta run now checks the rows it loaded)
DELTA_DIR = "bench_delta"


def data_root() -> Path:
    return Path(os.environ.get("FUNNEL_BENCH_DATA", "/tmp/funnel_bench"))


def ensure_data(size: str) -> Path:
    base = data_root() / size
    landing, marker = base / "landing", base / ".complete"
    if not marker.exists():
        shutil.rmtree(landing, ignore_errors=True)
        landing.parent.mkdir(parents=True, exist_ok=True)
        t = time.monotonic()
        if size == "L":  # M ten times over (bench/tile.py): the generator would take ~100 min here
            from tile import tile

            print(f"[L] tiling M ×10 into {landing} …", flush=True)
            tile(ensure_data("M"), landing, 10)
        else:
            print(f"[{size}] generating {SIZES[size]:,} leads into {landing} …", flush=True)
            subprocess.run([str(ROOT / ".venv/bin/funnel"), "generate", "--out", str(landing),
                            "--leads", str(SIZES[size]), "--seed", "42"], check=True, cwd=ROOT)
        marker.write_text(json.dumps({"seconds": time.monotonic() - t}))
    return landing


def timed(cmd: list[str], log: Path) -> dict:
    """Run cmd; wall, CPU (user+sys incl. reaped descendants) and peak RSS of its tree via wait4."""
    with open(log, "w") as fh:
        t = time.monotonic()
        p = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - t
    return {"wall_s": round(wall, 3), "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
            "user_s": round(ru.ru_utime, 3), "sys_s": round(ru.ru_stime, 3),
            "peak_rss_mb": round(ru.ru_maxrss / 1024, 1), "rc": p.returncode}


def run_contender(name: str, landing: Path, work: Path, out_dir: Path | None = None) -> tuple[dict, dict]:
    res_file = work / f"{name}.json"
    res_file.unlink(missing_ok=True)
    script = str(ROOT / "bench" / "contenders.py")
    if name == "build":
        cmd = [PY, script, "build", str(landing), str(out_dir), str(res_file)]
    else:
        cmd = [PY, script, name, str(landing), str(res_file)]
    fig = timed(cmd, work / f"{name}.log")
    out = json.loads(res_file.read_text()) if res_file.exists() else {}
    if fig["rc"] != 0 and not out:
        raise RuntimeError(f"{name} failed (rc {fig['rc']}); see {work / (name + '.log')}")
    return fig, out


def warehouse_outputs(out_dir: Path) -> tuple[dict, str]:
    """Cohort funnel and lead→qualified by lead source from the published file (or, when the build
    failed after dbt, from the private warehouse, said so in the second value)."""
    import duckdb

    pub = out_dir / "funnel.duckdb"
    path, src = (pub, "published") if pub.exists() else (out_dir / "private" / "warehouse.duckdb", "private (not published)")
    con = duckdb.connect(str(path), read_only=True)
    try:
        stages = ", ".join(f"'{s}'" for s in COHORT_STAGES)
        cohort = {f"{str(m)[:7]}|{s}": int(n) for m, s, n in con.execute(
            f"select cohort_month, stage_key, reached_count from marts.mart_funnel_cohort where stage_key in ({stages})").fetchall()}
        conv = {f"{str(m)[:7]}|{v}": [int(a), int(b)] for m, v, a, b in con.execute(
            "select period_month, dimension_value, entity_count, converted_count from marts.mart_conversion_by_dimension "
            "where metric_key = 'lead_to_qualified' and dimension = 'lead_source'").fetchall()}
    finally:
        con.close()
    return {"cohort": cohort, "conversion": conv}, src


def diff(a: dict, b: dict) -> list[str]:
    out = []
    for part in ("cohort", "conversion"):
        x, y = a.get(part, {}), b.get(part, {})
        for k in sorted(set(x) | set(y)):
            if x.get(k) != y.get(k):
                out.append(f"{part} {k}: {x.get(k)} vs {y.get(k)}")
    return out


def write_delta(landing: Path) -> tuple[Path, int]:
    """One more day of every event-like source: the last day's rows as new records, one day later.

    Lead.csv (new ids and emails, not converted), Task.csv (new activity ids, on the same records)
    and each Tally form export (new submission ids). Returns the folder and the number of rows.
    """
    import duckdb

    def ts_plus_day(c: str) -> str:
        return f"case when {quote(c)} <> '' then strftime({quote(c)}::timestamp + interval 1 day, '%Y-%m-%d %H:%M:%S') else '' end"

    # characters 7-9 (the id counter's leading zeros): character 6 is the copy digit of L's tiles
    # (bench/tile.py), which replacing characters 6-8 collapsed into ten equal ids per record
    salesforce_id = "substr({c}, 1, 6) || 'ZZZ' || substr({c}, 10)"
    plans = [
        ("salesforce/Lead.csv", "CreatedDate", "IsDeleted = '0'", {
            "Id": salesforce_id.format(c="Id"),
            "Email": "case when Email <> '' then 'delta.' || Email else Email end",
            "CreatedDate": ts_plus_day("CreatedDate"),
            "LastModifiedDate": ts_plus_day("CreatedDate"),
            "SystemModstamp": ts_plus_day("CreatedDate"),
            "IsConverted": "'0'", "ConvertedDate": "''", "ConvertedAccountId": "''", "ConvertedContactId": "''",
            "ConvertedOpportunityId": "''",
            "Status": "case when IsConverted = '1' then 'Working' else Status end",
            "LastActivityDate": "''",
        }),
        ("salesforce/Task.csv", "CreatedDate", "IsDeleted = '0'", {
            "Id": salesforce_id.format(c="Id"),
            **{c: ts_plus_day(c) for c in ("ActivityDate", "CreatedDate", "LastModifiedDate", "SystemModstamp",
                                           "CompletedDateTime")},
        }),
        *[(f"forms/{form.name}", "Submitted at", "true", {
            "Submission ID": "'delta-' || \"Submission ID\"",
            "Respondent ID": "'delta-' || \"Respondent ID\"",
            "Submitted at": ts_plus_day("Submitted at"),
        }) for form in sorted((landing / "forms").glob("tally_*.csv"))],
    ]
    dest_dir = landing / DELTA_DIR
    dest_dir.mkdir(exist_ok=True)
    con = duckdb.connect()
    total = 0
    for rel, day_column, keep, repl in plans:
        src = (landing / rel).as_posix()
        dest = dest_dir / Path(rel).name
        read = f"read_csv('{src}', all_varchar=true)"
        cols = [r[0] for r in con.execute(f"describe select * from {read}").fetchall()]
        sel = ", ".join(f"{repl.get(c, quote(c))} as {quote(c)}" for c in cols)
        last_day = f"(select max({quote(day_column)}[:10]) from {read})"
        con.execute(f"""
            copy (select {sel} from {read} where {keep} and {quote(day_column)}[:10] = {last_day})
            to '{dest.as_posix()}' (header, force_quote *, quote '"')""")
        total += con.execute(f"select count(*) from read_csv('{dest.as_posix()}', all_varchar=true)").fetchone()[0]
    con.close()
    return dest_dir, total


def delta_rows_loaded(out_dir: Path) -> int:
    """Rows the build loaded from the delta's files (raw._load_manifest of the private warehouse)."""
    import duckdb

    with duckdb.connect(str(out_dir / "private" / "warehouse.duckdb"), read_only=True) as con:
        return int(con.execute("select coalesce(sum(rows_loaded), 0) from raw._load_manifest "
                               "where source_file like ?", [f"{DELTA_DIR}/%"]).fetchone()[0])


def quote(c: str) -> str:
    return '"' + c.replace('"', '""') + '"'


def machine() -> dict:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem = next((l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")), "0")
    return {"nproc": os.cpu_count(), "cpu_model": cpu, "mem_gb": round(int(mem) / 1024 / 1024, 1),
            "loadavg": list(os.getloadavg()), "python": platform.python_version(), "platform": platform.platform()}


def bench_size(size: str, reps: int, delta_reps: int, contenders: list[str],
               nights: tuple[str, ...] = ("empty", "delta")) -> dict:
    landing = ensure_data(size)
    work = data_root() / size / "work"
    work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(landing / DELTA_DIR, ignore_errors=True)
    runs: list[dict] = []
    checks: list[dict] = []
    for rep in range(reps):
        order = contenders[rep % len(contenders):] + contenders[:rep % len(contenders)]
        outputs = {}
        for name in order:
            out_dir = data_root() / size / f"out_rep{rep}"
            if name == "build":
                shutil.rmtree(out_dir, ignore_errors=True)
            load = os.getloadavg()[0]
            fig, out = run_contender(name, landing, work, out_dir if name == "build" else None)
            row = {"size": size, "rep": rep, "contender": name, "kind": "full", "load1": load, **fig}
            if name == "build":
                row.update(success=out.get("success"), failures=out.get("failures"),
                           failed_checks=out.get("failed_checks"), steps=out.get("steps"),
                           import_s=out.get("import_seconds"), dbt_top_nodes=out.get("dbt_top_nodes"),
                           dbt_nodes=out.get("dbt_nodes"), dbt_node_seconds_total=out.get("dbt_node_seconds_total"))
                try:
                    outputs["warehouse"], src = warehouse_outputs(out_dir)
                except Exception as exc:  # build failed before dbt built the marts: nothing to compare
                    src = f"none ({type(exc).__name__})"
                row["compared_against"] = src
            else:
                outputs[name] = out
            runs.append(row)
            print(f"[{size}] rep {rep} {name:6s} wall {fig['wall_s']:8.2f}s cpu {fig['cpu_s']:8.2f}s "
                  f"rss {fig['peak_rss_mb']:7.1f}MB load {load:.1f}", flush=True)
        names = list(outputs)
        cmp = {"size": size, "rep": rep, "pairs": {}}
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                d = diff(outputs[a], outputs[b])
                cmp["pairs"][f"{a}={b}"] = "identical" if not d else d[:20]
        cmp["cells"] = {k: {"cohort": len(v["cohort"]), "conversion": len(v["conversion"])} for k, v in outputs.items()}
        checks.append(cmp)
        print(f"[{size}] rep {rep} outputs: {cmp['pairs']}", flush=True)
        if "build" in contenders and rep < delta_reps and runs[-len(order):] and all(
                r.get("success", True) for r in runs[-len(order):]):
            out_dir = data_root() / size / f"out_rep{rep}"
            for kind in nights:
                delta_rows = None
                if kind == "delta":
                    _, delta_rows = write_delta(landing)
                try:
                    load = os.getloadavg()[0]
                    fig, out = run_contender("build", landing, work, out_dir)
                finally:
                    shutil.rmtree(landing / DELTA_DIR, ignore_errors=True)
                loaded = delta_rows_loaded(out_dir) if kind == "delta" else None
                runs.append({"size": size, "rep": rep, "contender": "build", "kind": kind, "load1": load,
                             "delta_rows": delta_rows, "delta_rows_loaded": loaded, **fig, "success": out.get("success"),
                             "failures": out.get("failures"), "steps": out.get("steps"),
                             "dbt_top_nodes": out.get("dbt_top_nodes"), "dbt_nodes": out.get("dbt_nodes"),
                             "dbt_node_seconds_total": out.get("dbt_node_seconds_total")})
                print(f"[{size}] rep {rep} build/{kind} wall {fig['wall_s']:8.2f}s cpu {fig['cpu_s']:8.2f}s "
                      f"rss {fig['peak_rss_mb']:7.1f}MB (delta rows written {delta_rows}, loaded {loaded})", flush=True)
                if kind == "delta" and loaded != delta_rows:
                    print(f"[{size}] WARNING: the delta wrote {delta_rows} rows but the build loaded {loaded}", flush=True)
    return {"landing": str(landing), "landing_bytes": sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()),
            "leads": SIZES[size], "runs": runs, "checks": checks}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", default=["S"], choices=list(SIZES))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--delta-reps", type=int, default=1, help="repetitions that also time empty and +1-day rebuilds")
    ap.add_argument("--nights", nargs="+", default=["empty", "delta"], choices=["empty", "delta"],
                    help="rebuilds timed after the full build (with --delta-reps); L: empty alone takes minutes, the delta most of a full build")
    ap.add_argument("--contenders", nargs="+", default=["floor", "build", "pandas"])
    ap.add_argument("--reps-for", nargs="*", default=[], help="per-size override, e.g. M=1")
    ap.add_argument("--no-docs", action="store_true")
    a = ap.parse_args()
    per_size = dict(x.split("=") for x in a.reps_for)
    ts = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    result = {"timestamp": ts, "command": " ".join([".venv/bin/python", "bench/run.py", *sys.argv[1:]]),
              "machine": machine(), "sizes": {}}
    for size in a.sizes:
        result["sizes"][size] = bench_size(size, int(per_size.get(size, a.reps)), a.delta_reps, a.contenders,
                                           tuple(a.nights))
    result["loadavg_end"] = list(os.getloadavg())
    result["summary"] = summarize(result)
    out = ROOT / "bench" / "results" / f"{ts}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str))
    md = markdown(result)
    if not a.no_docs:
        write_docs(md)
    print(md)
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
