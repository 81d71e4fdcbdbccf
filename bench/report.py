"""The report half of the benchmark harness (bench/run.py runs the contenders): per-size medians
and same-run ratios of a result, its Markdown table, and the generated section of
docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


STAGE_GROUPS = (("ingest", ("ingest",)), ("gx", ("gx", "quality", "check")), ("dbt", ("dbt",)),
                ("publish", ("publish",)))


def stage_breakdown(steps: dict | None) -> dict:
    out: dict[str, float] = {}
    for key, st in (steps or {}).items():
        if "seconds" not in st:
            continue
        group = next((g for g, words in STAGE_GROUPS if any(w in key.lower() for w in words)), "other:" + key)
        out[group] = round(out.get(group, 0) + st["seconds"], 1)
    return out


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2 if xs else None


def summarize(result: dict) -> dict:
    summary = {}
    for size, data in result["sizes"].items():
        s = {}
        for name in ("floor", "build", "pandas"):
            full = [r for r in data["runs"] if r["contender"] == name and r["kind"] == "full"]
            if full:
                s[name] = {m: median([r[m] for r in full]) for m in ("wall_s", "cpu_s", "peak_rss_mb")}
                s[name]["n"] = len(full)
        for kind in ("empty", "delta"):
            rs = [r for r in data["runs"] if r["contender"] == "build" and r["kind"] == kind]
            if rs:
                s[f"build_{kind}"] = {m: median([r[m] for r in rs]) for m in ("wall_s", "cpu_s", "peak_rss_mb")}
                s[f"build_{kind}"]["n"] = len(rs)
        # ratios per repetition (same run, adjacent in time), then the median
        ratios = {"build/floor": [], "pandas/build": [], "pandas/floor": []}
        for rep in {r["rep"] for r in data["runs"]}:
            w = {r["contender"]: r["wall_s"] for r in data["runs"] if r["rep"] == rep and r["kind"] == "full"}
            if "build" in w and "floor" in w:
                ratios["build/floor"].append(w["build"] / w["floor"])
            if "build" in w and "pandas" in w:
                ratios["pandas/build"].append(w["pandas"] / w["build"])
            if "pandas" in w and "floor" in w:
                ratios["pandas/floor"].append(w["pandas"] / w["floor"])
            full_b = [r for r in data["runs"] if r["rep"] == rep and r["contender"] == "build"]
            byk = {r["kind"]: r["wall_s"] for r in full_b}
            for kind in ("empty", "delta"):
                if kind in byk and "full" in byk:
                    ratios.setdefault(f"{kind}/full", []).append(byk[kind] / byk["full"])
        s["ratios_wall_median"] = {k: round(median(v), 3) for k, v in ratios.items() if v}
        builds = [r for r in data["runs"] if r["contender"] == "build" and r["kind"] == "full"]
        if builds:
            s["build_stages_s"] = stage_breakdown(builds[0].get("steps"))
            s["build_import_s"] = builds[0].get("import_s")
            s["build_success"] = [r.get("success") for r in builds]
            s["build_failures"] = builds[0].get("failures")
            s["dbt_top_nodes"] = builds[0].get("dbt_top_nodes")
            s["dbt_node_seconds_total"] = builds[0].get("dbt_node_seconds_total")
        for kind in ("empty", "delta"):  # where a night's dbt time goes (the delta target is about it)
            nights = [r for r in data["runs"] if r["contender"] == "build" and r["kind"] == kind]
            if nights and nights[0].get("dbt_top_nodes"):
                s[f"{kind}_dbt_top_nodes"] = nights[0]["dbt_top_nodes"]
                s[f"{kind}_dbt_node_seconds_total"] = nights[0].get("dbt_node_seconds_total")
        s["outputs_identical"] = all(v == "identical" for c in data["checks"] for v in c["pairs"].values())
        summary[size] = s
    return summary


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"Run {result['timestamp']} · `{result['command']}`",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu_model']}), {m['mem_gb']} GB RAM, Python {m['python']}; "
        f"load average at start {m['loadavg'][0]:.1f} / {m['loadavg'][1]:.1f} / {m['loadavg'][2]:.1f} and at end "
        f"{result['loadavg_end'][0]:.1f} — **shared with other engineers' jobs**: absolute times are inflated and "
        f"noisy; the same-run ratios are the figures to read.",
        "",
        "| size | leads | landing | contender | runs | wall s (median) | CPU s | peak RSS MB |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for size, s in result["summary"].items():
        d = result["sizes"][size]
        for name in ("floor", "build", "pandas", "build_empty", "build_delta"):
            if name in s:
                label = {"build": "funnel-warehouse (full build)", "build_empty": "funnel-warehouse, empty re-delivery",
                         "build_delta": "funnel-warehouse, +1 day delta"}.get(name, name)
                lines.append(f"| {size} | {d['leads']:,} | {d['landing_bytes'] / 1e6:,.0f} MB | {label} | {s[name]['n']} | "
                             f"{s[name]['wall_s']:.1f} | {s[name]['cpu_s']:.1f} | {s[name]['peak_rss_mb']:.0f} |")
    lines += ["", "| size | ours ÷ floor | pandas ÷ ours | pandas ÷ floor | empty ÷ full | delta ÷ full | outputs identical | build succeeded |",
              "|---|---:|---:|---:|---:|---:|---|---|"]
    for size, s in result["summary"].items():
        r = s["ratios_wall_median"]
        f = lambda k: f"{r[k]:.2f}" if k in r else "—"
        lines.append(f"| {size} | {f('build/floor')} | {f('pandas/build')} | {f('pandas/floor')} | {f('empty/full')} | "
                     f"{f('delta/full')} | {s['outputs_identical']} | {s.get('build_success')} |")
    for size, s in result["summary"].items():
        if s.get("build_stages_s"):
            lines += ["", f"Build stages, {size} (first full build, Dagster step wall times, s; python start-up + "
                      f"imports {s.get('build_import_s') or 0:.1f} s): "
                      + ", ".join(f"{k} {v}" for k, v in sorted(s["build_stages_s"].items(), key=lambda kv: -kv[1]))]
            if s.get("dbt_top_nodes"):
                lines.append(f"dbt nodes: sum of node times {s['dbt_node_seconds_total']} s; slowest: "
                             + ", ".join(f"{n.replace('/', '.').split('.')[-1]} {t:.1f}" for n, t in s["dbt_top_nodes"][:6]))
            for kind in ("empty", "delta"):
                if s.get(f"{kind}_dbt_top_nodes"):
                    lines.append(f"dbt nodes, {kind} night: sum of node times {s[f'{kind}_dbt_node_seconds_total']} s; "
                                 "slowest: " + ", ".join(f"{n.replace('/', '.').split('.')[-1]} {t:.1f}"
                                                         for n, t in s[f"{kind}_dbt_top_nodes"][:8]))
            if s.get("build_failures"):
                lines.append(f"Build failures: {s['build_failures']}")
    return "\n".join(lines)


def write_docs(md: str) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    begin, end = "<!-- bench:begin (generated by bench/run.py) -->", "<!-- bench:end -->"
    text = doc.read_text() if doc.exists() else f"# Benchmarks\n\n{begin}\n{end}\n"
    if begin not in text:
        text += f"\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    doc.write_text(f"{head}{begin}\n{md}\n{end}{tail}")
