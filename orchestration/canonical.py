"""The canonical landing schema (schema ``raw``) every adapter writes into.

This module is the single source of truth for table and column names and their DuckDB types: the
loader creates the tables from it, the adapters map vendor columns onto it, the quality suites and
the dbt sources describe the same columns. Changing a column here is a contract change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RAW_SCHEMA = "raw"

# Lineage columns carried by every raw table (DESIGN.md).
LINEAGE_COLUMNS: dict[str, str] = {
    "_source_system": "VARCHAR",
    "_source_file": "VARCHAR",
    "_source_row": "BIGINT",
    "_load_id": "VARCHAR",
    "_loaded_at": "TIMESTAMP",
}


@dataclass(frozen=True)
class CanonicalTable:
    """One canonical table: its columns (name -> DuckDB type) and which of them a row must have."""

    name: str
    grain: str
    columns: dict[str, str]
    required: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    pii: tuple[str, ...] = field(default=())

    @property
    def all_columns(self) -> dict[str, str]:
        return {**self.columns, **LINEAGE_COLUMNS}


TABLES: dict[str, CanonicalTable] = {
    t.name: t
    for t in [
        CanonicalTable(
            name="crm_leads",
            grain="one row per lead per delivery",
            columns={
                "lead_id": "VARCHAR",
                "created_at": "TIMESTAMP",
                "name": "VARCHAR",
                "email": "VARCHAR",
                "phone": "VARCHAR",
                "company": "VARCHAR",
                "title": "VARCHAR",
                "industry": "VARCHAR",
                "employees": "BIGINT",
                "annual_revenue": "DOUBLE",
                "country": "VARCHAR",
                "region": "VARCHAR",
                "city": "VARCHAR",
                "lead_source": "VARCHAR",
                "status": "VARCHAR",
                "disqualify_reason": "VARCHAR",
                "owner_id": "VARCHAR",
                "campaign_id": "VARCHAR",
                "is_converted": "BOOLEAN",
                "converted_at": "TIMESTAMP",
                "converted_opportunity_id": "VARCHAR",
                "converted_account_id": "VARCHAR",
                "is_deleted": "BOOLEAN",
            },
            required=("lead_id", "created_at"),
            key=("lead_id",),
            pii=("name", "email", "phone"),
        ),
        CanonicalTable(
            name="crm_opportunities",
            grain="one row per opportunity per delivery",
            columns={
                "opportunity_id": "VARCHAR",
                "account_id": "VARCHAR",
                "lead_id": "VARCHAR",
                "name": "VARCHAR",
                "created_at": "TIMESTAMP",
                "stage": "VARCHAR",
                "amount": "DOUBLE",
                "currency": "VARCHAR",
                "probability": "DOUBLE",
                "close_date": "DATE",
                "is_closed": "BOOLEAN",
                "is_won": "BOOLEAN",
                "loss_reason": "VARCHAR",
                "lead_source": "VARCHAR",
                "campaign_id": "VARCHAR",
                "owner_id": "VARCHAR",
                "product": "VARCHAR",
                "opportunity_type": "VARCHAR",
                "is_deleted": "BOOLEAN",
            },
            required=("opportunity_id", "created_at"),
            key=("opportunity_id",),
        ),
        CanonicalTable(
            name="crm_stage_history",
            grain="one row per entity per stage entry",
            columns={
                "history_id": "VARCHAR",
                "entity_type": "VARCHAR",
                "entity_id": "VARCHAR",
                "stage": "VARCHAR",
                "entered_at": "TIMESTAMP",
                "exited_at": "TIMESTAMP",
                "amount": "DOUBLE",
                "probability": "DOUBLE",
            },
            required=("entity_type", "entity_id", "stage", "entered_at"),
            key=("entity_type", "entity_id", "stage", "entered_at"),
        ),
        CanonicalTable(
            name="crm_accounts",
            grain="one row per account per delivery",
            columns={
                "account_id": "VARCHAR",
                "name": "VARCHAR",
                "industry": "VARCHAR",
                "employees": "BIGINT",
                "annual_revenue": "DOUBLE",
                "country": "VARCHAR",
                "region": "VARCHAR",
                "segment": "VARCHAR",
                "created_at": "TIMESTAMP",
                "is_deleted": "BOOLEAN",
            },
            required=("account_id",),
            key=("account_id",),
        ),
        CanonicalTable(
            name="crm_users",
            grain="one row per sales rep per delivery",
            columns={
                "user_id": "VARCHAR",
                "name": "VARCHAR",
                "email": "VARCHAR",
                "team": "VARCHAR",
                "manager_id": "VARCHAR",
                "region": "VARCHAR",
                "is_active": "BOOLEAN",
            },
            required=("user_id",),
            key=("user_id",),
            pii=("email",),
        ),
        CanonicalTable(
            name="crm_activities",
            grain="one row per touch (call, email, meeting, task)",
            columns={
                "activity_id": "VARCHAR",
                "entity_type": "VARCHAR",
                "entity_id": "VARCHAR",
                "activity_type": "VARCHAR",
                "occurred_at": "TIMESTAMP",
                "owner_id": "VARCHAR",
            },
            required=("activity_id", "occurred_at"),
            key=("activity_id",),
        ),
        CanonicalTable(
            name="crm_campaigns",
            grain="one row per CRM campaign per delivery",
            columns={
                "campaign_id": "VARCHAR",
                "name": "VARCHAR",
                "channel": "VARCHAR",
                "status": "VARCHAR",
                "start_date": "DATE",
                "end_date": "DATE",
                "budget": "DOUBLE",
                "actual_cost": "DOUBLE",
                "currency": "VARCHAR",
                "is_deleted": "BOOLEAN",
            },
            required=("campaign_id",),
            key=("campaign_id",),
        ),
        CanonicalTable(
            name="crm_campaign_members",
            grain="one row per campaign membership",
            columns={
                "member_id": "VARCHAR",
                "campaign_id": "VARCHAR",
                "lead_id": "VARCHAR",
                "contact_id": "VARCHAR",
                "status": "VARCHAR",
                "has_responded": "BOOLEAN",
                "created_at": "TIMESTAMP",
                "responded_at": "TIMESTAMP",
            },
            required=("campaign_id",),
            key=("member_id",),
        ),
        CanonicalTable(
            name="form_submissions",
            grain="one row per web-form submission",
            columns={
                "submission_id": "VARCHAR",
                "submitted_at": "TIMESTAMP",
                "form_name": "VARCHAR",
                "email": "VARCHAR",
                "phone": "VARCHAR",
                "name": "VARCHAR",
                "company": "VARCHAR",
                "utm_source": "VARCHAR",
                "utm_medium": "VARCHAR",
                "utm_campaign": "VARCHAR",
                "utm_content": "VARCHAR",
                "utm_term": "VARCHAR",
                "click_id": "VARCHAR",
                "landing_page": "VARCHAR",
                "referrer": "VARCHAR",
                "answers": "VARCHAR",
            },
            required=("submission_id", "submitted_at"),
            key=("submission_id",),
            pii=("email", "phone", "name"),
        ),
        CanonicalTable(
            name="ad_spend",
            grain="one row per platform x campaign x day (or report period)",
            columns={
                "platform": "VARCHAR",
                "account_id": "VARCHAR",
                "campaign_id": "VARCHAR",
                "campaign_name": "VARCHAR",
                "ad_group": "VARCHAR",
                "date": "DATE",
                "period_start": "DATE",
                "period_end": "DATE",
                "impressions": "BIGINT",
                "clicks": "BIGINT",
                "spend": "DOUBLE",
                "currency": "VARCHAR",
                "platform_conversions": "DOUBLE",
            },
            required=("platform", "campaign_name"),
            key=("platform", "campaign_name", "ad_group", "date"),
        ),
    ]
}


def table(name: str) -> CanonicalTable:
    """Look a canonical table up by name, with an error that lists the valid names."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown canonical table {name!r}; known: {', '.join(sorted(TABLES))}") from None
