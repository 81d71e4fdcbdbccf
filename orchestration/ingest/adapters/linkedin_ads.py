"""LinkedIn Campaign Manager performance exports (Analyze → Export → Campaign performance).

The file opens with a few metadata lines (report title, ``Report Start:``, ``Report End:``,
``Date Generated:``) before the header; dates are US ``M/D/YYYY``; the download is a comma CSV
in UTF-8 or, from some browsers and the "Excel" option, a tab-separated UTF-16 file — both are
read the same way (encoding and delimiter detected, header found by its labels). With daily time
breakdown ``Start Date (in UTC)`` is the day; otherwise rows cover the report's period, taken
from the metadata lines. Delivery mode: one file per period; same path re-delivered replaces it.
"""

from __future__ import annotations

from datetime import datetime

from orchestration.ingest.adapters.ad_spend import US_DATE_FORMATS, preamble_value, spend_columns
from orchestration.ingest.adapters.base import Col, ReadPlan, find_header, has_all, has_any
from orchestration.ingest.files import FileSample

DATE_COLUMNS = ("Start Date (in UTC)", "Start Date", "Date")


def _is_header(fields: list[str]) -> bool:
    return has_all(fields, "Campaign Name", "Impressions") and has_any(fields, "Total Spent", "Amount Spent")


def _us_date(text: str | None) -> str | None:
    """``3/1/2024, 12:00 AM`` → ``2024-03-01`` (the report's period bounds)."""
    if not text:
        return None
    head = text.replace(",", " ").split()[0]
    try:
        return datetime.strptime(head, "%m/%d/%Y").date().isoformat()
    except ValueError:
        return None


class LinkedInAdsAdapter:
    name = "linkedin_ads"

    def plan(self, sample: FileSample) -> ReadPlan | None:
        found = find_header(sample.lines, _is_header, delimiters=("\t", ",", ";"), max_lines=15)
        if found is None:
            return None
        line, fields, delimiter = found
        preamble = sample.lines[:line]
        start = _us_date(preamble_value(preamble, "Report Start", delimiter))
        end = _us_date(preamble_value(preamble, "Report End", delimiter))
        day = next((c for c in DATE_COLUMNS if has_any(fields, c)), None)
        columns = spend_columns(
            "linkedin_ads", campaign="Campaign Name", campaign_id="Campaign ID",
            spend=("Total Spent", "Amount Spent"), impressions="Impressions", clicks="Clicks",
            date=Col(day, "date", formats=US_DATE_FORMATS) if day else None,
            account=("Account ID", "Account Name"), currency="Currency",
            conversions=("Conversions", "Leads"), period=(start, end),
        )
        return ReadPlan(adapter=self.name, source_system="linkedin_ads", target_table="ad_spend", columns=columns,
                        header_line=line, delimiter=delimiter, delivery="snapshot")
