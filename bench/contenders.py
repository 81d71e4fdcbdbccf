"""The three contenders' outputs, each runnable as its own process (so its CPU and RSS are its own).

    python bench/contenders.py floor  LANDING OUT.json
    python bench/contenders.py pandas LANDING OUT.json
    python bench/contenders.py build  LANDING OUTDIR OUT.json   # the warehouse build, with step timings

Both outputs follow tests/e2e/independent.py (which matches the warehouse): deleted leads dropped; a
lead with the same email+company (trimmed, lower-cased; blank email never merges) as the last *kept*
lead of that key within 30 days is merged into it; a lead reached `qualified` if Status = Qualified
or IsConverted = 1; its converted opportunity's history gives the later stages (skipped stages count,
lost never counts). Output 1: leads per cohort month × stage. Output 2: lead→qualified conversion
per cohort month × lead source (blank → 'unknown').
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

STAGES = ["lead", "qualified", "discovery", "proposal", "negotiation", "won"]
OPP_STAGE = {
    "Prospecting": "discovery", "Qualification": "discovery", "Needs Analysis": "discovery",
    "Value Proposition": "proposal", "Id. Decision Makers": "proposal", "Perception Analysis": "proposal",
    "Proposal/Price Quote": "proposal", "Negotiation/Review": "negotiation", "Closed Won": "won",
}
NULL_IDS = ("", "000000000000000AAA")


# --------------------------------------------------------------------------------------------- floor
def floor_sql(sf: Path) -> str:
    lead = (sf / "Lead.csv").as_posix()
    hist = (sf / "OpportunityHistory.csv").as_posix()
    stage_map = ", ".join(f"('{k}', {STAGES.index(v)})" for k, v in OPP_STAGE.items())
    return f"""
