"""kill -9 trials: a nightly ``funnel build`` killed at random points recovers by itself.

Each trial starts from the same "last night" state (an out folder with a published warehouse
built from yesterday's exports), runs ``funnel build`` on tonight's exports, waits until the
build is in the targeted phase — ingest, Great Expectations, ``dbt build``, the swap of
``funnel.duckdb``, or the outputs made from it (Parquet, report) — sleeps a random part of that
phase's usual length and sends SIGKILL to the build's whole process group (dbt included). Then:

1. between the kill and the re-run: ``<out>/funnel.duckdb`` opens read-only and is last night's
   or tonight's complete build (never a mix), and the private warehouse opens;
2. a plain re-run, with nothing cleaned up by hand, exits 0;
3. its marts are identical (per-table checksums of every value) to those of an uninterrupted
   build from the same starting state; its raw tables, quarantine and load manifest are too
   (load timestamps aside), the manifest agrees with the tables (rows read = loaded +
   quarantined + summary, no load twice) and no raw row is duplicated;
4. no half-written publish is left in ``<out>``.

The code under test is a snapshot of the working tree taken at the start (so edits made by
others while the trials run cannot change the reference). FUNNEL_AS_OF is pinned so that two
builds of the same data give the same marts. Results: bench/faults/results.json.

    .venv/bin/python bench/faults/kill_trials.py --trials 20 --leads 1000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bad_inputs.invariants import (  # noqa: E402
    duplicated_raw_rows, manifest_problems, raw_checksums, table_checksums)

FUNNEL = str(Path(sys.executable).parent / "funnel")
AS_OF = "2026-07-01 00:00:00"
PHASES = ("ingest", "gx", "dbt", "publish_swap", "publish_outputs")
STEP_EVENT = re.compile(r" - (?P<step>[\w.\[\]-]+) - (?P<event>STEP_START|STEP_SUCCESS|STEP_FAILURE|STEP_SKIPPED) - ")
SNAPSHOT_PARTS = ("orchestration", "dbt_project", "expectations", "mappings", "pyproject.toml")


def phase_of(step: str) -> str:
    if step == "ingest_landing":
        return "ingest"
    if step.endswith("_gx_delivery_suite") or "_gx_" in step:
        return "gx"
    if step.startswith("dbt") or step.startswith(("marts__", "intermediate__", "staging__")):
        return "dbt"  # dbt build, and assets computed from its models
    if step == "publish__funnel_duckdb":
        return "publish_swap"
    if step.startswith("publish__"):
        return "publish_outputs"
    return "other"


# ------------------------------------------------------------------------------ the build
class Build:
    """``funnel build --verbose`` in its own process group, with its step events parsed live."""

    def __init__(self, snapshot: Path, landing: Path, out: Path, log: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith("FUNNEL_")}
        env.update(FUNNEL_AS_OF=AS_OF, PYTHONPATH=str(snapshot), COLUMNS="200", PYTHONUNBUFFERED="1")
        self.started = time.monotonic()
        self.events: list[tuple[float, str, str]] = []
        self.log = open(log, "w", encoding="utf-8", errors="replace")
        self.proc = subprocess.Popen(
            [FUNNEL, "build", "--landing", str(landing), "--out", str(out), "--verbose"],
            cwd=snapshot, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            errors="replace", start_new_session=True)  # its own process group: killpg reaches dbt too
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.log.write(line)
            m = STEP_EVENT.search(line)
            if m:
                self.events.append((time.monotonic() - self.started, m["step"], m["event"]))

    def running_steps(self) -> list[str]:
        state: dict[str, str] = {}
        for _, step, event in list(self.events):
            state[step] = event
        return [s for s, e in state.items() if e == "STEP_START"]

    def wait_for_phase(self, phase: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if any(phase_of(s) == phase for s in self.running_steps()):
                return True
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.reader.join(10)
        self.log.close()

    def wait(self, timeout: float) -> int:
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return -999
        self.reader.join(10)
        self.log.close()
        return rc

    def seconds(self) -> float:
        return time.monotonic() - self.started

    def phase_spans(self) -> dict[str, tuple[float, float]]:
        """Seconds from the build's start to the first and last step event of each phase."""
        spans: dict[str, tuple[float, float]] = {}
        for t, step, _ in self.events:
            lo, hi = spans.get(phase_of(step), (t, t))
            spans[phase_of(step)] = (min(lo, t), max(hi, t))
        return spans


