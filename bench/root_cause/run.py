"""Benchmark of the root-cause engine on generated scenarios (the bar is /work/shared/ROOT_CAUSE.md).

    .venv/bin/python bench/root_cause/run.py            # 200 cases per suite, writes results.json + docs table
    .venv/bin/python bench/root_cause/run.py --cases 40 --no-docs   # quick look
    .venv/bin/python bench/root_cause/run.py --sensitivity          # each design choice undone (~25 min)

Suites (orchestration.analysis.scenarios.SUITES): high volume (~60k per period, 1–2 planted
single-value or value-pair rate drops of 30–80 %), B2B sparse (~2.5k per period, same plants),
mix shift (a channel's volume × 1.5–3 plus 1–2 drops), pure mix (the shift alone), no change at
high and at low volume, and a speed suite at 5 dimensions × 10 values. Scoring, per suite:

* a predicted row matches a planted cause when the segment (set of dimension=value) and the kind
  (rate / mix) are the same; micro precision/recall/F1 pool all cases' matches;
* top-1 precision: among cases with any output, the share whose rank-1 row is a planted cause;
* sparse recall is also given over the causes whose own two-proportion test has ≥ 80 % power at
  the Bonferroni level (``PlantedCause.power``);
* no change: share of cases with any output row;
* decomposition: max |Σ(mix + rate) − ΔR| over every (case, dimension);
* speed: wall seconds of explain + decompose per analysis.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from orchestration.analysis.decomposition import decompose  # noqa: E402
from orchestration.analysis.explain import RootCauseConfig, explain  # noqa: E402
from orchestration.analysis.scenarios import Scenario, suite_scenario  # noqa: E402

RESULTS = Path(__file__).with_name("results.json")
SENSITIVITY = Path(__file__).with_name("sensitivity.json")
DOCS = ROOT / "docs" / "root_cause.md"
TABLE_START = "<!-- bench:root_cause:start -->"
TABLE_END = "<!-- bench:root_cause:end -->"
SENS_START = "<!-- bench:root_cause:sensitivity:start -->"
SENS_END = "<!-- bench:root_cause:sensitivity:end -->"
# (label, RootCauseConfig overrides, suites): one design choice undone at a time
VARIANTS = (
    ("overall gate only (segment_gate_alpha=0)", {"segment_gate_alpha": 0.0},
     ("high_volume", "b2b_sparse", "mix_shift", "no_change_high", "no_change_sparse")),
    ("BH at alpha=0.05", {"alpha": 0.05},
     ("high_volume", "b2b_sparse", "mix_shift", "no_change_high", "no_change_sparse")),
    ("child over parent only at ≥ 90 % (child_min_share=1)", {"child_min_share": 1.0}, ("high_volume", "b2b_sparse")),
    ("min_relative_change=0.3", {"min_relative_change": 0.3}, ("high_volume", "b2b_sparse", "no_change_drift")),
)
SUITE_SEED_BASE = {"high_volume": 0, "b2b_sparse": 100_000, "mix_shift": 200_000, "pure_mix": 300_000,
                   "no_change_high": 400_000, "no_change_sparse": 500_000, "speed": 600_000,
                   "no_change_drift": 700_000}


def _segment_key(row) -> frozenset:
    items = {(row["dimension_1"], row["value_1"])}
    if isinstance(row["dimension_2"], str):
        items.add((row["dimension_2"], row["value_2"]))
    return frozenset(items)


def analyse_case(suite: str, seed: int, overrides: dict | None = None) -> dict:
    """Generate one case, run the engine, return what scoring needs (runs in a worker process)."""
    if suite == "speed":
        scenario = suite_scenario("high_volume", seed, n_dims=5, n_values=(10, 10))
    else:
        scenario = suite_scenario(suite, seed)
    start = time.perf_counter()
    out = explain(scenario.counts, scenario.dimensions, config=RootCauseConfig(**(overrides or {})))
    parts = decompose(scenario.counts, scenario.dimensions)
    seconds = time.perf_counter() - start
    return {"suite": suite, "seed": seed, "seconds": seconds,
            "decomposition_error": _decomposition_error(parts),
            "truth": [(sorted(c.segment), c.kind, c.power, c.share, c.material) for c in scenario.causes],
            "predicted": [(sorted(_segment_key(r)), r["kind"]) for _, r in out.iterrows()]}


def _decomposition_error(parts) -> float:
    if not len(parts):
        return 0.0
    change = parts["overall_rate_after"] - parts["overall_rate_before"]
    parts = parts.assign(total=parts["mix_effect"] + parts["rate_effect"], change=change)
    by_dim = parts.groupby(["metric", "period_from", "period_to", "dimension"]).agg(total=("total", "sum"),
                                                                                   change=("change", "first"))
    return float((by_dim["total"] - by_dim["change"]).abs().max())


def _as_key(segment, kind) -> tuple:
    return (frozenset(tuple(x) for x in segment), kind)


def score(cases: list[dict]) -> dict:
    tp = fp = fn = 0
    top1_hits = with_output = any_output = 0
    powered = powered_found = 0
    mix_cases = mix_as_mix = mix_as_rate = immaterial = 0
    for case in cases:
        truth = {_as_key(seg, kind) for seg, kind, _, _, material in case["truth"] if material}
        ignored = {_as_key(seg, kind) for seg, kind, _, _, material in case["truth"] if not material}
        predicted = [key for key in (_as_key(seg, kind) for seg, kind in case["predicted"]) if key not in ignored]
        found = truth & set(predicted)
        tp += len(found)
        fp += len(set(predicted) - truth)
        fn += len(truth - found)
        if predicted:
            any_output += 1
            with_output += 1
            top1_hits += predicted[0] in truth
        for seg, kind, power, _, material in case["truth"]:
            key = _as_key(seg, kind)
            if kind == "rate" and power is not None and power >= 0.8:
                powered += 1
                powered_found += key in found
            if kind != "mix":
                continue
            as_rate = _as_key(seg, "rate")
            # a shifted channel that also carries a planted drop is rightly reported as rate too
            mix_as_rate += as_rate not in truth and as_rate in {_as_key(s, k) for s, k in case["predicted"]}
            if material:
                mix_cases += 1
                mix_as_mix += key in found
            else:
                immaterial += 1
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if tp and (precision + recall) else (0.0 if tp + fn else float("nan"))
    seconds = np.array([c["seconds"] for c in cases])
    return {
        "cases": len(cases), "true_positives": tp, "false_positives": fp, "false_negatives": fn,
        "precision": precision, "recall": recall, "micro_f1": f1,
        "top1_precision": top1_hits / with_output if with_output else float("nan"),
        "any_output_rate": any_output / len(cases),
        "powered_causes": powered, "recall_powered": powered_found / powered if powered else float("nan"),
        "mix_cases": mix_cases, "immaterial_mix_cases": immaterial, "mix_reported_as_mix": mix_as_mix / mix_cases if mix_cases else float("nan"),
        "mix_reported_as_rate": mix_as_rate / (mix_cases + immaterial) if mix_cases + immaterial else float("nan"),
        "decomposition_max_error": max(c["decomposition_error"] for c in cases),
        "seconds_mean": float(seconds.mean()), "seconds_p95": float(np.quantile(seconds, 0.95)),
        "seconds_max": float(seconds.max()),
    }


def bar_rows(results: dict) -> list[tuple[str, str, str, str, bool]]:
    """(suite, figure, measured, target, met) rows of ROOT_CAUSE.md's table."""
    s = results["suites"]
    rows = []

    def add(suite, figure, value, target, met):
        rows.append((suite, figure, value, target, None if met is None else bool(met)))

    hv = s.get("high_volume")
    if hv:
        add("high volume", "micro-F1", f"{hv['micro_f1']:.3f}", "≥ 0.90", hv["micro_f1"] >= 0.90)
        add("high volume", "top-1 precision", f"{hv['top1_precision']:.3f}", "≥ 0.95", hv["top1_precision"] >= 0.95)
    sp = s.get("b2b_sparse")
    if sp:
        add("B2B sparse", "precision", f"{sp['precision']:.3f}", "≥ 0.85", sp["precision"] >= 0.85)
        add("B2B sparse", f"recall of causes with ≥ 80 % power (n = {sp['powered_causes']})",
            f"{sp['recall_powered']:.3f}", "≥ 0.60", sp["recall_powered"] >= 0.60)
        add("B2B sparse", "recall of all planted causes / micro-F1 (context)",
            f"{sp['recall']:.3f} / {sp['micro_f1']:.3f}", "—", None)
    mx = s.get("mix_shift")
    if mx:
        add("mix shift", "micro-F1 (drops + the mix cause)", f"{mx['micro_f1']:.3f}", "≥ 0.75", mx["micro_f1"] >= 0.75)
        add("mix shift", f"material shifts (n = {mx['mix_cases']}) reported as mix", f"{mx['mix_reported_as_mix']:.3f}",
            "≥ 0.90 (our reading)", mx["mix_reported_as_mix"] >= 0.9)
        add("mix shift", "shifted channel reported as a rate cause (all shifts)", f"{mx['mix_reported_as_rate']:.3f}",
            "≤ 0.02 (our reading)", mx["mix_reported_as_rate"] <= 0.02)
    pm = s.get("pure_mix")
    if pm:
        add("pure mix", f"material shifts (n = {pm['mix_cases']}) reported as mix / false rows per case",
            f"{pm['mix_reported_as_mix']:.3f} / {pm['false_positives'] / pm['cases']:.3f}", "≥ 0.90 (our reading)",
            pm["mix_reported_as_mix"] >= 0.9)
    for key, label in (("no_change_high", "no change (60k)"), ("no_change_sparse", "no change (2.5k)")):
        nc = s.get(key)
        if nc:
            add(label, "cases with any output", f"{nc['any_output_rate']:.3f}", "≤ 0.05", nc["any_output_rate"] <= 0.05)
    dr = s.get("no_change_drift")
    if dr:
        add("stress: drift (60k)", "cases with any output when every value's rate drifts (logit sd 0.05)",
            f"{dr['any_output_rate']:.3f}", "—", None)
    add("decomposition", "max |Σ(mix + rate) − ΔR|", f"{results['decomposition_max_error']:.1e}", "≤ 1e-9",
        results["decomposition_max_error"] <= 1e-9)
    sd = s.get("speed")
    if sd:
        add("speed", "seconds per analysis, 5 dims × 10 values (mean / p95 / max)",
            f"{sd['seconds_mean']:.2f} / {sd['seconds_p95']:.2f} / {sd['seconds_max']:.2f}", "≤ 10",
            sd["seconds_max"] <= 10)
    return rows


