"""Google Ads 'Campaign report' (Day segment) as the web UI downloads it, one file per Ads account.

Ad delivery is derived from the form submissions that carry each campaign's name in utm_campaign
(clicks = submissions / conversion rate, impressions = clicks / CTR, cost = clicks x CPC), so the
spend file and the form file tell one consistent story. Only a per-campaign, per-day counter is
kept while leads stream by; the report is written at the end. Cost is summed in integer cents so
the summary rows equal the sum of the rows exactly.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from datetime import date
from pathlib import Path

from .fmt import DAY, add_months, decimal2, epoch, money, month_key, thousands
from .model import AdsCampaign, Campaign, Submission

HEADER = ("Day", "Campaign status", "Campaign", "Campaign ID", "Campaign type", "Impr.", "Clicks", "Interactions",
          "Currency code", "Avg. CPC", "Cost", "Conversions")
NULL = " --"
FILES = {"USD": "google_ads_campaign_daily.csv", "CNY": "google_ads_campaign_daily_cn.csv"}


class AdsLedger:
    def __init__(self, seed: int, start: date, months: int) -> None:
        self.rng = random.Random(f"ads:{seed}")
        self.start, self.months = start, months
        self.start_day = epoch(start) // DAY
        self.days = (epoch(add_months(start, months)) // DAY) - self.start_day
        self.submissions: dict[tuple[str, int], int] = defaultdict(int)
        self.rows: dict[str, int] = {}

    def count(self, subs: list[Submission]) -> None:
        """Remember how many submissions each Ads campaign drove on each day."""
        for s in subs:
            if s.campaign is not None and s.campaign.ads is not None:
                day = s.ts // DAY - self.start_day
                if 0 <= day < self.days:
                    self.submissions[(s.campaign.ads.name, day)] += 1

    def _month_of(self, day: int) -> int:
        d = date.fromordinal(date(1970, 1, 1).toordinal() + self.start_day + day)
        return (d.year - self.start.year) * 12 + d.month - self.start.month

    def _day_stats(self, ads: AdsCampaign, day: int) -> tuple[int, int, int, float]:
        """(impressions, clicks, cost in cents, platform conversions) of one campaign-day."""
        rng = self.rng
        subs = self.submissions.get((ads.name, day), 0)
        if ads.cvr > 0:
            clicks = round((subs + rng.random() * 0.7) / ads.cvr * rng.uniform(0.85, 1.15))
        else:
            clicks = rng.randint(15, 80)
        impressions = max(clicks, round(clicks / (ads.ctr * rng.uniform(0.8, 1.25))))
        cost = round(clicks * ads.cpc_cents * rng.uniform(0.8, 1.2))
        conversions = round(subs * rng.uniform(0.8, 1.0), 2)
        return impressions, clicks, cost, conversions

    def write(self, folder: Path, campaigns: list[Campaign], unattributed: list[AdsCampaign]) -> list[dict]:
        """Write both accounts' reports; return spend per campaign per month for the truth."""
        folder.mkdir(parents=True, exist_ok=True)
        all_ads = sorted([c.ads for c in campaigns if c.ads is not None] + unattributed, key=lambda a: a.name)
        monthly: dict[tuple[str, int], list] = {}
        first = date.fromordinal(date(1970, 1, 1).toordinal() + self.start_day)
        last = date.fromordinal(first.toordinal() + self.days - 1)
        span = f"{first:%B} {first.day}, {first.year} - {last:%B} {last.day}, {last.year}"
        for currency, name in FILES.items():
            ads_list = [a for a in all_ads if a.currency == currency]
            totals = defaultdict(lambda: [0, 0, 0, 0.0])
            with open(folder / name, "w", encoding="utf-8", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(["Campaign report"])
                w.writerow([span])
                w.writerow(HEADER)
                n = 0
                for day in range(self.days):
                    m = self._month_of(day)
                    day_text = date.fromordinal(first.toordinal() + day).isoformat()
                    for a in ads_list:
                        if a.active_months is not None and m not in a.active_months:
                            continue
                        impr, clicks, cost, conv = self._day_stats(a, day)
                        if impr == 0:
                            continue  # the UI leaves out rows without impressions
                        keys = ["account", a.channel] + (["campaigns"] if a.listed else [])
                        for k in keys:
                            t = totals[k]
                            t[0], t[1], t[2], t[3] = t[0] + impr, t[1] + clicks, t[2] + cost, t[3] + conv
                        agg = monthly.setdefault((a.name, m), [a, 0, 0, 0])
                        agg[1], agg[2], agg[3] = agg[1] + impr, agg[2] + clicks, agg[3] + cost
                        if a.listed:
                            w.writerow(_row(day_text, a.status, a.name, a.ads_id, a.channel, impr, clicks, currency,
                                            cost, conv))
                            n += 1
                self.rows[f"ads/{name}"] = n
                w.writerow(_row("Total: Campaigns", NULL, NULL, NULL, NULL, *totals["campaigns"][:2], currency,
                                *totals["campaigns"][2:]))
                w.writerow(_row("Total: Account", "", "", "", "", *totals["account"][:2], currency,
                                *totals["account"][2:]))
                for channel in ("Search", "Display"):
                    w.writerow(_row(f"Total: {channel}", "", "", "", channel, *totals[channel][:2], currency,
                                    *totals[channel][2:]))
        return [{"platform": "google_ads", "account_id": a.account, "campaign_id": a.ads_id, "campaign_name": a.name,
                 "campaign_type": a.channel, "listed_in_report": a.listed,
                 "month": month_key(add_months(self.start, m)), "currency": a.currency, "spend": round(cost / 100, 2),
                 "spend_cents": cost, "impressions": impr, "clicks": clicks}
                for (_, m), (a, impr, clicks, cost) in sorted(monthly.items(), key=lambda kv: (kv[0][0], kv[0][1]))]


def _row(day: str, status: str, name: str, ads_id: str, channel: str, impr: int, clicks: int, currency: str,
         cost: int, conv: float) -> list[str]:
    avg = money(round(cost / clicks)) if clicks else "0"
    return [day, status, name, ads_id, channel, thousands(impr), thousands(clicks), thousands(clicks), currency,
            avg, money(cost), decimal2(conv)]
