"""Deliveries and model names shared by the partition-incremental tests (test_dbt_partition_*):
hand-written leads of three nights, and a night's dbt build of the partition models."""

from __future__ import annotations

from datetime import datetime

from dbt_harness import DbtBuild, build_night

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
LEAD_EVENTS = "intermediate.int_stage_events__leads"
PARTITION_MODELS = [MODEL, MERGED, LEAD_EVENTS, RESOLVED, ATTRIBUTION, JOURNEYS, TOUCHES, CAMPAIGNS, ENTITIES, FCT_LEADS]
SELECTION = ["+int_stage_events__sequenced", "+int_leads__campaigns", "+int_lead_journeys__stages_reached",
             "+int_conversion_metrics__entities", "+fct_leads"]


def crm_lead(lead_id: str, email: str, created: datetime, status: str, load: str, night: datetime, row: int,
          campaign_id: str | None = None) -> dict:
    return {"lead_id": lead_id, "email": email, "company": "Acme", "status": status, "created_at": created,
            "campaign_id": campaign_id, "is_deleted": False, "_source_system": "test",
            "_source_file": f"{load}/Lead.csv", "_source_row": row, "_load_id": load, "_loaded_at": night}


NIGHT_1_LEADS = [crm_lead("L1", "l1@example.com", datetime(2024, 2, 1), "Open", "load-1", NIGHT_1, 1),
                 crm_lead("L2", "l2@example.com", datetime(2024, 1, 5), "Working", "load-1", NIGHT_1, 2),
                 crm_lead("L3", "l3@example.com", datetime(2024, 1, 6), "Open", "load-1", NIGHT_1, 3)]
NIGHT_2_LEADS = [crm_lead("L0", "l1@example.com", datetime(2024, 1, 25), "Open", "load-2", NIGHT_2, 1),
                 crm_lead("L2", "l2@example.com", datetime(2024, 1, 5), "Qualified", "load-2", NIGHT_2, 2)]


def dbt_night(build: DbtBuild, *extra: str, night: datetime, dbt_vars: dict | None = None,
         select: list[str] = SELECTION) -> None:
    build_night(build, *extra, night=night, select=select, dbt_vars=dbt_vars)
