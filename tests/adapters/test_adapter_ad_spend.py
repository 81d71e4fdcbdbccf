"""Ad-platform exports into ``ad_spend``: totals recomputed here from the files with Python's csv."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from orchestration.ingest.run import ingest_landing
from tests.adapters.adapter_helpers import assert_identity, manifest, number, read_rows
from tests.conftest import FIXTURES

GOOGLE_DAY = "google_ads_ui_day/campaign_day_report_2024-03-01_2024-03-07.csv"
EDITOR = "google_ads_editor/Example-SaaS-Account_export.csv"
META_EN = "meta_ads/Example-SaaS-Campaigns-Mar-1-2024-Mar-5-2024.csv"
META_ES = "meta_ads/Example-SaaS-Campañas-1-mar-2024-31-mar-2024.csv"
LINKEDIN = "linkedin_ads/campaign_performance_report.csv"
LINKEDIN_UTF16 = "linkedin_ads/campaign_performance_report_utf16.csv"
MICROSOFT = "microsoft_ads/Campaign_performance_-_daily_2024-03-08.csv"
BAIDU = "baidu_ads/推广计划报告_20240301-20240307.csv"
OCEAN = "ocean_engine/巨量引擎_广告计划数据_20240301-20240305.csv"


def _table(name: str, header_first: str, **kw) -> tuple[list[str], list[list[str]]]:
    """Header and body of a report, the header found by its first label (plain csv module)."""
    rows = read_rows(FIXTURES / name, **kw)
    start = next(i for i, r in enumerate(rows) if r and r[0] == header_first)
    return rows[start], [r for r in rows[start + 1:] if r and any(c.strip() for c in r)]


def _spend(con, source_file: str) -> tuple:
    return con.execute(
        "select count(*), sum(spend), sum(impressions), sum(clicks), min(date), max(date), any_value(currency), "
        "any_value(platform), any_value(period_start), any_value(period_end) from raw.ad_spend where _source_file = ?",
        [source_file]).fetchone()


def test_google_ads_day_grain_report(ingest, warehouse):
    assert not ingest(GOOGLE_DAY).errors
    header, body = _table(GOOGLE_DAY, "Day")
    data = [r for r in body if not r[0].startswith("Total:")]
    total = next(r for r in body if r[0] == "Total: Campaigns")
    cost, impr = header.index("Cost"), header.index("Impr.")
    n, spend, impressions, clicks, first, last, currency, platform, start, end = _spend(warehouse, GOOGLE_DAY.split("/")[1])
    assert n == len(data) == 21 and (first, last) == (date(2024, 3, 1), date(2024, 3, 7))
    assert spend == pytest.approx(number(total[cost])) == pytest.approx(sum(float(r[cost]) for r in data))
    assert impressions == int(number(total[impr]))
    assert (currency, platform, start, end) == ("USD", "google_ads", date(2024, 3, 1), date(2024, 3, 7))
    assert manifest(warehouse, GOOGLE_DAY.split("/")[1])["ad_spend"]["rows_summary"] == 3


def test_google_ads_editor_utf16_tab_export_loads_campaign_rows_only(ingest, warehouse):
    assert not ingest(EDITOR).errors
    header, body = _table(EDITOR, "Campaign", encoding="utf-16", delimiter="\t")
    col = {h: i for i, h in enumerate(header)}
    campaigns = [r for r in body if not r[col["Ad group"]] and r[col["Campaign Type"]]]
    n, spend, impressions, clicks, first, *_ = _spend(warehouse, "Example-SaaS-Account_export.csv")
    assert n == len(campaigns) == 3 and first is None  # Editor stats carry no date
    assert spend == pytest.approx(sum(number(r[col["Cost"]]) for r in campaigns))
    assert clicks == sum(int(number(r[col["Clicks"]])) for r in campaigns)
    m = manifest(warehouse, "Example-SaaS-Account_export.csv")["ad_spend"]
    assert m["encoding"] == "utf-16-le" and m["rows_summary"] == len(body) - len(campaigns)


def test_meta_english_daily_rows_and_summary_row(ingest, warehouse):
    assert not ingest(META_EN).errors
    header, body = _table(META_EN, "Reporting starts")
    col = {h: i for i, h in enumerate(header)}
    data = [r for r in body if r[col["Campaign name"]]]
    summary = next(r for r in body if not r[col["Campaign name"]])
    n, spend, impressions, clicks, first, last, currency, *_ = _spend(warehouse, META_EN.split("/")[1])
    assert n == len(data) == 15 and currency == "USD"
    assert spend == pytest.approx(number(summary[col["Amount spent (USD)"]]))
    assert spend == pytest.approx(sum(float(r[col["Amount spent (USD)"]]) for r in data))
    assert clicks == sum(int(r[col["Link clicks"]]) for r in data)
    assert (first, last) == (date(2024, 3, 1), date(2024, 3, 5))  # one-day reporting periods are days


def test_meta_spanish_headers_currency_from_the_header(ingest, warehouse):
    assert not ingest(META_ES).errors
    header, body = _table(META_ES, "Inicio del informe")
    col = {h: i for i, h in enumerate(header)}
    n, spend, impressions, clicks, first, last, currency, platform, start, end = _spend(warehouse, META_ES.split("/")[1])
    assert (n, currency, platform) == (len(body), "EUR", "meta_ads")
    assert spend == pytest.approx(sum(float(r[col["Importe gastado (EUR)"]]) for r in body))
    assert impressions == sum(int(r[col["Impresiones"]]) for r in body)
    assert first is None and (start, end) == (date(2024, 3, 1), date(2024, 3, 31))  # a month, not a day


@pytest.mark.parametrize("name,encoding,delimiter", [(LINKEDIN, "utf-8", ","), (LINKEDIN_UTF16, "utf-16", "\t")])
def test_linkedin_metadata_lines_us_dates_and_utf16(ingest, warehouse, name, encoding, delimiter):
    assert not ingest(name).errors
    header, body = _table(name, "Start Date (in UTC)", encoding=encoding, delimiter=delimiter)
    col = {h: i for i, h in enumerate(header)}
    n, spend, impressions, clicks, first, last, currency, *_ = _spend(warehouse, name.split("/")[1])
    assert n == len(body) and currency == "USD"
    assert spend == pytest.approx(sum(float(r[col["Total Spent"]]) for r in body))
    assert clicks == sum(int(r[col["Clicks"]]) for r in body)
    days = sorted({datetime.strptime(r[col["Start Date (in UTC)"]], "%m/%d/%Y").date() for r in body})
    assert (first, last) == (days[0], days[-1])


def test_microsoft_ads_preamble_total_row_and_copyright_footer(ingest, warehouse):
    assert not ingest(MICROSOFT).errors
    rows = read_rows(FIXTURES / MICROSOFT)
    start = next(i for i, r in enumerate(rows) if r[:1] == ["Account name"])
    header, body = rows[start], [r for r in rows[start + 1:] if r and r[0]]
    data = [r for r in body if len(r) == len(header) and r[0] != "Total"]
    total = next(r for r in body if r[0] == "Total")
    n, spend, impressions, *_ = _spend(warehouse, MICROSOFT.split("/")[1])
    stated = int(next(r[0] for r in rows[:start] if r and r[0].startswith("Rows:")).split(":")[1])
    assert n == len(data) == stated
    assert spend == pytest.approx(float(total[header.index("Spend")]))
    assert impressions == int(number(total[header.index("Impressions")]))
    m = manifest(warehouse, MICROSOFT.split("/")[1])["ad_spend"]
    assert m["rows_summary"] == 2 and m["rows_quarantined"] == 0  # the Total row and the © line


@pytest.mark.parametrize("name,first_label,spend_label,platform,total_label", [
    (BAIDU, "日期", "消费", "baidu_ads", "合计"),
    (OCEAN, "日期", "消耗", "ocean_engine", "总计"),
])
def test_chinese_ad_platforms_gbk_with_preamble_and_total(ingest, warehouse, name, first_label, spend_label, platform,
                                                         total_label):
    assert not ingest(name).errors
    header, body = _table(name, first_label, encoding="gbk")
    data = [r for r in body if r[0] != total_label]
    total = next(r for r in body if r[0] == total_label)
    n, spend, impressions, clicks, first, last, currency, got_platform, *_ = _spend(warehouse, name.split("/")[1])
    assert (n, currency, got_platform) == (len(data), "CNY", platform)
    assert spend == pytest.approx(number(total[header.index(spend_label)]))
    assert spend == pytest.approx(sum(number(r[header.index(spend_label)]) for r in data))
    assert first == date(2024, 3, 1)
    assert manifest(warehouse, name.split("/")[1])["ad_spend"]["encoding"] == "gb18030"


def test_all_ad_exports_together_keep_the_manifest_identity(ingest, warehouse):
    report = ingest(GOOGLE_DAY, EDITOR, META_EN, META_ES, LINKEDIN, LINKEDIN_UTF16, MICROSOFT, BAIDU, OCEAN)
    assert not report.errors and len(report.loaded) == 9
    assert_identity(warehouse)
    platforms = {r[0] for r in warehouse.execute("select distinct platform from raw.ad_spend").fetchall()}
    assert platforms == {"google_ads", "meta_ads", "linkedin_ads", "microsoft_ads", "baidu_ads", "ocean_engine"}


def test_a_tampered_chinese_report_is_rejected_by_its_total(warehouse, landing):
    text = (FIXTURES / BAIDU).read_bytes().decode("gbk")
    lines = text.splitlines(keepends=True)
    (landing / "baidu.csv").write_bytes("".join(lines[:5] + lines[6:]).encode("gbk"))  # one data row lost
    report = ingest_landing(warehouse, landing)
    assert len(report.errors) == 1 and "合计" in str(report.errors[0])
    assert warehouse.execute("select count(*) from raw.ad_spend").fetchone()[0] == 0
