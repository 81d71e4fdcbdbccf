"""Google Ads UI reports (campaign, ad group or ad level; with or without the Day segment).

Layout of a download from the Google Ads web UI: line 1 the report title, line 2 its date range
(``January 1, 2026 - June 30, 2026`` or ``All time``), then the header. Nulls are `` --``, counts
carry thousands separators inside quotes, rates are percentages, the currency is a column, and
the bottom holds ``Total: …`` rows that are not campaigns. Summary rows are excluded, and the
``Total: Campaigns`` row (when present) must equal the sum of the loaded rows: the loader fails
the file on a mismatch. Delivery mode: a report per period; re-delivering the same file path
replaces it, and staging keeps the newest figures per campaign × day.
"""

from __future__ import annotations

import re
from datetime import datetime

from orchestration.ingest.adapters.base import Col, ReadPlan, TotalCheck, has_all, has_any, parse_line, ref
from orchestration.ingest.files import FileSample
from orchestration.sql import quote_literal

_RANGE = re.compile(r"^\s*\"?([A-Z][a-z]+ \d{1,2}, \d{4})\s*-\s*([A-Z][a-z]+ \d{1,2}, \d{4})\"?\s*$")


def _is_header(fields: list[str]) -> bool:
    return has_any(fields, "Campaign") and has_any(fields, "Cost", "Impr.", "Impressions") and has_any(fields, "Currency code", "Clicks", "Interactions")


def _date_range(lines: list[str]) -> tuple[str | None, str | None]:
    for line in lines:
        m = _RANGE.match(line)
        if m:
            start, end = (datetime.strptime(x, "%B %d, %Y").date().isoformat() for x in m.groups())
            return start, end
    return None, None


class GoogleAdsReportAdapter:
    name = "google_ads_report"

    def plan(self, sample: FileSample) -> ReadPlan | None:
        for i, line in enumerate(sample.lines[:6]):
            fields = parse_line(line)
            if not _is_header(fields):
                continue
            start, end = _date_range(sample.lines[:i])
            names = [f.strip() for f in fields]
            first = ref(names[0])
            second = ref(names[1]) if len(names) > 1 else first
            summary = f"(coalesce({first}, '') like 'Total:%' or coalesce({second}, '') like 'Total:%')"
            date_col = next((n for n in names if n.lower() in ("day", "date")), None)
            clicks = "Clicks" if has_any(fields, "Clicks") else "Interactions"
            columns = {
                "platform": Col(const="google_ads"),
                "account_id": Col(("Customer ID", "Account ID")),
                "campaign_id": Col(("Campaign ID",), "id"),
                "campaign_name": Col("Campaign", required=True),
                "ad_group": Col(("Ad group",)),
                "date": Col(date_col, "date") if date_col else Col(),
                "period_start": Col(const=start) if start else Col(),
                "period_end": Col(const=end) if end else Col(),
                "impressions": Col(("Impr.", "Impressions"), "integer"),
                "clicks": Col(clicks, "integer"),
                "spend": Col("Cost", "number", required=True),
                "currency": Col("Currency code"),
                "platform_conversions": Col("Conversions", "number"),
            }
            total = None
            if has_all(fields, "Campaign") and not has_any(fields, "Ad group"):
                total = TotalCheck(
                    label_predicate=f"({first} = {quote_literal('Total: Campaigns')} or {second} = {quote_literal('Total: Campaigns')})",
                    label="Total: Campaigns",
                    measures={"spend": "Cost", "impressions": "Impr." if has_any(fields, "Impr.") else "Impressions"},
                )
            plan = ReadPlan(adapter=self.name, source_system="google_ads", target_table="ad_spend", columns=columns,
                            header_line=i, summary_predicate=summary, total_check=total, delivery="snapshot")
            if has_any(fields, "Ad group", "Ad status", "Ad type", "Ad name"):
                plan.target_table = None
                plan.ignore_reason = ("Google Ads ad-group/ad-level report recognised; spend is taken from campaign-level "
                                      "reports only, so the same cost is never counted twice (deliver the Campaign report)")
            return plan
        return None
