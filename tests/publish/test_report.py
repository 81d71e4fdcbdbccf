"""The funnel report: every section from its mart, "not available" for missing marts, and a real
browser (headless Chromium) that renders it offline without errors and draws the marts' numbers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from orchestration.publish.duckdb_file import publish_marts
from orchestration.report import report_path, write_report
from tests.publish.conftest import FIXTURE_BUILD
from tests.publish.fixture_marts import EXPECTED_REACHED, STAGES, TRICKY_CAMPAIGN, create_private_warehouse


def _embedded(path: Path, element_id: str) -> dict:
    text = path.read_text(encoding="utf-8")
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', text, re.S)
    return json.loads(match.group(1))


def test_every_section_draws_its_mart(published_out):
    result = write_report(published_out / "funnel.duckdb", published_out)
    assert result.path == published_out / "report" / "funnel_report.html"
    assert result.sections == dict.fromkeys(result.sections, "ok")
    data = _embedded(result.path, "report-data")
    assert data["build_id"] == FIXTURE_BUILD
    s = data["sections"]
    assert s["funnel"]["reached"] == EXPECTED_REACHED
    assert s["funnel"]["labels"] == [st[2] for st in STAGES]
    assert s["campaigns"]["campaigns"] == ["Spring search", TRICKY_CAMPAIGN]
    assert s["campaigns"]["roi"] == [1.0, -0.5]  # (4000 − 2000) / 2000; the total row is not counted twice
    assert s["loss"]["qualified"] == {"reasons": ["price/budget", "competition", "no decision", "unspecified"],
                                      "lost": [27, 15, 9, 3]}
    assert s["velocity"]["month"] == "2026-02-01"
    assert s["velocity"]["median"] == [order * 2.5 for _, order, *_ in STAGES[:-1]]
    assert s["dimension"]["groups"] == {"lead_to_qualified · channel": 2, "lead_to_qualified · region": 2}
    assert s["alerts"] == {"rows": 1} and s["root_cause"] == {"rows": 1}


def test_sections_whose_mart_is_missing_say_so_and_the_rest_is_drawn(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    create_private_warehouse(wh)
    con = duckdb.connect(str(wh))
    for mart in ("mart_stage_loss_reasons", "mart_alerts", "mart_root_cause", "mart_conversion_by_dimension"):
        con.execute(f"drop table marts.{mart}")
    con.execute("alter table marts.mart_campaign_performance drop column spend_amount")  # a column it needs
    con.close()
    published = publish_marts(wh, tmp_path / "out", FIXTURE_BUILD).path
    result = write_report(published, tmp_path / "out")
    assert result.sections["funnel"] == "ok" and result.sections["velocity"] == "ok"
    assert result.sections["loss"] == "mart mart_stage_loss_reasons is not in this build yet"
    assert result.sections["campaigns"].startswith("mart mart_campaign_performance has no spend column")
    html = result.path.read_text(encoding="utf-8")
    assert html.count("Not available: ") == 5


def test_chinese_labels_come_from_the_marts(published_out):
    result = write_report(published_out / "funnel.duckdb", published_out, "zh")
    assert result.path == report_path(published_out, "zh") == published_out / "report" / "funnel_report.zh.html"
    html = result.path.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html and "销售漏斗报告" in html
    assert _embedded(result.path, "report-data")["sections"]["funnel"]["labels"] == [st[3] for st in STAGES]
    with pytest.raises(ValueError, match="not supported"):
        write_report(published_out / "funnel.duckdb", published_out, "fr")


def test_a_name_from_the_data_cannot_break_out_of_the_page(published_out):
    html = write_report(published_out / "funnel.duckdb", published_out).path.read_text(encoding="utf-8")
    assert "</script><img" not in html  # escaped in the embedded JSON (<\/script>) and in the table (&lt;)
    assert "&lt;/script&gt;&lt;img src=x" in html


CHART_PROBES = {
    "funnel_x": "document.getElementById('chart-funnel').data[0].x",
    "funnel_y": "document.getElementById('chart-funnel').data[0].y",
    "roi": "document.getElementById('chart-campaigns').data[0].x",
    "loss_first_stage": "document.getElementById('chart-loss').data[0].y",
    "svg_charts": "document.querySelectorAll('.chart .main-svg').length",
    "chart_divs": "document.querySelectorAll('.chart').length",
    "images": "document.querySelectorAll('img').length",
    "funnel_text": "document.getElementById('chart-funnel').textContent",
    "not_available": "document.querySelectorAll('.na').length",
}


def test_headless_chromium_renders_both_reports_offline_with_the_marts_numbers(published_out):
    from tests.publish.browser import Browser, chromium_or_skip

    chromium_or_skip()

    english = write_report(published_out / "funnel.duckdb", published_out).path
    chinese = write_report(published_out / "funnel.duckdb", published_out, "zh").path
    shot = published_out / "report.png"
    with Browser() as browser:
        run = browser.open(english, CHART_PROBES, screenshot=shot)
        zh = browser.open(chinese, {"funnel_y": CHART_PROBES["funnel_y"],
                                    "title": "document.querySelector('h1').textContent"})
    assert run.ready == "1", "the charts did not finish rendering"
    assert run.errors == []
    assert run.requests == []  # plotly.js is inlined: nothing is fetched
    v = run.values
    assert v["funnel_x"] == EXPECTED_REACHED
    assert v["funnel_y"] == [st[2] for st in STAGES]
    assert v["roi"] == [1.0, -0.5]
    assert v["loss_first_stage"] == [27, 15, 9, 3]
    assert v["chart_divs"] == 7 and v["svg_charts"] >= 7  # every chart drew an SVG
    assert v["images"] == 0  # the campaign named '</script><img …>' stayed text
    assert f"{EXPECTED_REACHED[0]:,}" in v["funnel_text"]
    assert v["not_available"] == 0
    assert shot.stat().st_size > 20_000  # a real picture, not a blank page
    assert zh.ready == "1" and zh.errors == [] and zh.requests == []
    assert zh.values["funnel_y"] == [st[3] for st in STAGES]
    assert zh.values["title"] == "销售漏斗报告"
