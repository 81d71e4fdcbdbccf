"""Partition-incremental models (dbt_project/macros/partitions.sql), night by night.

int_stage_events__sequenced recomputes only the entities whose input entries changed,
int_leads__merged only the match keys (email and company) whose leads changed,
int_leads__resolved only the canonical leads whose members changed, int_leads__touches only those
whose touches changed, int_leads__attribution and int_leads__campaigns only those whose touches or
conversion cutoff changed, int_lead_journeys__stages_reached only those whose creation, entries or
repeat deals changed. Hand-written deliveries (expected values are
delivery facts, not model output):

- night 1: leads L1 (created 02-01, Open), L2 (01-05, Working), L3 (01-06, Open);
- night 2: lead L0 with L1's email and company, created 01-25: L1 becomes L0's duplicate, so the
  entity lead:L1 and the canonical lead L1 are gone, its entries belong to L0 now; L2 re-delivered
  as Qualified.

Checked: night 2 equals a build of both deliveries from scratch (every column, the digests too);
the gone entity leaves no row behind; an entity whose input did not change is not recomputed (a
stored row altered by hand stays altered) while a changed one is (its altered row is repaired);
a changed shared input (the funnel stages) and --full-refresh each recompute every entity.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from dbt_harness import DbtBuild, build_night, connect, load_raw, run_dbt

NIGHT_1 = datetime(2024, 3, 2, 2, 0)
NIGHT_2 = datetime(2024, 3, 3, 2, 0)
NIGHT_3 = datetime(2024, 3, 4, 2, 0)
MODEL = "intermediate.int_stage_events__sequenced"
RESOLVED = "intermediate.int_leads__resolved"
ATTRIBUTION = "intermediate.int_leads__attribution"
JOURNEYS = "intermediate.int_lead_journeys__stages_reached"
TOUCHES = "intermediate.int_leads__touches"
CAMPAIGNS = "intermediate.int_leads__campaigns"
ENTITIES = "intermediate.int_conversion_metrics__entities"
FCT_LEADS = "marts.fct_leads"
MERGED = "intermediate.int_leads__merged"
PARTITION_MODELS = [MODEL, MERGED, RESOLVED, ATTRIBUTION, JOURNEYS, TOUCHES, CAMPAIGNS, ENTITIES, FCT_LEADS]
SELECTION = ["+int_stage_events__sequenced", "+int_leads__campaigns", "+int_lead_journeys__stages_reached",
             "+int_conversion_metrics__entities", "+fct_leads"]


def _lead(lead_id: str, email: str, created: datetime, status: str, load: str, night: datetime, row: int,
          campaign_id: str | None = None) -> dict:
    return {"lead_id": lead_id, "email": email, "company": "Acme", "status": status, "created_at": created,
            "campaign_id": campaign_id, "is_deleted": False, "_source_system": "test",
            "_source_file": f"{load}/Lead.csv", "_source_row": row, "_load_id": load, "_loaded_at": night}


NIGHT_1_LEADS = [_lead("L1", "l1@example.com", datetime(2024, 2, 1), "Open", "load-1", NIGHT_1, 1),
                 _lead("L2", "l2@example.com", datetime(2024, 1, 5), "Working", "load-1", NIGHT_1, 2),
                 _lead("L3", "l3@example.com", datetime(2024, 1, 6), "Open", "load-1", NIGHT_1, 3)]
NIGHT_2_LEADS = [_lead("L0", "l1@example.com", datetime(2024, 1, 25), "Open", "load-2", NIGHT_2, 1),
                 _lead("L2", "l2@example.com", datetime(2024, 1, 5), "Qualified", "load-2", NIGHT_2, 2)]


def _dbt(build: DbtBuild, *extra: str, night: datetime, dbt_vars: dict | None = None,
         select: list[str] = SELECTION) -> None:
    build_night(build, *extra, night=night, select=select, dbt_vars=dbt_vars)


def _rows(build: DbtBuild, model: str = MODEL) -> list[tuple]:
    return sorted(build.query(f"select * from {model}"), key=repr)


def _resolved(build: DbtBuild) -> dict[str, tuple]:
    return {lead: rest for lead, *rest in build.query(
        f"select lead_id, status, merged_lead_count, title from {RESOLVED}")}


def _sources_by_entity(build: DbtBuild) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for entity, source in build.query(f"select entity_id, event_source from {MODEL} where entity_type = 'lead'"):
        out.setdefault(entity, set()).add(source)
    return out


def _alter_by_hand(build: DbtBuild, *entities: str) -> None:
    with connect(build.warehouse) as con:
        for entity in entities:
            con.execute(f"update {MODEL} set event_source = 'altered' where entity_type = 'lead' and entity_id = ?",
                        [entity])
            con.execute(f"update {RESOLVED} set title = 'altered' where lead_id = ?", [entity])
            con.execute(f"update {ATTRIBUTION} set first_touch_type = 'altered' where lead_id = ?", [entity])
            con.execute(f"update {JOURNEYS} set reached_at = timestamp '1999-01-01' where lead_id = ?", [entity])
            con.execute(f"update {TOUCHES} set lead_source = 'altered' where lead_id = ?", [entity])
            con.execute(f"update {CAMPAIGNS} set first_touch_type = 'altered' where lead_id = ?", [entity])
            con.execute(f"update {ENTITIES} set owner_team = 'altered' where _partition_type = 'lead' and _partition_id = ?",
                        [entity])
            con.execute(f"update {FCT_LEADS} set company = 'altered' where lead_id = ?", [entity])
            con.execute(f"update {MERGED} set merge_rule = 'altered' where lead_id = ?", [entity])


def _altered_journeys(build: DbtBuild) -> set[str]:
    return {lead for (lead,) in build.query(
        f"select distinct lead_id from {JOURNEYS} where reached_at = timestamp '1999-01-01'")}


def _touch_sources(build: DbtBuild) -> dict[str, str]:
    return dict(build.query(f"select lead_id, lead_source from {TOUCHES} where touch_type = 'lead_record'"))


def _campaign_touches(build: DbtBuild) -> dict[str, tuple]:
    return {lead: tuple(rest) for lead, *rest in build.query(
        f"select lead_id, first_touch_campaign_key, first_touch_type from {CAMPAIGNS}")}


def _merge_rules(build: DbtBuild) -> dict[str, str | None]:
    return dict(build.query(f"select lead_id, merge_rule from {MERGED}"))


def _first_touch_types(build: DbtBuild) -> dict[str, str]:
    return dict(build.query(f"select lead_id, first_touch_type from {ATTRIBUTION}"))


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> dict[str, DbtBuild]:
    root = tmp_path_factory.mktemp("partitions")
    builds = {name: DbtBuild(warehouse=root / f"{name}.duckdb", target_path=root / f"target_{name}")
              for name in ("nightly", "scratch")}
    nightly, scratch = builds["nightly"], builds["scratch"]
    load_raw(nightly.warehouse, {"crm_leads": NIGHT_1_LEADS})
    _dbt(nightly, night=NIGHT_1)
    builds["after_night_1"] = _sources_by_entity(nightly)
    load_raw(nightly.warehouse, {"crm_leads": NIGHT_2_LEADS})
    _dbt(nightly, night=NIGHT_2)
    load_raw(scratch.warehouse, {"crm_leads": NIGHT_1_LEADS + NIGHT_2_LEADS})
    _dbt(scratch, night=NIGHT_2)
    return builds


def test_night_two_equals_a_build_of_both_deliveries_from_scratch(nights):
    assert nights["after_night_1"].keys() == {"L1", "L2", "L3"}
    for model in PARTITION_MODELS:
        assert _rows(nights["nightly"], model) == _rows(nights["scratch"], model), model


def test_the_entity_merged_away_is_gone_and_its_entries_moved(nights):
    nightly = nights["nightly"]
    assert _sources_by_entity(nightly).keys() == {"L0", "L2", "L3"}
    lead_ids = {lead for (lead,) in nightly.query(f"select distinct lead_id from {MODEL} where entity_type = 'lead'")}
    assert lead_ids == {"L0", "L2", "L3"}
    stages = nightly.query(f"select stage_key from {MODEL} where entity_id = 'L2' order by event_sequence")
    assert stages == [("lead",), ("qualified",)]
    assert _resolved(nightly) == {"L0": ["Open", 2, None], "L2": ["Qualified", 1, None], "L3": ["Open", 1, None]}
    assert _first_touch_types(nightly).keys() == {"L0", "L2", "L3"}
    assert {lead for (lead,) in nightly.query(f"select distinct lead_id from {JOURNEYS}")} == {"L0", "L2", "L3"}
    # L1's record is a touch of L0 now; no row of the canonical lead L1 is left in the lead tables
    assert set(nightly.query(f"select touch_id, lead_id from {TOUCHES}")) == {
        ("lead_record:L0", "L0"), ("lead_record:L1", "L0"), ("lead_record:L2", "L2"), ("lead_record:L3", "L3")}
    assert _campaign_touches(nightly).keys() == {"L0", "L2", "L3"}
    assert nightly.query(f"select lead_id, canonical_lead_id, merged_lead_count from {MERGED} order by lead_id") == [
        ("L0", "L0", 2), ("L1", "L0", 2), ("L2", "L2", 1), ("L3", "L3", 1)]


def test_each_entity_stores_one_digest_on_its_first_entry(nights):
    rows = nights["nightly"].query(f"select entity_type, entity_id, event_sequence, _partition_digest from {MODEL}")
    with_digest = [(t, e, seq) for t, e, seq, digest in rows if digest is not None]
    assert sorted(with_digest) == sorted({(t, e, 1) for t, e, _, _ in rows})


def test_only_changed_entities_are_recomputed_until_a_shared_input_changes(tmp_path):
    build = DbtBuild(warehouse=tmp_path / "w.duckdb", target_path=tmp_path / "target")
    load_raw(build.warehouse, {"crm_leads": NIGHT_1_LEADS})
    _dbt(build, night=NIGHT_1)
    correct_night_1 = _sources_by_entity(build)

    _alter_by_hand(build, "L2", "L3")
    load_raw(build.warehouse, {"crm_leads": [
        _lead("L2", "l2@example.com", datetime(2024, 1, 5), "Qualified", "load-2", NIGHT_2, 1)]})
    _dbt(build, night=NIGHT_2)
    after = _sources_by_entity(build)
    # L2's input changed (a new status): recomputed, its altered rows replaced
    assert "altered" not in after["L2"] and after["L2"] >= correct_night_1["L2"]
    assert after["L3"] == {"altered"}  # L3's did not: its stored rows were kept as they were
    assert after["L1"] == correct_night_1["L1"]
    resolved = _resolved(build)
    assert resolved["L2"] == ["Qualified", 1, None] and resolved["L3"][2] == "altered"
    # a new status is not an input of attribution (touches and the conversion cutoff are): both kept
    correct_touch = _first_touch_types(build)["L1"]
    assert _first_touch_types(build) == {"L1": correct_touch, "L2": "altered", "L3": "altered"}
    assert _altered_journeys(build) == {"L3"}  # L2 entered `qualified`: its journey was recomputed
    # a new status changes no match key (email, company, creation time): every walk was kept
    assert _merge_rules(build) == {"L1": None, "L2": "altered", "L3": "altered"}

    _dbt(build, night=NIGHT_3)  # nothing new: nothing recomputed
    assert _sources_by_entity(build)["L3"] == {"altered"}

    with connect(build.warehouse) as con:  # a stage's label edited in the (seeded) funnel stages
        con.execute("update seeds.funnel_stages set label_en = 'Won (renamed)' where stage_key = 'won'")
    _dbt(build, night=NIGHT_3, select=["int_funnel_stages", "int_stage_events__sequenced"])
    assert _sources_by_entity(build)["L3"] == correct_night_1["L3"]

    _alter_by_hand(build, "L3")
    _dbt(build, "--full-refresh", night=NIGHT_3, select=[model.split(".")[1] for model in PARTITION_MODELS])
    assert _sources_by_entity(build)["L3"] == correct_night_1["L3"]
    assert _resolved(build)["L3"] == ["Open", 1, None]
    assert _first_touch_types(build) == {lead: correct_touch for lead in ("L1", "L2", "L3")}
    assert _altered_journeys(build) == set()
    assert "altered" not in _touch_sources(build).values()
    assert "altered" not in {touch_type for _, touch_type in _campaign_touches(build).values()}
    assert "altered" not in _merge_rules(build).values()


def test_merged_touches_and_campaigns_recompute_only_the_partitions_whose_input_changed(tmp_path):
    """A new campaign on L2's record changes L2's touches (and so its campaign touches), not its
    match key; a new status on L3 changes none of the three; a new creation time on L1 changes its
    match key's leads and its touches, not its campaign touches (it has none). Rows altered by hand
    are kept where the input did not change."""
    build = DbtBuild(warehouse=tmp_path / "w.duckdb", target_path=tmp_path / "target")
    load_raw(build.warehouse, {"crm_leads": NIGHT_1_LEADS})
    _dbt(build, night=NIGHT_1)
    assert _campaign_touches(build)["L2"] == (None, None)
    _alter_by_hand(build, "L1", "L2", "L3")
    load_raw(build.warehouse, {"crm_leads": [
        _lead("L2", "l2@example.com", datetime(2024, 1, 5), "Working", "load-2", NIGHT_2, 1, campaign_id="C1"),
        _lead("L3", "l3@example.com", datetime(2024, 1, 6), "Working", "load-2", NIGHT_2, 2),
        _lead("L1", "l1@example.com", datetime(2024, 2, 2), "Open", "load-2", NIGHT_2, 3)]})
    _dbt(build, night=NIGHT_2)
    assert _merge_rules(build) == {"L1": None, "L2": "altered", "L3": "altered"}
    assert _touch_sources(build) == {"L1": None, "L2": None, "L3": "altered"}
    assert _campaign_touches(build) == {"L1": (None, "altered"), "L2": ("C1", "lead_record"), "L3": (None, "altered")}


def test_a_table_stored_before_the_digests_existed_is_upgraded_in_place(nights, tmp_path):
    """A warehouse built by a version without _partition_digest: the next night adds the column
    and, its stored digests being null, recomputes every entity (no --full-refresh needed)."""
    build = DbtBuild(warehouse=tmp_path / "w.duckdb", target_path=tmp_path / "target")
    load_raw(build.warehouse, {"crm_leads": NIGHT_1_LEADS})
    _dbt(build, night=NIGHT_1)
    with connect(build.warehouse) as con:
        for model in PARTITION_MODELS:
            con.execute(f"alter table {model} drop column _partition_digest")
    _alter_by_hand(build, "L3")
    load_raw(build.warehouse, {"crm_leads": NIGHT_2_LEADS})
    _dbt(build, night=NIGHT_2)
    for model in PARTITION_MODELS:
        assert _rows(build, model) == _rows(nights["scratch"], model), model


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
    industry (only L2's partition changes), deletes O2 (its partition is gone) and brings form post
    S3 (a new partition). Rows altered by hand stay altered in every other partition. Each partition
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
    _dbt(build, night=NIGHT_1, select=select)
    if sla_metric == "removed":  # the seed edited in place; later nights leave it out of the build
        with connect(build.warehouse) as con:
            con.execute("delete from seeds.conversion_metrics where metric_type = 'first_contact_sla'")
        _dbt(build, "--full-refresh", night=NIGHT_1, select=["int_conversion_metrics__entities"])
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
    _dbt(build, "--exclude", "conversion_metrics", night=NIGHT_2, select=select)
    night_2 = _entity_rows(build)
    assert {entity for _, entity in night_2} == {"L1", "L2", "L3", "O1", "S1", "S2", "S3"}  # O2 is gone
    assert night_2[("win_rate", "O1")] == ("Software", night_1[("win_rate", "O1")][1])
    recomputed = {key for key, (_, team) in night_2.items() if team != "altered"}
    lead_l2 = {key for key in night_1 if key[1] in ("L2", "O1")}
    inquiry_s3 = {key for key in night_2 if key[1] == "S3"}
    assert recomputed == lead_l2 | inquiry_s3
    assert _partitions_without_one_digest(build) == []
    _dbt(build, "--full-refresh", night=NIGHT_2, select=["int_conversion_metrics__entities"])
    assert {key: row for key, row in _entity_rows(build).items() if key[1] in ("L2", "O1", "S3")} == {
        key: row for key, row in night_2.items() if key[1] in ("L2", "O1", "S3")}


def test_a_table_stored_without_its_partition_key_asks_for_a_full_refresh(tmp_path):
    """int_conversion_metrics__entities as a version before its partitions stored it: no row can be
    matched to a partition, so the night stops with the model and the remedy named."""
    build = DbtBuild(warehouse=tmp_path / "w.duckdb", target_path=tmp_path / "target")
    load_raw(build.warehouse, {"crm_leads": NIGHT_1_LEADS})
    _dbt(build, night=NIGHT_1, select=["+int_conversion_metrics__entities"])
    with connect(build.warehouse) as con:
        con.execute(f"alter table {ENTITIES} drop column _partition_id")
    night = ["--select", "int_conversion_metrics__entities", "--vars", json.dumps({"as_of": NIGHT_2.isoformat(sep=" ")})]
    failed = run_dbt(["run", *night], warehouse=build.warehouse, target_path=build.target_path)
    assert failed.returncode != 0
    assert "int_conversion_metrics__entities" in failed.stdout and "without its partition key column _partition_id" in failed.stdout
    assert "--full-refresh" in failed.stdout
    repaired = run_dbt(["run", *night, "--full-refresh"], warehouse=build.warehouse, target_path=build.target_path)
    assert repaired.returncode == 0, repaired.stdout[-2000:]
    assert build.query(f"select count(*) from {ENTITIES} where _partition_id is null") == [(0,)]


def _lead_facts(build: DbtBuild) -> dict[str, tuple]:
    return {lead: tuple(rest) for lead, *rest in build.query(
        f"select lead_id, company, status, is_won, is_lost, opportunity_count, email_hash from {FCT_LEADS}")}


def test_fct_leads_recomputes_only_the_leads_whose_inputs_changed(tmp_path):
    """fct_leads finds its changed leads from the digests its inputs stored. Night 2 deletes L2's
    won deal O1 (only the deal changed: L2's outcome must follow) and re-delivers L1 with a new status;
    L3 changes in nothing, so its row altered by hand stays altered. A new PII hash key rewrites
    every lead's hashes, so it recomputes every lead."""
    build = DbtBuild(warehouse=tmp_path / "w.duckdb", target_path=tmp_path / "target")
    select = ["+fct_leads"]
    load_raw(build.warehouse, {
        "crm_leads": NIGHT_1_LEADS,
        "crm_accounts": [_account("A1", "Energy", "load-1", NIGHT_1, 1)],
        "crm_opportunities": [_closed_deal("O1", "L2", True, "load-1", NIGHT_1, 1)]})
    _dbt(build, night=NIGHT_1, select=select)
    night_1 = _lead_facts(build)
    assert night_1["L2"][2:5] == (True, False, 1)  # won through O1
    with connect(build.warehouse) as con:
        con.execute(f"update {FCT_LEADS} set company = 'altered'")

    load_raw(build.warehouse, {
        "crm_opportunities": [_closed_deal("O1", "L2", True, "load-2", NIGHT_2, 1, deleted=True)],
        "crm_leads": [_lead("L1", "l1@example.com", datetime(2024, 2, 1), "Working", "load-2", NIGHT_2, 1)]})
    _dbt(build, night=NIGHT_2, select=select)
    night_2 = _lead_facts(build)
    assert {lead for lead, row in night_2.items() if row[0] != "altered"} == {"L1", "L2"}
    assert night_2["L2"][2:5] == (False, False, 0) and night_2["L1"][1] == "Working"
    assert build.query(f"select count(*) from {FCT_LEADS} where _partition_digest is null") == [(0,)]
    _dbt(build, "--full-refresh", night=NIGHT_2, select=["fct_leads"])
    scratch = _lead_facts(build)
    assert {lead: night_2[lead] for lead in ("L1", "L2")} == {lead: scratch[lead] for lead in ("L1", "L2")}

    with connect(build.warehouse) as con:
        con.execute(f"update {FCT_LEADS} set company = 'altered'")
    _dbt(build, night=NIGHT_3, select=select, dbt_vars={"pii_hash_key": "another-key"})
    night_3 = _lead_facts(build)
    assert {row[0] for row in night_3.values()} == {"Acme"}
    assert all(night_3[lead][5] != scratch[lead][5] for lead in ("L1", "L2", "L3"))
