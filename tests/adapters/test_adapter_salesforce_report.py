"""Salesforce report exports (labels, preamble, subtotal/grand-total rows, footer), CSV and XLSX."""

from __future__ import annotations

import shutil
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from orchestration.ingest.run import ingest_landing
from tests.adapters.adapter_helpers import assert_identity, manifest, number, read_rows
from tests.conftest import FIXTURES

CSV = FIXTURES / "salesforce_report/pipeline_by_owner.csv"
XLSX = FIXTURES / "salesforce_report/open_and_won_opportunities.xlsx"


def _csv_report() -> tuple[list[str], list[list[str]], list[list[str]]]:
    """Header, detail rows and the other rows below the header, split by plain Python."""
    rows = read_rows(CSV)
    start = next(i for i, r in enumerate(rows) if r[:2] == ["Opportunity Owner", "Account Name"])
    header, body = rows[start], rows[start + 1:]
    details = [r for r in body if len(r) == len(header) and r[0] not in ("Total",) and not r[0].startswith("Grand Totals")]
    return header, details, [r for r in body if r not in details]


def test_csv_report_loads_detail_rows_only_with_types(ingest, warehouse):
    report = ingest("salesforce_report/pipeline_by_owner.csv")
    assert not report.errors
    header, details, others = _csv_report()
    col = {h: i for i, h in enumerate(header)}
    got = warehouse.execute(
        "select name, account_id, stage, amount, currency, close_date, created_at, owner_id, lead_source, opportunity_type "
        "from raw.crm_opportunities order by _source_row").fetchall()
    assert len(got) == len(details) == 12
    for row, d in zip(got, details):
        m, dd, y = map(int, d[col["Close Date"]].split("/"))
        cm, cd, cy = map(int, d[col["Created Date"]].split("/"))
        assert row == (d[col["Opportunity Name"]], d[col["Account Name"]], d[col["Stage"]], pytest.approx(number(d[col["Amount"]])),
                       "USD", date(y, m, dd), datetime(cy, cm, cd), d[col["Opportunity Owner"]], d[col["Lead Source"]], d[col["Type"]])
    # ids: stable hashes (the report has no id column), unique per opportunity
    ids = [r[0] for r in warehouse.execute("select opportunity_id from raw.crm_opportunities").fetchall()]
    assert len(set(ids)) == 12 and all(i.startswith("sfrpt-") for i in ids)


def test_csv_report_totals_footer_and_record_count(ingest, warehouse):
    ingest("salesforce_report/pipeline_by_owner.csv")
    header, details, others = _csv_report()
    grand = next(r for r in others if r and r[0].startswith("Grand Totals"))
    expected_total = number(grand[header.index("Amount")])
    assert sum(number(d[header.index("Amount")]) for d in details) == pytest.approx(expected_total)
    assert warehouse.execute("select sum(amount) from raw.crm_opportunities").fetchone()[0] == pytest.approx(expected_total)
    m = manifest(warehouse, "pipeline_by_owner.csv")["crm_opportunities"]
    n_subtotals = sum(1 for r in others if r and r[0] == "Total")
    n_footer = sum(1 for r in others if r and r[0] and not r[0].startswith(("Grand", "Total")))
    n_blank = sum(1 for r in others if r == [""])
    assert (n_subtotals, n_footer, n_blank) == (3, 2, 2)
    assert m["rows_loaded"] == 12 and m["rows_quarantined"] == 0
    assert m["rows_summary"] == n_subtotals + 1 + n_footer + n_blank  # + the grand-total row
    assert "Grand Totals (N records)' 12 matches" in m["message"] and "Amount total 1,182,900.75 matches" in m["message"]
    assert warehouse.execute("select count(*) from raw._quarantine").fetchone()[0] == 0
    assert_identity(warehouse)


def test_xlsx_formatted_report_with_ids_preamble_and_footer(ingest, warehouse):
    report = ingest("salesforce_report/open_and_won_opportunities.xlsx")
    assert not report.errors
    ws = load_workbook(XLSX, read_only=True).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r[0] == "Opportunity ID")
    header = rows[start]
    details = [r for r in rows[start + 1:] if r[0] and str(r[0]).startswith("006")]
    grand = next(r for r in rows if r[0] and str(r[0]).startswith("Grand Totals"))
    got = {r[0]: r[1:] for r in warehouse.execute(
        "select opportunity_id, amount, close_date, created_at, stage, owner_id from raw.crm_opportunities").fetchall()}
    assert set(got) == {d[0] for d in details}
    for d in details:
        amount, close, created, stage, owner = got[d[0]]
        assert amount == pytest.approx(d[header.index("Amount")])
        assert close == d[header.index("Close Date")].date()
        assert created == d[header.index("Created Date")]
        assert (stage, owner) == (d[header.index("Stage")], d[header.index("Opportunity Owner")])
    total = warehouse.execute("select sum(amount) from raw.crm_opportunities").fetchone()[0]
    assert total == pytest.approx(grand[header.index("Amount")]) == pytest.approx(sum(d[header.index("Amount")] for d in details))
    m = manifest(warehouse, "open_and_won_opportunities.xlsx")["crm_opportunities"]
    assert (m["rows_loaded"], m["rows_summary"]) == (len(details), 4)  # grand total, blank, two footer lines
    assert_identity(warehouse)


def test_a_report_that_lost_rows_is_rejected_by_its_record_count(warehouse, landing):
    text = CSV.read_text(encoding="utf-8").replace("Grand Totals (12 records)", "Grand Totals (13 records)")
    (landing / "pipeline.csv").write_text(text, encoding="utf-8")
    report = ingest_landing(warehouse, landing)
    assert len(report.errors) == 1
    assert "states 13 records" in str(report.errors[0]) and "12 were read" in str(report.errors[0])
    assert warehouse.execute("select count(*) from raw.crm_opportunities").fetchone()[0] == 0


def test_an_edited_amount_is_rejected_by_the_grand_total(warehouse, landing):
    text = CSV.read_text(encoding="utf-8").replace('"USD 42,000.00"', '"USD 42,500.00"')
    (landing / "pipeline.csv").write_text(text, encoding="utf-8")
    report = ingest_landing(warehouse, landing)
    assert len(report.errors) == 1 and "Grand Totals" in str(report.errors[0])
    assert warehouse.execute("select count(*) from raw._load_manifest").fetchone()[0] == 0


def test_detected_by_content_not_by_name(warehouse, landing):
    shutil.copy(CSV, landing / "export (3).csv")
    report = ingest_landing(warehouse, landing)
    assert [r.adapter for r in report.loaded] == ["salesforce_report"]