with recursive
leads as (
    select Id, CreatedDate::timestamp as created, substr(CreatedDate, 1, 7) as month,
           coalesce(nullif(trim(LeadSource), ''), 'unknown') as lead_source,
           Status, IsConverted, ConvertedOpportunityId as opp,
           lower(trim(Email)) as email, lower(trim(Company)) as company
    from read_csv('{lead}', all_varchar = true, header = true)
    where IsDeleted = '0'
),
ordered as (
    select Id, created, email || '|' || company as k,
           row_number() over (partition by email, company order by created, Id) as rk
    from leads where email <> ''
),
walked as (
    select k, rk, Id, Id as canon, created as canon_created from ordered where rk = 1
    union all
    select o.k, o.rk, o.Id,
           case when o.created - w.canon_created <= interval 30 day then w.canon else o.Id end,
           case when o.created - w.canon_created <= interval 30 day then w.canon_created else o.created end
    from walked w join ordered o on o.k = w.k and o.rk = w.rk + 1
),
kept as (
    select l.* from leads l left join walked w using (Id) where w.Id is null or w.canon = l.Id
),
stage_map(stage_name, ord) as (values {stage_map}),
opp_best as (
    select OpportunityId as opp, max(m.ord) as best
    from read_csv('{hist}', all_varchar = true, header = true) h join stage_map m on h.StageName = m.stage_name
    group by all
),
best as (
    select k.month, k.lead_source,
           greatest(case when k.Status = 'Qualified' or k.IsConverted = '1' then 1 else 0 end,
                    case when k.opp not in ('', '000000000000000AAA') then greatest(1, coalesce(o.best, -1)) else 0 end)
               as best
    from kept k left join opp_best o on o.opp = k.opp
),
cohort as (
    select month, s.ord, count(*) filter (where b.best >= s.ord) as reached
    from best b cross join (select unnest(range(6)) as ord) s
    group by all
),
conv as (
    select month, lead_source, count(*) as leads, count(*) filter (where best >= 1) as qualified from best group by all
)
select 'cohort' as kind, month, ord::varchar as k, reached as n, null::bigint as m from cohort
union all
select 'conv', month, lead_source, leads, qualified from conv
"""


def run_floor(landing: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    rows = con.execute(floor_sql(landing / "salesforce")).fetchall()
    cohort, conv = {}, {}
    for kind, month, k, n, m in rows:
        if kind == "cohort":
            cohort[f"{month}|{STAGES[int(k)]}"] = int(n)
        else:
            conv[f"{month}|{k}"] = [int(n), int(m)]
    return {"cohort": cohort, "conversion": conv}


# -------------------------------------------------------------------------------------------- pandas
def run_pandas(landing: Path) -> dict:
    """What an analyst would write in a notebook."""
    import pandas as pd

    sf = landing / "salesforce"
    leads = pd.read_csv(sf / "Lead.csv", dtype=str, keep_default_na=False,
                        usecols=["Id", "IsDeleted", "Email", "Company", "LeadSource", "Status", "IsConverted",
                                 "ConvertedOpportunityId", "CreatedDate"])
    leads = leads[leads["IsDeleted"] == "0"].copy()
    leads["created"] = pd.to_datetime(leads["CreatedDate"], format="%Y-%m-%d %H:%M:%S")
    leads = leads.sort_values(["created", "Id"])
    leads["key"] = leads["Email"].str.strip().str.lower() + "|" + leads["Company"].str.strip().str.lower()
    # merge duplicates: walk each email+company group, comparing with the last kept lead
    has_email = leads["Email"].str.strip() != ""
    multi = leads[has_email & leads.duplicated("key", keep=False)]
    dropped = set()
    window = pd.Timedelta(days=30)
    for _, g in multi.groupby("key", sort=False):
        last = None
        for lid, created in zip(g["Id"], g["created"]):
            if last is not None and created - last <= window:
                dropped.add(lid)
            else:
                last = created
    kept = leads[~leads["Id"].isin(dropped)].copy()

    hist = pd.read_csv(sf / "OpportunityHistory.csv", dtype=str, keep_default_na=False,
                       usecols=["OpportunityId", "StageName"])
    order = {s: i for i, s in enumerate(STAGES)}
    hist["ord"] = hist["StageName"].map({k: order[v] for k, v in OPP_STAGE.items()})
    opp_best = hist.dropna(subset=["ord"]).groupby("OpportunityId")["ord"].max()

    qual = ((kept["Status"] == "Qualified") | (kept["IsConverted"] == "1")).astype(int)
    has_opp = ~kept["ConvertedOpportunityId"].isin(NULL_IDS)
    opp_stage = kept["ConvertedOpportunityId"].map(opp_best).fillna(-1).clip(lower=1)
    kept["best"] = qual.where(~has_opp, opp_stage.clip(lower=qual)).astype(int)
    kept["month"] = kept["CreatedDate"].str[:7]
    kept["lead_source"] = kept["LeadSource"].str.strip().replace("", "unknown")

    cohort = {}
    for i, stage in enumerate(STAGES):
        for month, n in (kept["best"] >= i).groupby(kept["month"]).sum().items():
            cohort[f"{month}|{stage}"] = int(n)
    g = kept.assign(q=kept["best"] >= 1).groupby(["month", "lead_source"])["q"].agg(["size", "sum"])
    conv = {f"{m}|{s}": [int(r["size"]), int(r["sum"])] for (m, s), r in g.iterrows()}
    return {"cohort": cohort, "conversion": conv}


# --------------------------------------------------------------------------------------------- build
STEP_RE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) [+-]\d{4} - dagster - \w+ - [^ ]+ - [0-9a-f-]+ - (?:\d+ - )?"
                     r"(\S+) - (STEP_START|STEP_SUCCESS|STEP_FAILURE|STEP_SKIPPED)\b")


def run_build(landing: Path, out: Path) -> dict:
    """Run what ``funnel build`` runs (orchestration.build.run_build) and time its phases."""
    import io
    import logging
    t0 = time.monotonic()
    wall0 = time.time()
    from orchestration.settings import load_settings
    # Settings first: importing orchestration.definitions exports the default settings' paths
    # (FUNNEL_WAREHOUSE_PATH=out/private/...) into the environment for dbt, and load_settings
    # would then take that warehouse instead of <out>/private (every run shared one warehouse).
    settings = load_settings(landing_dir=landing, out_dir=out)
    from orchestration.build import run_build as _run
    import orchestration.definitions  # noqa: F401  (import cost counted as start-up)
    t_import = time.monotonic() - t0
    # Dagster's console logger writes to stderr; tee it so we can parse step start/end times
    buf = io.StringIO()
    real_err = sys.stderr

    class Tee(io.TextIOBase):
        def write(self, s):
            buf.write(s)
            return len(s)

    sys.stderr = Tee()
    try:
        outcome = _run(settings, log_level="DEBUG")
    finally:
        sys.stderr = real_err
    total = time.monotonic() - t0
    steps: dict[str, dict] = {}
    from datetime import datetime, timezone
    for line in buf.getvalue().splitlines():
        m = STEP_RE.match(line)
        if not m:
            continue
        ts = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
        st = steps.setdefault(m.group(2), {})
        if m.group(3) == "STEP_START":
            st["start"] = ts - wall0
        else:
            st["end"] = ts - wall0
            st["status"] = m.group(3)
    for st in steps.values():
        if "start" in st and "end" in st:
            st["seconds"] = st["end"] - st["start"]
    # dbt's own per-node timings, from the materializations (dagster-dbt's "Execution Duration");
    # run_results.json is no longer written (`dbt build --no-write-json`), and kept models have none
    dbt_nodes = [[key, round(float(meta["Execution Duration"]), 3)]
                 for key, meta in outcome.materializations.items() if meta.get("Execution Duration") is not None]
    dbt_nodes.sort(key=lambda x: -x[1])
    return {"success": outcome.success, "failures": outcome.failures, "failed_checks": outcome.failed_checks,
            "seconds": total, "import_seconds": t_import, "steps": steps,
            "dbt_node_seconds_total": round(sum(x[1] for x in dbt_nodes), 2), "dbt_top_nodes": dbt_nodes[:15],
            # every node, slowest first: a node that leaves the top 15 still has its figure
            "dbt_nodes": dbt_nodes,
            "dbt_node_count": len(dbt_nodes), "log_tail": buf.getvalue()[-3000:] if not outcome.success else ""}


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "build":
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        res = run_build(Path(sys.argv[2]), Path(sys.argv[3]))
        Path(sys.argv[4]).write_text(json.dumps(res, indent=1))
    else:
        res = (run_floor if what == "floor" else run_pandas)(Path(sys.argv[2]))
        Path(sys.argv[3]).write_text(json.dumps(res))
