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

from datetime import datetime

import pytest

from dbt_harness import DbtBuild, connect, load_raw
from partition_nights import (ATTRIBUTION, CAMPAIGNS, ENTITIES, FCT_LEADS, JOURNEYS, MERGED, MODEL, NIGHT_1,
                              NIGHT_1_LEADS, NIGHT_2, NIGHT_2_LEADS, NIGHT_3, PARTITION_MODELS, RESOLVED, TOUCHES,
                              crm_lead, dbt_night)

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
    dbt_night(nightly, night=NIGHT_1)
    builds["after_night_1"] = _sources_by_entity(nightly)
    load_raw(nightly.warehouse, {"crm_leads": NIGHT_2_LEADS})
    dbt_night(nightly, night=NIGHT_2)
    load_raw(scratch.warehouse, {"crm_leads": NIGHT_1_LEADS + NIGHT_2_LEADS})
    dbt_night(scratch, night=NIGHT_2)
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
    dbt_night(build, night=NIGHT_1)
    correct_night_1 = _sources_by_entity(build)

    _alter_by_hand(build, "L2", "L3")
    load_raw(build.warehouse, {"crm_leads": [
        crm_lead("L2", "l2@example.com", datetime(2024, 1, 5), "Qualified", "load-2", NIGHT_2, 1)]})
    dbt_night(build, night=NIGHT_2)
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

    dbt_night(build, night=NIGHT_3)  # nothing new: nothing recomputed
    assert _sources_by_entity(build)["L3"] == {"altered"}

    with connect(build.warehouse) as con:  # a stage's label edited in the (seeded) funnel stages
        con.execute("update seeds.funnel_stages set label_en = 'Won (renamed)' where stage_key = 'won'")
    dbt_night(build, night=NIGHT_3, select=["int_funnel_stages", "int_stage_events__sequenced"])
    assert _sources_by_entity(build)["L3"] == correct_night_1["L3"]

    _alter_by_hand(build, "L3")
    dbt_night(build, "--full-refresh", night=NIGHT_3, select=[model.split(".")[1] for model in PARTITION_MODELS])
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
    dbt_night(build, night=NIGHT_1)
    assert _campaign_touches(build)["L2"] == (None, None)
    _alter_by_hand(build, "L1", "L2", "L3")
    load_raw(build.warehouse, {"crm_leads": [
        crm_lead("L2", "l2@example.com", datetime(2024, 1, 5), "Working", "load-2", NIGHT_2, 1, campaign_id="C1"),
        crm_lead("L3", "l3@example.com", datetime(2024, 1, 6), "Working", "load-2", NIGHT_2, 2),
        crm_lead("L1", "l1@example.com", datetime(2024, 2, 2), "Open", "load-2", NIGHT_2, 3)]})
    dbt_night(build, night=NIGHT_2)
    assert _merge_rules(build) == {"L1": None, "L2": "altered", "L3": "altered"}
    assert _touch_sources(build) == {"L1": None, "L2": None, "L3": "altered"}
    assert _campaign_touches(build) == {"L1": (None, "altered"), "L2": ("C1", "lead_record"), "L3": (None, "altered")}


def test_a_table_stored_before_the_digests_existed_is_upgraded_in_place(nights, tmp_path):
    """A warehouse built by a version without _partition_digest: the next night adds the column
    and, its stored digests being null, recomputes every entity (no --full-refresh needed)."""
    build = DbtBuild(warehouse=tmp_path / "w.duckdb", target_path=tmp_path / "target")
    load_raw(build.warehouse, {"crm_leads": NIGHT_1_LEADS})
    dbt_night(build, night=NIGHT_1)
    with connect(build.warehouse) as con:
        for model in PARTITION_MODELS:
            con.execute(f"alter table {model} drop column _partition_digest")
    _alter_by_hand(build, "L3")
    load_raw(build.warehouse, {"crm_leads": NIGHT_2_LEADS})
    dbt_night(build, night=NIGHT_2)
    for model in PARTITION_MODELS:
        assert _rows(build, model) == _rows(nights["scratch"], model), model
