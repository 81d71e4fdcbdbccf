"""The planted truth: what the generator decided, and exact counts of what it wrote.

Tests of the warehouse compare against this file, never against the warehouse's own output. It
holds the parameters and probabilities planted up front (scenario.py) and the realised counts
tallied while the files were written (cohort funnel, inquiries, loss reasons, shares), so a test
can check either the statistics (planted rate within sampling error) or the arithmetic (exact
counts). Counters are keyed by small tuples, so memory does not grow with the number of leads.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Callable

from .model import Campaign, Lead, Submission
from .org import normalize_campaign_name
from .reference import INDUSTRIES, INDUSTRY_WEIGHTS
from .scenario import (DISQUALIFY_REASONS, FX_CNY_PER_USD, LEAD_SOURCES, LEAD_STATUS_TO_STAGE, LOSS_REASON_BLANK,
                       LOSS_REASONS, OPPORTUNITY_STAGE_TO_STAGE, REPEAT_RATES, SHARES, STAGES, TRANSITIONS, Scenario,
                       expected_segment_rate, probability, source_weights)

_REACH = ("leads", "qualified", "discovery", "proposal", "negotiation", "won")


class TruthRecorder:
    def __init__(self, truth_dir: Path, month_of: Callable[[int], int]) -> None:
        truth_dir.mkdir(parents=True, exist_ok=True)
        self._dup_file = open(truth_dir / "duplicate_leads.csv", "w", encoding="utf-8", newline="")
        self._dups = csv.writer(self._dup_file, lineterminator="\n")
        self._dups.writerow(("original_lead_id", "duplicate_lead_id"))
        self.month_of = month_of
        self.cohort: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(_REACH))
        self.inquiries: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
        self.lost: dict[tuple[str, str], int] = defaultdict(int)
        self.n = defaultdict(int)

    def close(self) -> None:
        self._dup_file.close()

    def add(self, lead: Lead, subs: list[Submission]) -> None:
        n = self.n
        if lead.is_deleted:
            n["deleted_leads"] += 1
            return
        if lead.duplicate_of:
            n["duplicate_leads"] += 1
            self._dups.writerow((lead.duplicate_of, lead.id))
            return
        n["distinct_leads"] += 1
        for s in subs:
            c = self.inquiries[(self.month_of(s.ts), lead.source)]
            c[0] += 1
            c[1] += s.lead_id is not None
            c[2] += s.phone_only
        counts = self.cohort[(lead.month, lead.source, lead.company.industry)]
        opp = lead.opportunity
        reached = ["leads"] + (["qualified"] if lead.status == "Qualified" else []) + list(opp.reached if opp else ())
        for stage in reached:
            counts[_REACH.index(stage)] += 1
        first = min((t.ts for t in lead.tasks), default=None)
        n["leads_with_activity"] += first is not None
        n["first_contact_within_24h"] += first is not None and first - lead.created <= 86_400
        if opp is not None:
            n["opportunities_from_leads"] += 1
            n["reached_negotiation"] += "negotiation" in opp.reached
            n["skipped_proposal"] += opp.skipped_proposal
            n["reopened"] += opp.reopened
            n["closed_lost"] += opp.events[-1].stage == "Closed Lost"
            n["ever_lost"] += any(e.stage == "Closed Lost" for e in opp.events)
            n[f"opportunities_{opp.currency}"] += 1
            if opp.events[-1].stage == "Closed Lost":
                at = OPPORTUNITY_STAGE_TO_STAGE[opp.events[-2].stage]
                self.lost[(at, opp.events[-1].loss_reason)] += 1
        if lead.repeat is not None:
            n["repeat_opportunities"] += 1
            n["repeat_won"] += lead.repeat.events[-1].stage == "Closed Won"

    def build(self, *, params: dict, scn: Scenario, month_keys: list[str], rows: dict[str, int], spend: list[dict],
              campaigns: list[Campaign]) -> dict:
        months = len(month_keys)
        n = self.n

        def share(planted: float, num: str, den: str, definition: str) -> dict:
            return {"planted": planted, "realized": round(n[num] / n[den], 6) if n[den] else None,
                    "numerator": n[num], "denominator": n[den], "definition": definition}

        drop = None
        if scn.drop:
            d = scn.drop
            before, after = month_keys[d.first_month - 1], month_keys[d.first_month]
            drop = {"lead_source": d.lead_source, "transition": d.transition, "factor": d.factor,
                    "months_before": month_keys[: d.first_month], "months_after": month_keys[d.first_month:],
                    "last_month_before": before, "first_month_after": after,
                    "rate_before": expected_segment_rate(scn, d.first_month - 1, d.lead_source, d.transition),
                    "rate_after": expected_segment_rate(scn, d.first_month, d.lead_source, d.transition),
                    "note": "rates are industry-weighted expectations for leads created in those months"}
        return {
            "schema_version": 1,
            "parameters": {**params, "month_keys": month_keys},
            "funnel": {"stages": list(STAGES), "transitions": list(TRANSITIONS),
                       "lead_status_to_stage": LEAD_STATUS_TO_STAGE,
                       "opportunity_stage_to_stage": OPPORTUNITY_STAGE_TO_STAGE,
                       "converted_lead_reached": "qualified"},
            "segments": {"dimensions": ["lead_source", "industry"], "lead_sources": list(LEAD_SOURCES),
                         "industries": list(INDUSTRIES), "industry_weights": dict(zip(INDUSTRIES, INDUSTRY_WEIGHTS)),
                         "lead_source_weights": {mk: dict(zip(LEAD_SOURCES, (round(w, 6) for w in
                                                                              source_weights(scn, m))))
                                                 for m, mk in enumerate(month_keys)}},
            "transition_probabilities": [
                {"month": mk, "lead_source": s, "industry": i,
                 **{t: probability(scn, m, s, i, t) for t in TRANSITIONS}}
                for m, mk in enumerate(month_keys) for s in LEAD_SOURCES for i in INDUSTRIES],
            "expected_segment_rates": [
                {"month": mk, "lead_source": s, "transition": t, "rate": expected_segment_rate(scn, m, s, t)}
                for m, mk in enumerate(month_keys) for s in LEAD_SOURCES for t in TRANSITIONS],
            "planted_drop": drop,
            "mix_shift": ({"lead_source": scn.shift_source, "volume_factor": scn.shift_factor,
                           "from_month": month_keys[scn.drop.first_month]}
                          if scn.shift_source and scn.drop else None),
            "repeat_deal_rates": REPEAT_RATES,
            "loss_reasons": {
                "opportunity_mix_by_stage": LOSS_REASONS, "opportunity_blank_share": LOSS_REASON_BLANK,
                "lead_disqualify_mix": DISQUALIFY_REASONS, "duplicate_lead_disqualify_reason": "Duplicate",
                "realized_closed_lost": [{"stage": st, "reason": r, "count": c}
                                         for (st, r), c in sorted(self.lost.items())]},
            "shares": {
                "skip_proposal": share(SHARES["skip_proposal"], "skipped_proposal", "reached_negotiation",
                                       "lead opportunities that reached negotiation with no proposal-stage "
                                       "history (realized is a little higher: skipping deals reach negotiation "
                                       "sooner, so more of them are there by the export time)"),
                "duplicate_leads": share(SHARES["duplicate_leads"], "duplicate_leads", "distinct_leads",
                                         "extra Lead rows (same email+company, 2h-4d later) per distinct lead; "
                                         "pairs in .truth/duplicate_leads.csv"),
                "deleted_leads": share(SHARES["deleted_leads"], "deleted_leads", "distinct_leads",
                                       "junk Lead rows with IsDeleted=1 per distinct lead"),
                "first_contact_within_24h": share(
                    round(SHARES["first_contact"] * SHARES["first_contact_24h_given_contact"], 6),
                    "first_contact_within_24h", "distinct_leads",
                    "distinct leads whose earliest Task.CreatedDate is within 24h of Lead.CreatedDate"),
                "reopened": share(SHARES["reopen"], "reopened", "ever_lost",
                                  "lead opportunities with a Closed Lost followed by an open stage, per lead "
                                  "opportunity ever Closed Lost (realized is lower: re-openings after the export "
                                  "time are not in the files)"),
            },
            "counts": dict(sorted(n.items())),
            "fx": {"base_currency": "USD", "CNY_per_USD": FX_CNY_PER_USD},
            "spend": spend,
            "campaigns": [_campaign_truth(c) for c in campaigns],
            "realized": {
                "cohort_funnel": [{"month": month_keys[m], "lead_source": s, "industry": i,
                                   **dict(zip(_REACH, v))} for (m, s, i), v in sorted(self.cohort.items())],
                "inquiries": [{"month": month_keys[m] if 0 <= m < months else None, "lead_source": s,
                               "submissions": v[0], "became_lead": v[1], "matched_by_phone_only": v[2]}
                              for (m, s), v in sorted(self.inquiries.items())],
            },
            "rows": rows,
            "files": {"duplicate_leads": ".truth/duplicate_leads.csv"},
        }


def _campaign_truth(c: Campaign) -> dict:
    """How one campaign is named on each platform, so tests can check the name matching."""
    ads = c.ads
    return {"sf_campaign_id": c.id, "sf_name": c.name, "type": c.type, "currency": c.currency,
            "lead_source": c.source, "utm_source": c.utm_source, "utm_medium": c.utm_medium,
            "utm_campaign": c.utm_campaign, "ads_campaign_id": ads.ads_id if ads else None,
            "ads_campaign_name": ads.name if ads else None,
            "normalized_names_match": (normalize_campaign_name(c.name) == normalize_campaign_name(c.utm_campaign))
            if c.utm_campaign else None}