# ------------------------------------------------------------------------------ checks
def published_state(out: Path) -> dict:
    """Can a BI reader open <out>/funnel.duckdb, and which complete build is it?"""
    path = out / "funnel.duckdb"
    if not path.exists():
        return {"exists": False, "openable": True}
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            build_id, tables = con.execute("select build_id, tables from meta.build_info").fetchone()
            counts = {}
            for t, n in json.loads(tables).items():
                schema, name = t.split(".", 1)
                counts[t] = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            complete = counts == json.loads(tables)
        finally:
            con.close()
        return {"exists": True, "openable": True, "build_id": build_id, "complete": complete}
    except Exception as exc:  # noqa: BLE001 - recorded, it is the finding
        return {"exists": True, "openable": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def warehouse_opens(out: Path) -> dict:
    path = out / "private" / "warehouse.duckdb"
    if not path.exists():
        return {"exists": False}
    try:
        con = duckdb.connect(str(path), read_only=True)
        con.execute("select count(*) from information_schema.tables").fetchone()
        con.close()
        return {"exists": True, "openable": True}
    except Exception as exc:  # noqa: BLE001
        return {"exists": True, "openable": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob(".funnel.duckdb.*"))


def private_state(out: Path) -> dict:
    """Raw tables, quarantine and manifest as checksums (load times aside), and the invariants."""
    con = duckdb.connect(str(out / "private" / "warehouse.duckdb"), read_only=True)
    try:
        return {"raw": {k: list(v) for k, v in raw_checksums(con).items()},
                "manifest_problems": manifest_problems(con), "duplicated_raw_rows": duplicated_raw_rows(con)}
    finally:
        con.close()


def marts(out: Path, exact: bool = False) -> dict:
    """Checksums of every mart; DOUBLEs rounded to 6 decimals unless ``exact`` (float sums may differ in
    their last bit between two uninterrupted builds: parallel aggregation adds in any order)."""
    checks = table_checksums(out / "funnel.duckdb", ("marts",), round_doubles=None if exact else 6)
    return {k: list(v) for k, v in checks.items()}


# ------------------------------------------------------------------------------ setup
def snapshot_tree(dest: Path) -> Path:
    """Copy the code under test (not .venv, not dbt's 600 MB target/ — only its manifest)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "target", "logs", ".user.yml")
    for part in SNAPSHOT_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=ignore)
        else:
            shutil.copy2(src, dest / part)
    manifest = ROOT / "dbt_project" / "target" / "manifest.json"
    if manifest.exists():
        (dest / "dbt_project" / "target").mkdir()
        shutil.copy2(manifest, dest / "dbt_project" / "target" / "manifest.json")
    return dest


def generate(landing: Path, leads: int, seed: int) -> None:
    from orchestration.generate import generate as run_generate

    run_generate(landing, leads=leads, seed=seed)


def clean_build(snapshot: Path, landing: Path, out: Path, logs: Path, name: str) -> Build:
    b = Build(snapshot, landing, out, logs / f"{name}.log")
    rc = b.wait(1800)
    if rc != 0:
        raise SystemExit(f"{name}: the uninterrupted build failed (exit {rc}); see {logs / (name + '.log')}")
    return b


def copy_out(src: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, symlinks=True)


# ------------------------------------------------------------------------------ one trial
def trial(i: int, target: str, rng: random.Random, ctx: dict) -> dict:
    out = ctx["work"] / f"trial_{i:02d}"
    copy_out(ctx["last_night"], out)
    before = published_state(out)["build_id"]
    spans = ctx["spans"]
    start, end = spans.get(target, (0.0, 5.0))
    delay = rng.uniform(0.0, max(0.2, 0.9 * (end - start)))
    rec: dict = {"trial": i, "target": target, "delay_s": round(delay, 2)}

    b = Build(ctx["snapshot"], ctx["landing"], out, ctx["logs"] / f"trial_{i:02d}_killed.log")
    reached = b.wait_for_phase(target, timeout=1200)
    if reached:
        time.sleep(delay)
    running = b.running_steps()
    rec["killed_at_s"] = round(b.seconds(), 1)
    rec["killed_in_steps"] = running
    rec["killed_in"] = sorted({phase_of(s) for s in running}) or (["finished"] if b.proc.poll() is not None else ["between steps"])
    rec["exited_before_kill"] = b.proc.poll()
    b.kill()

    after_kill = published_state(out)
    rec["published_after_kill"] = after_kill
    # last night's build or tonight's, but always one whole build a reader can open
    rec["published_after_kill_ok"] = bool(after_kill["exists"] and after_kill["openable"] and after_kill.get("complete"))
    rec["published_after_kill_is_last_nights"] = after_kill.get("build_id") == before
    rec["warehouse_after_kill"] = warehouse_opens(out)
    rec["leftovers_after_kill"] = leftovers(out)

    r = Build(ctx["snapshot"], ctx["landing"], out, ctx["logs"] / f"trial_{i:02d}_rerun.log")
    rec["rerun_exit"] = r.wait(1800)
    rec["rerun_s"] = round(r.seconds(), 1)
    if rec["rerun_exit"] != 0:
        rec["rerun_log_tail"] = (ctx["logs"] / f"trial_{i:02d}_rerun.log").read_text(errors="replace")[-3000:]
        rec["recovered"] = False
        return rec
    final = published_state(out)
    rec["published_after_rerun"] = final
    rec["marts_identical"] = marts(out) == ctx["ref_marts"]
    rec["marts_bit_identical"] = marts(out, exact=True) == ctx["ref_marts_exact"]
    state = private_state(out)
    rec["raw_identical"] = state["raw"] == ctx["ref_private"]["raw"]
    rec["manifest_problems"] = state["manifest_problems"]
    rec["duplicated_raw_rows"] = state["duplicated_raw_rows"]
    rec["leftovers_after_rerun"] = leftovers(out)
    rec["recovered"] = (final["openable"] and final.get("complete", False) and rec["marts_identical"]
                        and rec["raw_identical"] and not state["manifest_problems"] and not state["duplicated_raw_rows"]
                        and not rec["leftovers_after_rerun"] and rec["published_after_kill_ok"]
                        and rec["warehouse_after_kill"].get("openable", True))
    if rec["recovered"]:
        shutil.rmtree(out, ignore_errors=True)  # keep failing trials for inspection
    return rec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--leads", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20260701)
    ap.add_argument("--work", type=Path, default=None, help="working folder (default: a new temp folder)")
    ap.add_argument("--results", type=Path, default=Path(__file__).with_name("results.json"))
    ap.add_argument("--resume", action="store_true", help="go on from the trials already in --results")
    args = ap.parse_args()

    if args.resume:
        resume(args)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="funnel-kill-trials-"))
    work.mkdir(parents=True, exist_ok=True)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    started = time.monotonic()
    print(f"working in {work}", flush=True)
    snapshot = snapshot_tree(work / "code")
    yesterday, tonight = work / "landing_yesterday", work / "landing"
    generate(yesterday, args.leads, seed=6)
    generate(tonight, args.leads, seed=7)

    # last night's state, then two uninterrupted references for tonight
    last_night = work / "last_night"
    clean_build(snapshot, yesterday, last_night, logs, "last_night")
    ref = work / "reference"
    copy_out(last_night, ref)
    ref_build = clean_build(snapshot, tonight, ref, logs, "reference")
    from_scratch = work / "from_scratch"
    clean_build(snapshot, tonight, from_scratch, logs, "from_scratch")
    ctx = context(work, ref_build.phase_spans())
    assert not ctx["ref_private"]["manifest_problems"], ctx["ref_private"]["manifest_problems"]
    rebuild_equals_scratch = {"rounded": marts(from_scratch) == ctx["ref_marts"],
                              "bit_identical": marts(from_scratch, exact=True) == ctx["ref_marts_exact"],
                              "marts_differing_in_last_bits": sorted(
                                  k for k, v in marts(from_scratch, exact=True).items() if v != ctx["ref_marts_exact"].get(k))}
    print(f"reference built in {ref_build.seconds():.0f} s; phases: "
          + ", ".join(f"{k} {v[0]:.0f}-{v[1]:.0f} s" for k, v in ctx["spans"].items()), flush=True)
    run_trials(args, ctx, [], rebuild_equals_scratch, started)


def context(work: Path, spans: dict) -> dict:
    ref = work / "reference"
    return {"work": work, "logs": work / "logs", "snapshot": work / "code", "landing": work / "landing",
            "last_night": work / "last_night", "spans": spans, "ref_marts": marts(ref),
            "ref_marts_exact": marts(ref, exact=True), "ref_private": private_state(ref)}


def run_trials(args, ctx: dict, trials: list[dict], rebuild_equals_scratch: dict, started: float) -> None:
    rng = random.Random(args.seed)
    for _ in trials:  # the same delays as an uninterrupted series
        rng.random()
    for i in range(len(trials), args.trials):
        target = PHASES[i % len(PHASES)]
        rec = trial(i, target, rng, ctx)
        trials.append(rec)
        print(f"trial {i:2d} target={target:15s} killed_in={','.join(rec['killed_in']):15s} at {rec['killed_at_s']:6.1f} s "
              f"published_ok={rec['published_after_kill_ok']} rerun_exit={rec['rerun_exit']} "
              f"marts_identical={rec.get('marts_identical')} recovered={rec['recovered']}", flush=True)
        write_results(args, ctx["work"], trials, ctx, rebuild_equals_scratch, started)
    write_results(args, ctx["work"], trials, ctx, rebuild_equals_scratch, started)


def resume(args) -> None:
    """Go on from the trials recorded in ``--results`` (the series was stopped from outside)."""
    prev = json.loads(args.results.read_text())
    work = Path(prev["work_dir"])
    spans = {k: tuple(v) for k, v in prev["reference_phase_spans_s"].items()}
    print(f"resuming in {work} after {len(prev['trials'])} trials", flush=True)
    run_trials(args, context(work, spans), prev["trials"], prev["rebuild_from_scratch_equals_incremental"],
               time.monotonic() - prev["summary"]["seconds"])


def write_results(args, work: Path, trials: list[dict], ctx: dict, rebuild_equals_scratch: dict, started: float) -> None:
    by_phase: dict[str, dict] = {}
    for t in trials:
        for ph in t["killed_in"]:
            s = by_phase.setdefault(ph, {"trials": 0, "recovered": 0, "marts_identical": 0})
            s["trials"] += 1
            s["recovered"] += bool(t["recovered"])
            s["marts_identical"] += bool(t.get("marts_identical"))
    result = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": f"{sys.executable} bench/faults/kill_trials.py --trials {args.trials} --leads {args.leads} --seed {args.seed}",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "duckdb": duckdb.__version__,
                    "load_average": os.getloadavg()},
        "leads": args.leads,
        "as_of": AS_OF,
        "work_dir": str(work),
        "reference_phase_spans_s": {k: [round(v[0], 1), round(v[1], 1)] for k, v in ctx["spans"].items()},
        "rebuild_from_scratch_equals_incremental": rebuild_equals_scratch,
        "summary": {
            "trials": len(trials),
            "recovered": sum(bool(t["recovered"]) for t in trials),
            "marts_identical": sum(bool(t.get("marts_identical")) for t in trials),
            "marts_bit_identical": sum(bool(t.get("marts_bit_identical")) for t in trials),
            "published_openable_after_kill": sum(bool(t["published_after_kill"]["openable"]) for t in trials),
            "by_phase_killed_in": by_phase,
            "seconds": round(time.monotonic() - started),
        },
        "trials": trials,
    }
    args.results.write_text(json.dumps(result, indent=2, default=str) + "\n")


def markdown(results: dict) -> str:
    """The trials as the Markdown table of docs/reliability.md (``--markdown`` prints it)."""
    lines = ["| trial | target phase | killed in (running steps) | at s | published file after the kill | "
             "re-run | marts identical (bit-identical) | raw + manifest exact | no debris | recovered |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for t in results["trials"]:
        pub = t["published_after_kill"]
        if not pub.get("exists"):
            pub_text = "none yet"
        elif pub.get("openable") and pub.get("complete"):
            pub_text = "opens, complete, " + ("last night's" if t.get("published_after_kill_is_last_nights") else "tonight's")
        else:
            pub_text = f"**BROKEN**: {pub.get('error', 'incomplete')}"
        steps = ", ".join(s.replace("_gx_delivery_suite", " (GX)") for s in t["killed_in_steps"]) or "-"
        exact = not t.get("manifest_problems") and not t.get("duplicated_raw_rows") and t.get("raw_identical")
        lines.append(
            f"| {t['trial']} | {t['target']} | {steps} | {t['killed_at_s']} | {pub_text} | "
            f"exit {t['rerun_exit']} in {t.get('rerun_s', '?')} s | {'yes' if t.get('marts_identical') else 'NO'} "
            f"({'yes' if t.get('marts_bit_identical') else 'no'}) | {'yes' if exact else 'NO'} | "
            f"{'yes' if not t.get('leftovers_after_rerun') else 'NO'} | {'yes' if t['recovered'] else '**NO**'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--markdown"]:
        print(markdown(json.loads(Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).with_name("results.json"))
                                  .read_text())))
    else:
        main()
