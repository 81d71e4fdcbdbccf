"""generate(): write one landing folder of vendor exports plus the planted truth.

The run is a single pass over cohort months: each lead's story is drawn and immediately written to
every file it touches (Salesforce objects, Tally forms), then forgotten. Only the org, the
campaigns, per-company account ids, per-campaign-day submission counts and the truth counters
stay in memory, which is what lets the generator scale to millions of leads.
"""

from __future__ import annotations

import bisect
import json
import random
from datetime import date
from pathlib import Path

from .fmt import add_months, epoch, month_key
from .google_ads import AdsLedger
from .ids import SalesforceIds
from .leads import LeadFactory
from .org import build_campaigns, build_users
from .salesforce import SalesforceExport
from .scenario import scenario as make_scenario
from .tally import TallyExport
from .truth import TruthRecorder

TRUTH_DIR = ".truth"
TRUTH_FILE = "planted_truth.json"


def monthly_counts(leads: int, months: int) -> list[int]:
    """Split the leads over the months with gentle growth; exact total (largest remainder)."""
    weights = [1 + 0.04 * (m - (months - 1) / 2) for m in range(months)]
    raw = [leads * w / sum(weights) for w in weights]
    counts = [int(x) for x in raw]
    for i in sorted(range(months), key=lambda i: (counts[i] - raw[i], i))[: leads - sum(counts)]:
        counts[i] += 1
    return counts


def generate(landing_dir: Path, *, leads: int = 10_000, seed: int = 42, start: date = date(2026, 1, 1),
             months: int = 6, scenario: str = "default") -> dict:
    """Write the export files into landing_dir and the planted truth into
    landing_dir/.truth/planted_truth.json; return the truth dict.

    Same arguments, same bytes. `leads` counts distinct leads; duplicate and deleted junk Lead rows
    come on top (see the truth's `shares`). `start` must be the first day of a month.
    """
    if leads < 1 or months < 1:
        raise ValueError("leads and months must be at least 1")
    if start.day != 1:
        raise ValueError(f"start must be the first day of a month, got {start.isoformat()}")
    landing_dir = Path(landing_dir)
    scn = make_scenario(scenario, months)
    month_starts = [epoch(add_months(start, m)) for m in range(months + 1)]
    month_keys = [month_key(add_months(start, m)) for m in range(months)]
    export_at = month_starts[-1]
    org_rng = random.Random(f"org:{seed}")
    users, reps_by_team = build_users(org_rng, SalesforceIds("User", seed), SalesforceIds("UserRole", seed), leads,
                                      months, month_starts[0])
    admin, integration = users[0], users[1]
    campaigns, unattributed = build_campaigns(SalesforceIds("Campaign", seed), start, months)
    factory = LeadFactory(seed=seed, leads=leads, start=start, months=months, scn=scn, reps_by_team=reps_by_team,
                          integration=integration, campaigns=campaigns)
    ads = AdsLedger(seed, start, months)

    def month_of(ts: int) -> int:
        return bisect.bisect_right(month_starts, ts) - 1

    recorder = TruthRecorder(landing_dir / TRUTH_DIR, month_of)
    try:
        with SalesforceExport(landing_dir / "salesforce", seed) as sf, \
                TallyExport(landing_dir / "forms", seed) as forms:
            sf.write_users(users)
            for m, n in enumerate(monthly_counts(leads, months)):
                for _ in range(n):
                    for lead in factory.make(m):
                        sf.write_lead(lead)
                        subs = forms.write_lead(lead)
                        ads.count(subs)
                        recorder.add(lead, subs)
            spend = ads.write(landing_dir / "ads", campaigns, unattributed)
            actual: dict[str, str] = {}
            for c in campaigns:
                if c.ads is not None:
                    cents = sum(r["spend_cents"] for r in spend if r["campaign_name"] == c.ads.name)
                    actual[c.name] = f"{cents // 100}.{cents % 100:02d}"
            sf.write_campaigns(campaigns, export_at, admin.id, actual)
        rows = {f"salesforce/{obj}.csv": k for obj, k in sf.rows.items()}
        rows.update({f"forms/tally_{form}.csv": k for form, k in forms.rows.items()})
        rows.update(ads.rows)
    finally:
        recorder.close()
    params = {"seed": seed, "leads": leads, "start": start.isoformat(), "months": months, "scenario": scenario,
              "export_at": f"{add_months(start, months).isoformat()} 00:00:00", "timezone": "UTC"}
    truth = recorder.build(params=params, scn=scn, month_keys=month_keys, rows=rows, spend=spend,
                           campaigns=campaigns)
    path = landing_dir / TRUTH_DIR / TRUTH_FILE
    path.write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return truth
