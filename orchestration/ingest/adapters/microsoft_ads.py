"""Microsoft Advertising (Bing Ads) reports downloaded as CSV from Reports.

Layout: quoted metadata lines first (``"Report Name: …"``, ``"Report Time: 3/1/2024 - 3/7/2024"``,
``"Time Zone: …"``, ``"Rows: 12"``, …), a blank line, the header, the rows, an optional
``Total`` row, and a copyright footer ``"©2024 Microsoft Corporation. All rights reserved."``.
The header is found by its labels (UI labels like ``Campaign name`` / ``Spend`` or API names
like ``CampaignName`` / ``Spend``); the total row is excluded and cross-checked against the
rows' spend; the footer is excluded and counted. Delivery mode: one file per period; the same
path re-delivered replaces it.
"""

from __future__ import annotations

import re
from datetime import datetime

from orchestration.ingest.adapters.ad_spend import US_DATE_FORMATS, preamble_value, spend_columns
from orchestration.ingest.adapters.base import Col, ReadPlan, TotalCheck, find_header, has_any, ref
from orchestration.ingest.files import FileSample
from orchestration.sql import quote_literal

CAMPAIGN = ("Campaign name", "CampaignName", "Campaign")
DATE = ("Gregorian date", "Date", "Day", "TimePeriod", "Time period")
FOOTERS = (r"(?:©|\(c\)|Copyright)\s*\d{4}\s+Microsoft Corporation\.?\s+All rights reserved\.?",)
_RANGE = re.compile(r"(\d{1,2}/\d{1,2}/\d{4})\s*-\s*(\d{1,2}/\d{1,2}/\d{4})")


def _is_header(fields: list[str]) -> bool:
    return has_any(fields, *CAMPAIGN) and has_any(fields, "Spend") and has_any(fields, "Impressions", "Impr.")


def _period(preamble: list[str]) -> tuple[str | None, str | None]:
    m = _RANGE.search(preamble_value(preamble, "Report Time") or "")
    if not m:
        return None, None
    return tuple(datetime.strptime(x, "%m/%d/%Y").date().isoformat() for x in m.groups())  # type: ignore[return-value]


class MicrosoftAdsAdapter:
    name = "microsoft_ads"

    def plan(self, sample: FileSample) -> ReadPlan | None:
        if not any(line.lstrip('"\ufeff').startswith("Report Name:") for line in sample.lines[:3]):
            return None
        found = find_header(sample.lines, _is_header, delimiters=(",", "\t"), max_lines=20)
        if found is None:
            return None
        line, fields, delimiter = found
        preamble = sample.lines[:line]
        first = ref(fields[0])
        summary = f"regexp_full_match(coalesce(fw_text({first}), ''), {quote_literal('(?i)(overall )?totals?')})"
        day = next((c for c in DATE if has_any(fields, c)), None)
        campaign = next(c for c in CAMPAIGN if has_any(fields, c))
        columns = spend_columns(
            "microsoft_ads", campaign=campaign, campaign_id=("Campaign ID", "CampaignId"), spend="Spend",
            impressions=("Impressions", "Impr."), clicks="Clicks",
            date=Col(day, "date", formats=US_DATE_FORMATS) if day else None,
            account=("Account number", "AccountNumber", "Account ID", "AccountId"),
            currency=("Currency code", "CurrencyCode", "Currency"), conversions=("Conversions", "Conv."),
            period=_period(preamble),
        )
        stated = preamble_value(preamble, "Rows")
        return ReadPlan(
            adapter=self.name, source_system="microsoft_ads", target_table="ad_spend", columns=columns,
            header_line=line, delimiter=delimiter, summary_predicate=summary, footer_patterns=FOOTERS,
            total_check=TotalCheck(label_predicate=summary, label="Total", measures={"spend": "Spend"}),
            delivery="snapshot", notes=[f"report metadata says Rows: {stated}"] if stated else [],
        )