def markdown_table(results: dict) -> str:
    lines = [TABLE_START, "",
             f"Measured {results['generated_at']} on {results['cases_per_suite']} cases per suite "
             f"({results['machine']}), command: `{results['command']}`.", "",
             "| suite | figure | measured | target | met |", "|---|---|---|---|---|"]
    for suite, figure, value, target, met in bar_rows(results):
        cells = [c.replace("|", "\\|") for c in (suite, figure, value, target)]
        verdict = "—" if met is None else "yes" if met else "**no**"
        lines.append(f"| {' | '.join(cells)} | {verdict} |")
    lines += ["", TABLE_END]
    return "\n".join(lines)


def write_docs(results: dict) -> None:
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    table = markdown_table(results)
    if TABLE_START in text and TABLE_END in text:
        head, rest = text.split(TABLE_START, 1)
        _, tail = rest.split(TABLE_END, 1)
        text = head + table + tail
    else:
        text = text.rstrip() + "\n\n## Measured figures\n\n" + table + "\n"
    DOCS.write_text(text, encoding="utf-8")


def run_cases(suites, cases: int, overrides: dict, workers: int) -> list[dict]:
    jobs = [(suite, SUITE_SEED_BASE[suite] + i) for suite in suites for i in range(cases)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(analyse_case, *zip(*jobs), [overrides] * len(jobs), chunksize=4))


