"""fct_leads finds its changed leads from the first-contact columns it shows, not from the whole
row of int_leads__first_contact (whose activity_count moves with every follow-up: a one-day delta
at 10M leads brought follow-ups to 69K leads that changed in nothing else).

Night 1: leads L1 (created 02-01 00:00), L2 (01-05), L3 (01-06, no activity yet); L1 is called at
02-01 05:00 (first contact in 5 h), L2 at 01-10 (120 h: outside the 24 h SLA). Every lead fact is
then altered by hand. Night 2 brings a follow-up call on L1 (02-03) and the first call on L3
(01-06 10:00). Expected: fct_leads recomputes L3, whose first contact changed, and keeps L1's and
L2's altered rows. Expected values are delivery facts.
"""

from __future__ import annotations

from datetime import datetime

from dbt_harness import DbtBuild, connect, load_raw
from partition_nights import FCT_LEADS, NIGHT_1, NIGHT_1_LEADS, NIGHT_2, dbt_night

FIRST_CONTACT = "intermediate.int_leads__first_contact"


def _call(activity_id: str, lead_id: str, at: datetime, load: str, night: datetime, row: int) -> dict:
    return {"activity_id": activity_id, "entity_type": "lead", "entity_id": lead_id, "activity_type": "call",
            "occurred_at": at, "owner_id": "u1", "_source_system": "test", "_source_file": f"{load}/Task.csv",
            "_source_row": row, "_load_id": load, "_loaded_at": night}


def _first_contacts(build: DbtBuild) -> dict[str, tuple]:
    return {lead: tuple(rest) for lead, *rest in build.query(
        f"select lead_id, first_activity_at, hours_to_first_activity, is_contacted_within_sla, activity_count "
        f"from {FIRST_CONTACT}")}


def _fct_companies(build: DbtBuild) -> dict[str, str]:
    return dict(build.query(f"select lead_id, company from {FCT_LEADS}"))


def test_a_follow_up_call_does_not_recompute_the_lead_fact(tmp_path):
    build = DbtBuild(warehouse=tmp_path / "w.duckdb", target_path=tmp_path / "target")
    load_raw(build.warehouse, {"crm_leads": NIGHT_1_LEADS, "crm_activities": [
        _call("A1", "L1", datetime(2024, 2, 1, 5), "load-1", NIGHT_1, 1),
        _call("B1", "L2", datetime(2024, 1, 10), "load-1", NIGHT_1, 2)]})
    dbt_night(build, night=NIGHT_1, select=["+fct_leads"])
    assert _first_contacts(build) == {
        "L1": (datetime(2024, 2, 1, 5), 5.0, True, 1),
        "L2": (datetime(2024, 1, 10), 120.0, False, 1),
        "L3": (None, None, False, 0)}
    with connect(build.warehouse) as con:
        con.execute(f"update {FCT_LEADS} set company = 'altered'")

    load_raw(build.warehouse, {"crm_activities": [
        _call("A2", "L1", datetime(2024, 2, 3), "load-2", NIGHT_2, 1),
        _call("C1", "L3", datetime(2024, 1, 6, 10), "load-2", NIGHT_2, 2)]})
    dbt_night(build, night=NIGHT_2, select=["+fct_leads"])
    assert _first_contacts(build) == {
        "L1": (datetime(2024, 2, 1, 5), 5.0, True, 2),
        "L2": (datetime(2024, 1, 10), 120.0, False, 1),
        "L3": (datetime(2024, 1, 6, 10), 10.0, True, 1)}
    assert _fct_companies(build) == {"L1": "altered", "L2": "altered", "L3": "Acme"}
    # L3's recomputed fact equals a build from scratch
    night_2 = build.query(f"select * exclude (company) from {FCT_LEADS} where lead_id = 'L3'")
    dbt_night(build, "--full-refresh", night=NIGHT_2, select=["fct_leads"])
    assert build.query(f"select * exclude (company) from {FCT_LEADS} where lead_id = 'L3'") == night_2
    assert _fct_companies(build) == {"L1": "Acme", "L2": "Acme", "L3": "Acme"}
