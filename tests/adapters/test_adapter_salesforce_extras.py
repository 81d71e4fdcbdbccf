"""Salesforce Data Export beyond the demo org: activities, multi-currency, localized picklists,
an ISO-8859-1 export and a file with a few lines in another encoding."""

from __future__ import annotations

import csv
from datetime import datetime

import pytest

from tests.adapters.adapter_helpers import assert_identity, manifest, read_dicts
from tests.conftest import FIXTURES

DIR = FIXTURES / "salesforce_export_extras"


def test_tasks_and_events_become_activities(ingest, warehouse):
    report = ingest("salesforce_export_extras/Task.csv", "salesforce_export_extras/Event.csv")
    assert not report.errors
    tasks, events = read_dicts(DIR / "Task.csv"), read_dicts(DIR / "Event.csv")
    rows = warehouse.execute(
        "select activity_id, entity_type, entity_id, activity_type, occurred_at, owner_id, _source_file "
        "from raw.crm_activities").fetchall()
    assert len(rows) == len(tasks) + len(events)
    by_id = {r[0]: r for r in rows}
    # entity: an opportunity in WhatId wins, else the lead/contact in WhoId; the null id is no id
    for t in tasks + events:
        _, entity_type, entity_id, *_ = by_id[t["Id"]]
        what = t["WhatId"] if t["WhatId"].startswith("006") else None
        assert entity_id == (what or t["WhoId"] or None)
        expected_type = "opportunity" if what else {"00Q": "lead", "003": "contact"}.get(t["WhoId"][:3])
        assert entity_type == expected_type
    # occurred_at: completion time when the task has one, else its date; events: their start
    for t in tasks:
        assert by_id[t["Id"]][4] == datetime.fromisoformat(t["CompletedDateTime"] or t["ActivityDate"])
    assert any(not t["CompletedDateTime"] for t in tasks)  # the fixture has an open task
    for e in events:
        assert by_id[e["Id"]][4] == datetime.fromisoformat(e["ActivityDateTime"])
    adapters = {m["adapter"] for f in ("Task.csv", "Event.csv") for m in manifest(warehouse, f).values()}
    assert adapters == {"salesforce_export/Task", "salesforce_export/Event"}


def test_multi_currency_localized_picklists_and_custom_loss_reason_are_kept_raw(ingest, warehouse):
    ingest("salesforce_export_extras/Opportunity.csv")
    expected = read_dicts(DIR / "Opportunity.csv")
    got = {r[0]: r[1:] for r in warehouse.execute(
        "select opportunity_id, currency, stage, loss_reason, amount, is_won, campaign_id from raw.crm_opportunities").fetchall()}
    assert len(got) == len(expected)
    for e in expected:
        currency, stage, loss_reason, amount, is_won, campaign = got[e["Id"]]
        assert currency == e["CurrencyIsoCode"]
        assert stage == e["StageName"]  # "Geschlossen und gewonnen": mapped to a funnel stage by dbt seeds
        assert loss_reason == (e["Loss_Reason__c"] or None)
        assert amount == pytest.approx(float(e["Amount"]))
        assert is_won == (e["IsWon"] == "1")
        assert campaign == (None if e["CampaignId"] in ("", "000000000000000AAA") else e["CampaignId"])
    per_currency = dict(warehouse.execute("select currency, sum(amount) from raw.crm_opportunities group by 1").fetchall())
    for cur in {e["CurrencyIsoCode"] for e in expected}:
        assert per_currency[cur] == pytest.approx(sum(float(e["Amount"]) for e in expected if e["CurrencyIsoCode"] == cur))


def test_iso_8859_1_export_decodes_every_accent(ingest, warehouse):
    report = ingest("salesforce_export_extras/Account_iso-8859-1.csv")
    assert not report.errors
    expected = read_dicts(DIR / "Account_iso-8859-1.csv", encoding="iso-8859-1")
    got = {r[0]: r[1:] for r in warehouse.execute("select account_id, name, region, country, industry from raw.crm_accounts").fetchall()}
    assert got == {e["Id"]: (e["Name"], e["BillingState"] or None, e["BillingCountry"], e["Industry"]) for e in expected}
    assert {"Müller Präzisionstechnik GmbH", "Ångström Labs AB", "São Paulo Logística Ltda."} <= {v[0] for v in got.values()}
    assert manifest(warehouse, "Account_iso-8859-1.csv")["crm_accounts"]["encoding"] == "cp1252"
    employees = warehouse.execute("select sum(employees) from raw.crm_accounts").fetchone()[0]
    assert employees == sum(int(e["NumberOfEmployees"]) for e in expected)


def test_mixed_encoding_file_keeps_utf8_lines_and_repairs_the_others(ingest, warehouse):
    raw = (DIR / "Lead_mixed-encoding.csv").read_bytes()
    lines = raw.split(b"\n")
    foreign = [ln for ln in lines if ln and not _is_utf8(ln)]
    assert len(foreign) == 2  # the fixture really is mixed
    expected = {}
    for ln in lines[1:]:
        if ln:
            fields = next(csv.reader([ln.decode("utf-8") if _is_utf8(ln) else ln.decode("cp1252")]))
            expected[fields[0]] = fields[6]  # Id -> Name
    report = ingest("salesforce_export_extras/Lead_mixed-encoding.csv")
    assert not report.errors
    got = dict(warehouse.execute("select lead_id, name from raw.crm_leads").fetchall())
    assert got == expected
    assert {"José Núñez", "François Lefèvre", "Zoë Øvergaard", "Jürgen Groß"} <= set(got.values())
    m = manifest(warehouse, "Lead_mixed-encoding.csv")["crm_leads"]
    assert m["encoding"] == "utf-8" and "2 line(s) were not UTF-8" in m["message"]
    assert_identity(warehouse)


def _is_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False
