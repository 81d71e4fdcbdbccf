"""HubSpot contacts and deals exports; a deals file feeds two tables (deals and stage history)."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from orchestration.ingest.run import ingest_landing
from tests.adapters.adapter_helpers import assert_identity, manifest, read_dicts
from tests.conftest import FIXTURES

CONTACTS = "hubspot/hubspot-crm-exports-all-contacts-2026-03-05.csv"
DEALS = "hubspot/hubspot-crm-exports-all-deals-2026-03-05.csv"
ENTERED = re.compile(r'Date entered "(.+) \((.+)\)"')


def _ts(text: str) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%d %H:%M") if text else None


def test_contacts_become_leads(ingest, warehouse):
    report = ingest(CONTACTS)
    assert not report.errors
    expected = read_dicts(FIXTURES / CONTACTS)
    got = {r[0]: r[1:] for r in warehouse.execute(
        "select lead_id, name, email, phone, company, status, lead_source, created_at, owner_id, disqualify_reason, country "
        "from raw.crm_leads").fetchall()}
    assert len(got) == len(expected)
    for e in expected:
        assert got[e["Record ID"]] == (
            f"{e['First Name']} {e['Last Name']}", e["Email"] or None, e["Phone Number"] or None, e["Company Name"],
            e["Lifecycle Stage"], e["Original Traffic Source"], _ts(e["Create Date"]), e["Contact owner"] or None,
            e["Lead Status"] if e["Lead Status"] == "Unqualified" else None, e["Country/Region"])
    by_stage = dict(warehouse.execute("select status, count(*) from raw.crm_leads group by 1").fetchall())
    assert by_stage["Marketing Qualified Lead"] == sum(e["Lifecycle Stage"] == "Marketing Qualified Lead" for e in expected)


def test_deals_load_into_opportunities_and_stage_history(ingest, warehouse):
    report = ingest(DEALS)
    assert not report.errors
    deals = read_dicts(FIXTURES / DEALS)
    got = {r[0]: r[1:] for r in warehouse.execute(
        "select opportunity_id, name, stage, amount, close_date, created_at, owner_id, lead_source, is_won, is_closed, loss_reason "
        "from raw.crm_opportunities").fetchall()}
    assert len(got) == len(deals)
    for d in deals:
        name, stage, amount, close, created, owner, source, won, closed, loss = got[d["Record ID"]]
        assert (name, stage, owner, source) == (d["Deal Name"], d["Deal Stage"], d["Deal owner"], d["Original Traffic Source"])
        assert amount == (pytest.approx(float(d["Amount"])) if d["Amount"] else None)
        assert close == _ts(d["Close Date"]).date() and created == _ts(d["Create Date"])
        assert (won, closed) == (d["Is Closed Won"] == "true", d["Is Deal Closed?"] == "true")
        assert loss == (d["Closed Lost Reason"] or None)
    # stage history: one row per non-empty 'Date entered "<stage> (<pipeline>)"' cell, counted in Python
    entries = {(d["Record ID"], ENTERED.fullmatch(h).group(1), _ts(v), _ts(d[h.replace("Date entered", "Date exited")]))
               for d in deals for h, v in d.items() if ENTERED.fullmatch(h) and v}
    history = set(warehouse.execute(
        "select entity_id, stage, entered_at, exited_at from raw.crm_stage_history where entity_type = 'opportunity'").fetchall())
    assert history == entries and len(entries) == 21
    m = manifest(warehouse, "hubspot-crm-exports-all-deals-2026-03-05.csv")
    assert set(m) == {"crm_opportunities", "crm_stage_history"}
    assert m["crm_opportunities"]["load_id"] != m["crm_stage_history"]["load_id"]
    assert (m["crm_stage_history"]["rows_read"], m["crm_stage_history"]["rows_loaded"]) == (21, 21)  # entries, not lines
    assert_identity(warehouse)


def test_won_deals_reached_every_stage_they_entered(ingest, warehouse):
    ingest(DEALS)
    reached = dict(warehouse.execute(
        "select o.opportunity_id, list(h.stage order by h.entered_at, h.stage) from raw.crm_opportunities o "
        "join raw.crm_stage_history h on h.entity_id = o.opportunity_id where o.is_won group by 1").fetchall())
    assert reached["9001"][-1] == "Closed Won" and len(reached["9001"]) == 6
    assert reached["9007"] == ["Partner Intro", "Partner Closed Won"]  # second pipeline, label without pipeline


def test_redelivered_deals_replace_both_tables_and_same_file_changes_nothing(ingest, warehouse, landing):
    ingest(DEALS)
    again = ingest_landing(warehouse, landing)
    assert not again.loaded and {r.status for r in again.results} == {"unchanged"} and len(again.results) == 2
    path = landing / "hubspot-crm-exports-all-deals-2026-03-05.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")  # the newer export lost deal 9007 (2 stage entries)
    report = ingest_landing(warehouse, landing)
    assert sorted(r.target_table for r in report.loaded) == ["crm_opportunities", "crm_stage_history"]
    assert warehouse.execute("select count(*) from raw.crm_opportunities").fetchone()[0] == 6
    assert warehouse.execute("select count(*) from raw.crm_stage_history").fetchone()[0] == 19
    statuses = sorted(warehouse.execute("select target_table, status from raw._load_manifest").fetchall())
    assert statuses == [("crm_opportunities", "loaded"), ("crm_opportunities", "replaced"),
                        ("crm_stage_history", "loaded"), ("crm_stage_history", "replaced")]


def test_close_dates_are_dates(ingest, warehouse):
    ingest(DEALS)
    assert warehouse.execute("select close_date from raw.crm_opportunities where opportunity_id = '9002'").fetchone()[0] \
        == date(2026, 3, 31)
