"""Partition-incremental models fed by deals and form posts, and the mart fct_leads.

int_conversion_metrics__entities recomputes only the partitions (a canonical lead with its closed
deals, a lead-less deal, a form submission) whose inputs changed; fct_leads only the leads whose
inputs' stored digests, first contact, deal links or owner changed, and every lead after a new PII
hash key. A table stored without its partition key stops the night and asks for --full-refresh.
Deliveries are hand-written (partition_nights.py); expected values are delivery facts.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from dbt_harness import DbtBuild, connect, load_raw, run_dbt
from partition_nights import (ENTITIES, FCT_LEADS, LEAD_EVENTS, NIGHT_1, NIGHT_1_LEADS, NIGHT_2, NIGHT_3, crm_lead,
                              dbt_night)


def _lineage(load: str, night: datetime, row: int, file: str) -> dict:
    return {"_source_system": "test", "_source_file": f"{load}/{file}", "_source_row": row, "_load_id": load,
            "_loaded_at": night}


def _account(account_id: str, industry: str, load: str, night: datetime, row: int) -> dict:
    return {"account_id": account_id, "name": f"Account {account_id}", "industry": industry, "employees": 500,
            "region": "CA", "segment": "Enterprise", "created_at": datetime(2024, 1, 2), "is_deleted": False,
            **_lineage(load, night, row, "Account.csv")}


def _closed_deal(opportunity_id: str, lead_id: str | None, won: bool, load: str, night: datetime, row: int,
                 deleted: bool = False) -> dict:
    return {"opportunity_id": opportunity_id, "account_id": "A1", "lead_id": lead_id, "name": opportunity_id,
            "created_at": datetime(2024, 1, 20), "stage": "Closed Won" if won else "Closed Lost", "amount": 1000.0,
            "currency": "usd", "close_date": datetime(2024, 2, 10).date(), "is_closed": True, "is_won": won,
            "owner_id": "u1", "product": "Widget", "is_deleted": deleted,
            **_lineage(load, night, row, "Opportunity.csv")}


def _form_post(submission_id: str, email: str, load: str, night: datetime, row: int) -> dict:
    return {"submission_id": submission_id, "email": email, "form_name": "Demo",
            "submitted_at": datetime(2024, 2, 20), **_lineage(load, night, row, "forms.csv")}


def _entity_rows(build: DbtBuild) -> dict[tuple[str, str], tuple]:
    return {(metric, entity): (industry, team) for metric, entity, industry, team in build.query(
        f"select metric_key, entity_id, industry, owner_team from {ENTITIES} where metric_key is not null")}


def _partitions_without_one_digest(build: DbtBuild) -> list[tuple]:
    return build.query(f"select _partition_type, _partition_id, count(_partition_digest) from {ENTITIES} "
                       "group by all having count(_partition_digest) <> 1")


@pytest.mark.parametrize("sla_metric", ["kept", "removed"])
def test_conversion_entities_recompute_only_the_partitions_whose_inputs_changed(tmp_path, sla_metric):
    """Partitions: (lead, L2) holds L2's rows and its deal O1's, (opportunity, O2) the lead-less
    deal's, (submission, <id>) each form post's. Night 2 re-delivers O1's account with another
    industry (L2's partition changes), deletes O2 (its partition is gone) and brings form post S3
    (a new partition) from L1's e-mail: S3 is a new touch of L1, so the digests L1's attribution,
    campaigns and journeys stored change and L1's partition is recomputed too (the lead partitions
    sum those stored digests rather than hashing the rows they read). L3's rows, altered by hand,
    stay altered, as do S1's and S2's. Each partition
    keeps one digest, also when the seed has no first_contact_sla metric (whose row carries a lead's
    digest otherwise)."""
    build = DbtBuild(warehouse=tmp_path / "w.duckdb", target_path=tmp_path / "target")
    select = ["+int_conversion_metrics__entities"]
    load_raw(build.warehouse, {
        "crm_leads": NIGHT_1_LEADS,
        "crm_accounts": [_account("A1", "Energy", "load-1", NIGHT_1, 1)],
        "crm_opportunities": [_closed_deal("O1", "L2", True, "load-1", NIGHT_1, 1),
                              _closed_deal("O2", None, False, "load-1", NIGHT_1, 2)],
        "form_submissions": [_form_post("S1", "l3@example.com", "load-1", NIGHT_1, 1),
                             _form_post("S2", "nobody@example.com", "load-1", NIGHT_1, 2)]})
    dbt_night(build, night=NIGHT_1, select=select)
    if sla_metric == "removed":  # the seed edited in place; later nights leave it out of the build
        with connect(build.warehouse) as con:
            con.execute("delete from seeds.conversion_metrics where metric_type = 'first_contact_sla'")
        dbt_night(build, "--full-refresh", night=NIGHT_1, select=["int_conversion_metrics__entities"])
    night_1 = _entity_rows(build)
    assert night_1[("win_rate", "O1")][0] == "Energy" and ("win_rate", "O2") in night_1
    assert {entity for _, entity in night_1} == {"L1", "L2", "L3", "O1", "O2", "S1", "S2"}
    assert ("first_contact_sla", "L1") in night_1 if sla_metric == "kept" else ("first_contact_sla", "L1") not in night_1
    assert _partitions_without_one_digest(build) == []
    with connect(build.warehouse) as con:
        con.execute(f"update {ENTITIES} set owner_team = 'altered'")

    load_raw(build.warehouse, {
        "crm_accounts": [_account("A1", "Software", "load-2", NIGHT_2, 1)],
        "crm_opportunities": [_closed_deal("O2", None, False, "load-2", NIGHT_2, 1, deleted=True)],
        "form_submissions": [_form_post("S3", "l1@example.com", "load-2", NIGHT_2, 1)]})
    dbt_night(build, "--exclude", "conversion_metrics", night=NIGHT_2, select=select)
    night_2 = _entity_rows(build)
    assert {entity for _, entity in night_2} == {"L1", "L2", "L3", "O1", "S1", "S2", "S3"}  # O2 is gone
    assert night_2[("win_rate", "O1")] == ("Software", night_1[("win_rate", "O1")][1])
    recomputed = {key for key, (_, team) in night_2.items() if team != "altered"}
    leads_l1_l2 = {key for key in night_1 if key[1] in ("L1", "L2", "O1")}
    inquiry_s3 = {key for key in night_2 if key[1] == "S3"}
    assert recomputed == leads_l1_l2 | inquiry_s3
    assert _partitions_without_one_digest(build) == []
    dbt_night(build, "--full-refresh", night=NIGHT_2, select=["int_conversion_metrics__entities"])
    assert {key: row for key, row in _entity_rows(build).items() if key[1] in ("L2", "O1", "S3")} == {
        key: row for key, row in night_2.items() if key[1] in ("L2", "O1", "S3")}


def test_a_table_stored_without_its_partition_key_asks_for_a_full_refresh(tmp_path):
    """int_conversion_metrics__entities as a version before its partitions stored it: no row can be
    matched to a partition, so the night stops with the model and the remedy named."""
    build = DbtBuild(warehouse=tmp_path / "w.duckdb", target_path=tmp_path / "target")
    load_raw(build.warehouse, {"crm_leads": NIGHT_1_LEADS})
    dbt_night(build, night=NIGHT_1, select=["+int_conversion_metrics__entities"])
    with connect(build.warehouse) as con:
        con.execute(f"alter table {ENTITIES} drop column _partition_id")
    night = ["--select", "int_conversion_metrics__entities"]
    failed = run_dbt(["run", *night], warehouse=build.warehouse, target_path=build.target_path,
                     as_of=NIGHT_2.isoformat(sep=" "))
    assert failed.returncode != 0
    assert "int_conversion_metrics__entities" in failed.stdout and "without its partition key column _partition_id" in failed.stdout
    assert "--full-refresh" in failed.stdout
    repaired = run_dbt(["run", *night, "--full-refresh"], warehouse=build.warehouse, target_path=build.target_path,
                       as_of=NIGHT_2.isoformat(sep=" "))
    assert repaired.returncode == 0, repaired.stdout[-2000:]
    assert build.query(f"select count(*) from {ENTITIES} where _partition_id is null") == [(0,)]


def _lead_facts(build: DbtBuild) -> dict[str, tuple]:
    return {lead: tuple(rest) for lead, *rest in build.query(
        f"select lead_id, company, status, is_won, is_lost, opportunity_count, email_hash from {FCT_LEADS}")}


def test_fct_leads_recomputes_only_the_leads_whose_inputs_changed(tmp_path):
    """fct_leads finds its changed leads from the digests its inputs stored. Night 2 deletes L2's
    won deal O1 (only the deal changed: L2's outcome must follow) and re-delivers L1 with a new status;
    L3 changes in nothing, so its row altered by hand stays altered. A new PII hash key rewrites
    every lead's hashes, so it recomputes every lead; int_stage_events__leads, which does not hash
    PII, recomputes only L3, qualified that night."""
    build = DbtBuild(warehouse=tmp_path / "w.duckdb", target_path=tmp_path / "target")
    select = ["+fct_leads"]
    load_raw(build.warehouse, {
        "crm_leads": NIGHT_1_LEADS,
        "crm_accounts": [_account("A1", "Energy", "load-1", NIGHT_1, 1)],
        "crm_opportunities": [_closed_deal("O1", "L2", True, "load-1", NIGHT_1, 1)]})
    dbt_night(build, night=NIGHT_1, select=select)
    night_1 = _lead_facts(build)
    assert night_1["L2"][2:5] == (True, False, 1)  # won through O1
    with connect(build.warehouse) as con:
        con.execute(f"update {FCT_LEADS} set company = 'altered'")

    load_raw(build.warehouse, {
        "crm_opportunities": [_closed_deal("O1", "L2", True, "load-2", NIGHT_2, 1, deleted=True)],
        "crm_leads": [crm_lead("L1", "l1@example.com", datetime(2024, 2, 1), "Working", "load-2", NIGHT_2, 1)]})
    dbt_night(build, night=NIGHT_2, select=select)
    night_2 = _lead_facts(build)
    assert {lead for lead, row in night_2.items() if row[0] != "altered"} == {"L1", "L2"}
    assert night_2["L2"][2:5] == (False, False, 0) and night_2["L1"][1] == "Working"
    assert build.query(f"select count(*) from {FCT_LEADS} where _partition_digest is null") == [(0,)]
    dbt_night(build, "--full-refresh", night=NIGHT_2, select=["fct_leads"])
    scratch = _lead_facts(build)
    assert {lead: night_2[lead] for lead in ("L1", "L2")} == {lead: scratch[lead] for lead in ("L1", "L2")}

    with connect(build.warehouse) as con:
        con.execute(f"update {FCT_LEADS} set company = 'altered'")
        con.execute(f"update {LEAD_EVENTS} set event_source = 'altered'")
    # night 3: L3 qualified; the lead entries of L1 and L2 have the same inputs and are kept
    load_raw(build.warehouse, {
        "crm_leads": [crm_lead("L3", "l3@example.com", datetime(2024, 1, 6), "Qualified", "load-3", NIGHT_3, 1)]})
    dbt_night(build, night=NIGHT_3, select=select, dbt_vars={"pii_hash_key": "another-key"})
    night_3 = _lead_facts(build)
    assert {row[0] for row in night_3.values()} == {"Acme"}
    assert all(night_3[lead][5] != scratch[lead][5] for lead in ("L1", "L2", "L3"))
    lead_events: dict[str, set[str]] = {}
    for lead, source in build.query(f"select lead_id, event_source from {LEAD_EVENTS}"):
        lead_events.setdefault(lead, set()).add(source)
    assert lead_events["L1"] == lead_events["L2"] == {"altered"}
    assert lead_events["L3"] == {"lead_created", "lead_status"}
