"""What every ad-platform adapter shares: the ``ad_spend`` columns and preamble helpers.

Ad reports differ in labels and languages but agree on content (campaign × day: impressions,
clicks, spend); one helper builds the column map so that every platform fills ``ad_spend`` the
same way, and each vendor module only says which of its labels mean what.
"""

from __future__ import annotations

import re

from orchestration.ingest.adapters.base import Col, parse_line

DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S")
US_DATE_FORMATS = ("%m/%d/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%Y-%m-%d")


def spend_columns(
    platform: str,
    *,
    campaign: str | tuple[str, ...],
    spend: str | tuple[str, ...],
    impressions: str | tuple[str, ...] | None = None,
    clicks: str | tuple[str, ...] | None = None,
    date: Col | None = None,
    campaign_id: str | tuple[str, ...] | None = None,
    account: str | tuple[str, ...] | None = None,
    account_const: str | None = None,
    currency: str | tuple[str, ...] | None = None,
    currency_const: str | None = None,
    conversions: str | tuple[str, ...] | None = None,
    period: tuple[str | None, str | None] = (None, None),
    period_cols: tuple[Col, Col] | None = None,
) -> dict[str, Col]:
    """The ``ad_spend`` column map for one platform's labels."""
    start, end = period
    cols = {
        "platform": Col(const=platform),
        "account_id": Col(const=account_const) if account_const else (Col(account, "id") if account else Col()),
        "campaign_id": Col(campaign_id, "id") if campaign_id else Col(),
        "campaign_name": Col(campaign, required=True),
        "date": date or Col(),
        "period_start": Col(const=start, kind="date") if start else Col(),
        "period_end": Col(const=end, kind="date") if end else Col(),
        "impressions": Col(impressions, "integer") if impressions else Col(),
        "clicks": Col(clicks, "integer") if clicks else Col(),
        "spend": Col(spend, "number", required=True),
        "currency": Col(const=currency_const) if currency_const else (Col(currency) if currency else Col()),
        "platform_conversions": Col(conversions, "number") if conversions else Col(),
    }
    if period_cols:
        cols["period_start"], cols["period_end"] = period_cols
    return cols


def preamble_value(lines: list[str], label: str, delimiter: str = ",") -> str | None:
    """The value of a ``Label: value`` (or ``Label,value``) line above a report's header."""
    pattern = re.compile(rf"^\s*{re.escape(label)}\s*[:：]?\s*(.*?)\s*$", re.I)
    for line in lines:
        fields = [f.strip() for f in parse_line(line, delimiter) if f.strip()]
        if not fields:
            continue
        joined = fields[0] if len(fields) == 1 else f"{fields[0]} {' '.join(fields[1:])}"
        m = pattern.match(joined)
        if m and m.group(1):
            return m.group(1)
    return None