SENS_FIGURES = (  # (header, suite, key)
    ("high-volume F1", "high_volume", "micro_f1"), ("high-volume top-1", "high_volume", "top1_precision"),
    ("sparse precision", "b2b_sparse", "precision"), ("sparse powered recall", "b2b_sparse", "recall_powered"),
    ("mix-shift F1", "mix_shift", "micro_f1"), ("no change 60k", "no_change_high", "any_output_rate"),
    ("no change 2.5k", "no_change_sparse", "any_output_rate"), ("drift, any output", "no_change_drift", "any_output_rate"),
)


def sensitivity_table(default: dict, variants: list[dict]) -> str:
    header = "| setting | " + " | ".join(h for h, _, _ in SENS_FIGURES) + " |"
    lines = [SENS_START, "", header, "|---" * (len(SENS_FIGURES) + 1) + "|"]
    for label, suites in [("defaults (table above)", default)] + [(v["label"], v["suites"]) for v in variants]:
        cells = [f"{suites[suite][key]:.3f}" if suite in suites else "" for _, suite, key in SENS_FIGURES]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", SENS_END]
    return "\n".join(lines)


def run_sensitivity(args) -> int:
    """Re-run the suites each design choice matters for with that choice undone (defaults from results.json)."""
    default = json.loads(RESULTS.read_text(encoding="utf-8"))["suites"]
    variants = []
    for label, overrides, suites in VARIANTS:
        cases = run_cases(suites, args.cases, overrides, args.workers)
        scored = {suite: score([c for c in cases if c["suite"] == suite]) for suite in suites}
        variants.append({"label": label, "overrides": overrides, "suites": scored})
        print(label, {s: {k: round(v[k], 3) for k in ("micro_f1", "precision", "recall_powered", "any_output_rate")}
                      for s, v in scored.items()})
    SENSITIVITY.write_text(json.dumps({"cases_per_suite": args.cases, "variants": variants}, indent=2, default=float)
                           + "\n", encoding="utf-8")
    if not args.no_docs and args.cases >= 200:
        text = DOCS.read_text(encoding="utf-8")
        head, rest = text.split(SENS_START, 1)
        _, tail = rest.split(SENS_END, 1)
        DOCS.write_text(head + sensitivity_table(default, variants) + tail, encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=200, help="cases per suite (default 200)")
    parser.add_argument("--suites", nargs="*", default=list(SUITE_SEED_BASE), choices=list(SUITE_SEED_BASE))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite the table in docs/root_cause.md")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--sensitivity", action="store_true",
                        help="run each design choice undone (VARIANTS) and write sensitivity.json + its docs table")
    parser.add_argument("--docs-only", action="store_true",
                        help="re-render the docs table from an existing results.json, run nothing")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="override RootCauseConfig fields (sensitivity runs; never written to the docs)")
    args = parser.parse_args(argv)
    overrides = {k: type(getattr(RootCauseConfig(), k))(v) for k, v in (item.split("=", 1) for item in args.set)}
    if args.docs_only:
        results = json.loads(args.output.read_text(encoding="utf-8"))
        results["bar"] = [dict(zip(("suite", "figure", "measured", "target", "met"), row)) for row in bar_rows(results)]
        args.output.write_text(json.dumps(results, indent=2, default=float) + "\n", encoding="utf-8")
        write_docs(results)
        return 0

    if args.sensitivity:
        return run_sensitivity(args)
    started = time.perf_counter()
    cases = run_cases(args.suites, args.cases, overrides, args.workers)
    by_suite = {suite: [c for c in cases if c["suite"] == suite] for suite in args.suites}
    results = {
        "command": ".venv/bin/python bench/root_cause/run.py" + (f" --cases {args.cases}" if args.cases != 200 else ""),
        "generated_at": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {args.workers} worker(s), Python {platform.python_version()}",
        "cases_per_suite": args.cases,
        "config": RootCauseConfig(**overrides).__dict__,
        "suites": {suite: score(cs) for suite, cs in by_suite.items()},
        "decomposition_max_error": max(c["decomposition_error"] for c in cases),
        "wall_seconds": time.perf_counter() - started,
    }
    results["bar"] = [dict(zip(("suite", "figure", "measured", "target", "met"), row)) for row in bar_rows(results)]
    args.output.write_text(json.dumps(results, indent=2, default=float) + "\n", encoding="utf-8")
    for row in results["bar"]:
        verdict = "" if row["met"] is None else "met" if row["met"] else "MISSED"
        print(f"{row['suite']:<16} {row['figure']:<62} {row['measured']:>22}  target {row['target']:<10} {verdict}")
    print(f"wall {results['wall_seconds']:.0f} s; results in {args.output}")
    if not args.no_docs and args.output == RESULTS and args.cases >= 200 and not overrides:
        write_docs(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
