"""The cohort funnel computed from the raw export files with plain Python.

Deliberately shares no code with the warehouse: csv module, dicts and the rules of METRICS.md
(a skipped stage counts as reached; lost never counts as a later stage; a converted lead reached
qualified). Cleaning follows the documented warehouse rules: deleted rows dropped, a lead with the
same email and company as an earlier lead within 30 days is merged into it.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

STAGES = ["lead", "qualified", "discovery", "proposal", "negotiation", "won"]
OPP_STAGE = {
    "Prospecting": "discovery", "Qualification": "discovery", "Needs Analysis": "discovery",
    "Value Proposition": "proposal", "Id. Decision Makers": "proposal", "Perception Analysis": "proposal",
    "Proposal/Price Quote": "proposal", "Negotiation/Review": "negotiation", "Closed Won": "won",
}
NULL_IDS = {"", "000000000000000AAA"}


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def kept_leads(sf: Path, window_days: int = 30) -> list[dict[str, str]]:
    leads = [r for r in _rows(sf / "Lead.csv") if r["IsDeleted"] == "0"]
    leads.sort(key=lambda r: (_ts(r["CreatedDate"]), r["Id"]))
    last_kept: dict[tuple[str, str], datetime] = {}
    kept = []
    for r in leads:
        key = (r["Email"].strip().lower(), r["Company"].strip().lower())
        created = _ts(r["CreatedDate"])
        if key[0] and key in last_kept and created - last_kept[key] <= timedelta(days=window_days):
            continue  # merged into the earlier lead
        last_kept[key] = created
        kept.append(r)
    return kept


def cohort_reached(sf: Path) -> dict[tuple[str, str], int]:
    """{(cohort month 'YYYY-MM', stage): leads of that cohort that reached the stage}."""
    order = {s: i for i, s in enumerate(STAGES)}
    best_opp_stage: dict[str, int] = defaultdict(lambda: -1)
    for h in _rows(sf / "OpportunityHistory.csv"):
        stage = OPP_STAGE.get(h["StageName"])
        if stage:
            best_opp_stage[h["OpportunityId"]] = max(best_opp_stage[h["OpportunityId"]], order[stage])
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for lead in kept_leads(sf):
        month = lead["CreatedDate"][:7]
        best = order["lead"]
        if lead["Status"] == "Qualified" or lead["IsConverted"] == "1":
            best = order["qualified"]
        opp = lead["ConvertedOpportunityId"]
        if opp not in NULL_IDS:
            best = max(best, order["qualified"], best_opp_stage[opp])
        for stage in STAGES[: best + 1]:
            counts[(month, stage)] += 1
    return dict(counts)
