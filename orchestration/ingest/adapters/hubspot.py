"""HubSpot CRM exports (Contacts / Deals → Export), with property labels as headers.

Contacts become leads: ``Lifecycle Stage`` is the status the funnel maps (via dbt seeds), ``Lead
Status`` is kept as the disqualify reason when it says the lead is unqualified, ``Original
Traffic Source`` is the lead source.

A deals export is two tables: the deals themselves (opportunities), and their stage history.
HubSpot writes one pair of columns per pipeline stage, ``Date entered "Appointment Scheduled
(Sales Pipeline)"`` and ``Date exited "…"``; each non-empty ``Date entered`` cell becomes one
stage-history row (stage label without the pipeline, entered and exited timestamps), so the
funnel sees every stage a deal reached even when it skipped back and forth. Manifest counts of
the history load count stage entries, not lines.

Timestamps are written in the HubSpot account's time zone without an offset; they are loaded as
written (treated as UTC) — set the account to UTC or map the export with a YAML mapping that
declares the zone. Delivery mode: snapshot; re-delivering the same path replaces both tables.
"""

from __future__ import annotations

import re

from orchestration.ingest.adapters.base import Col, ReadPlan, Unpivot, has_all, has_any, parse_line, ref, unpivot_col
from orchestration.ingest.files import FileSample

SOURCE_SYSTEM = "hubspot"
STAGE_ENTERED = r'Date entered "(?P<key>(?P<stage>.+?)(?: \((?P<pipeline>[^()]+)\))?)"'
NAME = f"nullif(trim(concat_ws(' ', fw_text({ref('First Name')}), fw_text({ref('Last Name')}))), '')"
UNQUALIFIED = f"case when lower(fw_text({ref('Lead Status')})) = 'unqualified' then fw_text({ref('Lead Status')}) end"

CONTACT = {
    "lead_id": Col(("Record ID", "Contact ID"), "id", required=True),
    "created_at": Col(("Create Date", "Create date"), "timestamp", required=True),
    "name": Col(expr=NAME),
    "email": Col("Email"),
    "phone": Col(("Phone Number", "Mobile Phone Number")),
    "company": Col(("Company Name", "Associated Company")),
    "title": Col("Job Title"),
    "industry": Col("Industry"),
    "employees": Col("Number of Employees", "integer"),
    "annual_revenue": Col("Annual Revenue", "number"),
    "country": Col(("Country/Region", "Country")),
    "region": Col(("State/Region", "State")),
    "city": Col("City"),
    "lead_source": Col(("Original Traffic Source", "Original Source")),
    "status": Col("Lifecycle Stage"),
    "disqualify_reason": Col(expr=UNQUALIFIED),
    "owner_id": Col(("Contact owner", "Contact Owner", "HubSpot Owner")),
}

DEAL = {
    "opportunity_id": Col(("Record ID", "Deal ID"), "id", required=True),
    "account_id": Col(("Associated Company IDs (Primary)", "Associated Company IDs", "Associated Company")),
    "name": Col("Deal Name"),
    "created_at": Col(("Create Date", "Create date"), "timestamp", required=True),
    "stage": Col("Deal Stage", required=True),
    "amount": Col("Amount", "number"),
    "currency": Col(("Currency", "Deal currency code")),
    "close_date": Col("Close Date", "date"),
    "is_closed": Col(("Is Deal Closed?", "Is closed"), "bool"),
    "is_won": Col("Is Closed Won", "bool"),
    "loss_reason": Col("Closed Lost Reason"),
    "lead_source": Col(("Original Traffic Source", "Original Source")),
    "owner_id": Col(("Deal owner", "Deal Owner", "HubSpot Owner")),
    "opportunity_type": Col("Deal Type"),
}

STAGE_HISTORY = {
    "entity_type": Col(const="opportunity"),
    "entity_id": Col(("Record ID", "Deal ID"), "id", required=True),
    "stage": Col(unpivot_col("stage"), required=True),
    "entered_at": Col(unpivot_col("value"), "timestamp", required=True),
    "exited_at": Col(unpivot_col("exited"), "timestamp"),
}


class HubSpotAdapter:
    name = "hubspot"

    def plan(self, sample: FileSample) -> ReadPlan | list[ReadPlan] | None:
        if not sample.lines:
            return None
        fields = [f.strip().lstrip("\ufeff") for f in parse_line(sample.lines[0])]
        if not has_any(fields, "Record ID", "Contact ID", "Deal ID"):
            return None
        if has_all(fields, "Deal Name", "Deal Stage"):
            return self._deals(fields)
        if has_any(fields, "Lifecycle Stage", "Contact owner") and has_any(fields, "Email", "First Name"):
            return ReadPlan(adapter=f"{self.name}/contacts", source_system=SOURCE_SYSTEM, target_table="crm_leads",
                            columns=dict(CONTACT), delivery="snapshot")
        return None

    def _deals(self, fields: list[str]) -> list[ReadPlan]:
        plans = [ReadPlan(adapter=f"{self.name}/deals", source_system=SOURCE_SYSTEM, target_table="crm_opportunities",
                          columns=dict(DEAL), delivery="snapshot")]
        if any(re.fullmatch(STAGE_ENTERED, f) for f in fields):
            plans.append(ReadPlan(
                adapter=f"{self.name}/deal_stage_history", source_system=SOURCE_SYSTEM, target_table="crm_stage_history",
                columns=dict(STAGE_HISTORY), delivery="snapshot",
                unpivot=Unpivot(pattern=STAGE_ENTERED, companions={"exited": 'Date exited "{key}"'}),
                notes=["one row per non-empty 'Date entered \"<stage> (<pipeline>)\"' cell"]))
        return plans
