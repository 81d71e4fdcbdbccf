"""Send the latest period's ``mart_alerts`` breaches to the alert webhook after a build.

Reads the *published* file (what BI users see), picks the breaches of the most recent period of
each rule, and posts one message. Sending is best effort by design: a webhook outage must not
fail a build whose data is fine, so the outcome (sent / skipped / failed with a URL-free reason)
is returned for the caller to record.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.alerts.webhook import WebhookError, send_webhook


@dataclass
class AlertDelivery:
    status: str  # sent | skipped | failed
    breaches: int
    detail: str


def latest_breaches(published: Path, lang: str = "en") -> list[str]:
    con = duckdb.connect(str(published), read_only=True)
    try:
        has = con.execute("select count(*) from information_schema.tables "
                          "where table_schema = 'marts' and table_name = 'mart_alerts'").fetchone()[0]
        if not has:
            return []
        label = "label_zh" if lang == "zh" else "label_en"
        rows = con.execute(f"""
            select {label}, severity, period_start, observed_value, comparator, threshold, top_root_causes_text
            from marts.mart_alerts
            qualify period_start = max(period_start) over (partition by rule_key)
            order by severity, rule_key""").fetchall()
    finally:
        con.close()
    lines = []
    for label, severity, period, observed, comparator, threshold, causes in rows:
        line = f"[{severity}] {label} ({period}): {observed:.3g} {comparator} {threshold:.3g}"
        if causes:
            line += f" — {causes}"
        lines.append(line)
    return lines


def deliver_breaches(published: Path, url: str | None, secret: str | None = None, lang: str = "en") -> AlertDelivery:
    lines = latest_breaches(published, lang)
    if not url:
        return AlertDelivery("skipped", len(lines), "FUNNEL_WEBHOOK_URL not set")
    if not lines:
        return AlertDelivery("skipped", 0, "no breach in the latest period")
    try:
        flavor = send_webhook(url, f"funnel-warehouse: {len(lines)} alert(s)", lines, secret=secret)
    except WebhookError as exc:
        return AlertDelivery("failed", len(lines), str(exc))
    return AlertDelivery("sent", len(lines), f"posted to the {flavor} webhook")
