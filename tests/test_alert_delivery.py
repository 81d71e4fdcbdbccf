"""mart_alerts breaches reach the webhook; a failing webhook is recorded, never raised, never leaks the URL."""

from __future__ import annotations

import json
from datetime import date

import duckdb

from orchestration.alerts.breaches import deliver_breaches
from tests.webhook_server import recording_server


def _published(path):
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("""create table marts.mart_alerts (rule_key varchar, label_en varchar, label_zh varchar,
        severity varchar, period_start date, observed_value double, comparator varchar, threshold double,
        top_root_causes_text varchar)""")
    con.executemany("insert into marts.mart_alerts values (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        ("win_rate_low", "Win rate below 30%", "赢单率低于30%", "high", date(2026, 5, 1), 0.21, "<", 0.3,
         "channel=paid_search (-0.09)"),
        ("win_rate_low", "Win rate below 30%", "赢单率低于30%", "high", date(2026, 4, 1), 0.25, "<", 0.3, None),
        ("sla_low", "First-contact SLA below 90%", "首次联系及时率低于90%", "medium", date(2026, 5, 1), 0.8, "<", 0.9, None),
    ])
    con.close()


def test_latest_breaches_are_posted(tmp_path):
    path = tmp_path / "funnel.duckdb"
    _published(path)
    with recording_server() as (url, received):
        delivery = deliver_breaches(path, url + "/hook", lang="zh")
    assert delivery.status == "sent" and delivery.breaches == 2  # April's win-rate breach is not the latest
    text = json.dumps(received[0]["json"], ensure_ascii=False)
    assert "赢单率低于30%" in text and "channel=paid_search" in text and "2026-04" not in text


def test_a_failing_webhook_is_recorded_not_raised(tmp_path):
    path = tmp_path / "funnel.duckdb"
    _published(path)
    with recording_server(status=503) as (url, _):
        delivery = deliver_breaches(path, url + "/hook?key=TOPSECRET")
    assert delivery.status == "failed" and "503" in delivery.detail and "TOPSECRET" not in delivery.detail


def test_without_a_url_delivery_is_skipped(tmp_path):
    path = tmp_path / "funnel.duckdb"
    _published(path)
    assert deliver_breaches(path, None).status == "skipped"
