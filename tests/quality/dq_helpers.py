"""Hand-made deliveries for the quality-suite tests (imported by conftest.py and the tests)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from orchestration.canonical import TABLES
from orchestration.sql import quote_ident
from orchestration.warehouse import MANIFEST_TABLE

ALL_TABLES = sorted(TABLES)

# The checks' clock: fixed, so "not in the future" is deterministic.
NOW = datetime(2025, 6, 30, 12, 0, 0)
LOADED_AT = datetime(2025, 6, 30, 2, 0, 0)

# A small stage-mapping seed (header deliberately in another case; values matched case-insensitively).
SEED_CSV = """Source_System,Entity_Type,Raw_Value,Stage_Key
*,lead,Open - Not Contacted,lead
*,lead,Working - Contacted,lead
*,lead,Closed - Converted,qualified
salesforce,opportunity,Prospecting,discovery
salesforce,opportunity,Closed Won,won
*,opportunity,Negotiation/Review,negotiation
"""


def good_row(table: str, i: int) -> dict[str, Any]:
    """Row ``i`` of a delivery that every expectation of ``table`` accepts."""
    day = datetime(2025, 3, 1) + timedelta(days=i)
    rows: dict[str, dict[str, Any]] = {
        "crm_leads": dict(
            lead_id=f"L{i}", created_at=day, name=f"Person {i}", email=f"person{i}@example.com",
            phone=f"+1 (415) 555-01{i:02d}", status="Open - Not Contacted", employees=50 + i,
            annual_revenue=1_000_000.0, converted_at=day + timedelta(days=3),
        ),
        "crm_opportunities": dict(
            opportunity_id=f"O{i}", created_at=day + timedelta(hours=15), stage="Prospecting", amount=1000.0 * (i + 1),
            currency="EUR", probability=10.0, close_date=day.date(),  # same day as created: allowed
        ),
        "crm_stage_history": dict(
            history_id=f"H{i}", entity_type="opportunity", entity_id=f"O{i}", stage="Prospecting", entered_at=day,
            exited_at=day + timedelta(days=2), amount=500.0, probability=10.0,
        ),
        "crm_accounts": dict(account_id=f"A{i}", name=f"Acme {i}", created_at=day, employees=10, annual_revenue=5e5),
        "crm_users": dict(user_id=f"U{i}", name=f"Rep {i}", email=f"rep{i}@example.com"),
        "crm_activities": dict(activity_id=f"T{i}", entity_type="lead", entity_id=f"L{i}", activity_type="call", occurred_at=day),
        "crm_campaigns": dict(
            campaign_id=f"C{i}", name=f"Campaign {i}", budget=100.0, actual_cost=90.0, currency="USD",
            start_date=day.date(), end_date=(day + timedelta(days=30)).date(),
        ),
        "crm_campaign_members": dict(member_id=f"M{i}", campaign_id="C1", lead_id=f"L{i}", created_at=day, responded_at=day),
        "form_submissions": dict(
            submission_id=f"S{i}", submitted_at=day, email=f"visitor{i}@example.org", phone=f"030 1234 56{i:02d}",
            answers='{"budget": "10k"}',
        ),
        "ad_spend": dict(
            platform="google_ads", campaign_name=f"Brand {i}", ad_group="All", date=day.date(), impressions=1000,
            clicks=50, spend=12.5, currency="USD",
        ),
    }
    return rows[table]


def insert_delivery(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: list[dict[str, Any]],
    *,
    load_id: str,
    source_file: str,
    source_system: str = "salesforce",
    loaded_at: datetime = LOADED_AT,
    manifest: bool = True,
) -> None:
    """Insert rows with lineage (``_source_row`` = 1, 2, ...) and record the load in the manifest."""
    for n, row in enumerate(rows, start=1):
        values = {**row, "_source_system": source_system, "_source_file": source_file, "_source_row": n,
                  "_load_id": load_id, "_loaded_at": loaded_at}
        cols = ", ".join(quote_ident(c) for c in values)
        con.execute(
            f"insert into raw.{quote_ident(table)} ({cols}) values ({', '.join('?' for _ in values)})",
            list(values.values()),
        )
    if manifest:
        record_manifest(con, table, load_id, source_file, len(rows), loaded_at)


def record_manifest(con, table: str, load_id: str, source_file: str, rows: int, loaded_at: datetime, status: str = "loaded") -> None:
    con.execute(
        f"insert into {MANIFEST_TABLE} (load_id, source_file, file_name, target_table, rows_loaded, status, loaded_at) "
        "values (?, ?, ?, ?, ?, ?, ?)",
        [load_id, source_file, Path(source_file).name, table, rows, status, loaded_at],
    )
