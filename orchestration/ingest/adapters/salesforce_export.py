"""Salesforce Data Export (Setup → Data Export): one ``<Object>.csv`` per object, API field names.

Recognised by the header signature of each object, not by the file name, so renamed or prefixed
files still load. Delivery mode: full snapshot per object — each nightly export replaces the rows
of the same file path, and staging keeps the newest version of each record.

Quirks handled: every field quoted, booleans ``"0"``/``"1"``, datetimes in UTC, empty lookups as
``""`` or the null id ``000000000000000AAA`` (kind ``id``), custom fields (``*__c``) such as a loss
reason picked from a configurable list, ``CurrencyIsoCode`` kept when the org is multi-currency.
Picklist values are kept as exported, also when the exporting user's language localized them
(``Geschlossen und gewonnen``): dbt seeds map them to funnel stages. Exports in ISO-8859-1 and
files with some lines in another encoding are decoded line-correctly (see ``files.py``,
``transcode.py``); Task and Event rows become activities.
"""

from __future__ import annotations

from orchestration.ingest.adapters.base import Col, ReadPlan, has_all, has_any, parse_line, ref
from orchestration.ingest.files import FileSample

SOURCE_SYSTEM = "salesforce"

# Custom fields tried, in order, for values the standard objects lack. Extend via settings.
LOSS_REASON_FIELDS = ("Loss_Reason__c", "Reason_Lost__c", "Closed_Lost_Reason__c", "Lost_Reason__c", "LossReason__c")
DISQUALIFY_REASON_FIELDS = ("Disqualify_Reason__c", "Unqualified_Reason__c", "Disqualification_Reason__c", "Lead_Lost_Reason__c")
PRODUCT_FIELDS = ("Product__c", "Product_Interest__c", "ProductInterest__c")

LEAD = {
    "lead_id": Col("Id", "id", required=True),
    "created_at": Col("CreatedDate", "timestamp", required=True),
    "name": Col(expr=f"nullif(trim(concat_ws(' ', fw_text({ref('FirstName')}), fw_text({ref('LastName')}))), '')"),
    "email": Col("Email"),
    "phone": Col(("Phone", "MobilePhone")),
    "company": Col("Company"),
    "title": Col("Title"),
    "industry": Col("Industry"),
    "employees": Col("NumberOfEmployees", "integer"),
    "annual_revenue": Col("AnnualRevenue", "number"),
    "country": Col("Country"),
    "region": Col("State"),
    "city": Col("City"),
    "lead_source": Col("LeadSource"),
    "status": Col("Status", required=True),
    "disqualify_reason": Col(DISQUALIFY_REASON_FIELDS),
    "owner_id": Col("OwnerId", "id"),
    "campaign_id": Col(("Campaign__c", "CampaignId"), "id"),
    "is_converted": Col("IsConverted", "bool"),
    "converted_at": Col("ConvertedDate", "timestamp"),
    "converted_opportunity_id": Col("ConvertedOpportunityId", "id"),
    "converted_account_id": Col("ConvertedAccountId", "id"),
    "is_deleted": Col("IsDeleted", "bool"),
}

OPPORTUNITY = {
    "opportunity_id": Col("Id", "id", required=True),
    "account_id": Col("AccountId", "id"),
    "lead_id": Col(("Lead__c", "LeadId", "Converted_Lead__c"), "id"),
    "name": Col("Name"),
    "created_at": Col("CreatedDate", "timestamp", required=True),
    "stage": Col("StageName", required=True),
    "amount": Col("Amount", "number"),
    "currency": Col("CurrencyIsoCode"),
    "probability": Col("Probability", "number"),
    "close_date": Col("CloseDate", "date"),
    "is_closed": Col("IsClosed", "bool"),
    "is_won": Col("IsWon", "bool"),
    "loss_reason": Col(LOSS_REASON_FIELDS),
    "lead_source": Col("LeadSource"),
    "campaign_id": Col("CampaignId", "id"),
    "owner_id": Col("OwnerId", "id"),
    "product": Col(PRODUCT_FIELDS),
    "opportunity_type": Col("Type"),
    "is_deleted": Col("IsDeleted", "bool"),
}

OPPORTUNITY_HISTORY = {
    "history_id": Col("Id", "id"),
    "entity_type": Col(const="opportunity"),
    "entity_id": Col("OpportunityId", "id", required=True),
    "stage": Col("StageName", required=True),
    "entered_at": Col("CreatedDate", "timestamp", required=True),
    "amount": Col("Amount", "number"),
    "probability": Col("Probability", "number"),
}

ACCOUNT = {
    "account_id": Col("Id", "id", required=True),
    "name": Col("Name"),
    "industry": Col("Industry"),
    "employees": Col("NumberOfEmployees", "integer"),
    "annual_revenue": Col("AnnualRevenue", "number"),
    "country": Col(("BillingCountry", "ShippingCountry")),
    "region": Col(("BillingState", "ShippingState")),
    "segment": Col(("Segment__c", "Type")),
    "created_at": Col("CreatedDate", "timestamp"),
    "is_deleted": Col("IsDeleted", "bool"),
}

USER = {
    "user_id": Col("Id", "id", required=True),
    "name": Col(expr=f"coalesce(fw_text({ref('Name')}), nullif(trim(concat_ws(' ', fw_text({ref('FirstName')}), fw_text({ref('LastName')}))), ''))"),
    "email": Col("Email"),
    "team": Col(("Department", "Team__c", "UserRoleName")),
    "manager_id": Col("ManagerId", "id"),
    "region": Col(("Division", "Region__c", "Country")),
    "is_active": Col("IsActive", "bool"),
}

CAMPAIGN = {
    "campaign_id": Col("Id", "id", required=True),
    "name": Col("Name"),
    "channel": Col(("Channel__c", "Type")),
    "status": Col("Status"),
    "start_date": Col("StartDate", "date"),
    "end_date": Col("EndDate", "date"),
    "budget": Col("BudgetedCost", "number"),
    "actual_cost": Col("ActualCost", "number"),
    "currency": Col("CurrencyIsoCode"),
    "is_deleted": Col("IsDeleted", "bool"),
}

CAMPAIGN_MEMBER = {
    "member_id": Col("Id", "id"),
    "campaign_id": Col("CampaignId", "id", required=True),
    "lead_id": Col("LeadId", "id"),
    "contact_id": Col("ContactId", "id"),
    "status": Col("Status"),
    "has_responded": Col("HasResponded", "bool"),
    "created_at": Col("CreatedDate", "timestamp"),
    "responded_at": Col("FirstRespondedDate", "timestamp"),
}

# Task and Event: WhatId points at the opportunity, WhoId at the lead/contact; key prefixes say which.
ACTIVITY = {
    "activity_id": Col("Id", "id", required=True),
    "entity_type": Col(expr=f"case when fw_id({ref('WhatId')}) like '006%' then 'opportunity' "
                            f"when fw_id({ref('WhoId')}) like '00Q%' then 'lead' "
                            f"when fw_id({ref('WhoId')}) like '003%' then 'contact' else null end"),
    "entity_id": Col(expr=f"case when fw_id({ref('WhatId')}) like '006%' then fw_id({ref('WhatId')}) else fw_id({ref('WhoId')}) end"),
    "activity_type": Col(("TaskSubtype", "EventSubtype", "Type", "Subject")),
    # the first *value* present: an open task has no CompletedDateTime but a due ActivityDate
    "occurred_at": Col(expr="coalesce(" + ", ".join(f"fw_text({ref(c)})" for c in (
        "CompletedDateTime", "ActivityDateTime", "StartDateTime", "ActivityDate", "CreatedDate")) + ")",
        kind="timestamp", required=True),
    "owner_id": Col("OwnerId", "id"),
}

# (object, target table, columns, signature test) — order matters: Lead before Account/Contact,
# Event (which also has WhoId/WhatId/Subject) before Task.
OBJECTS = (
    ("Lead", "crm_leads", LEAD, lambda h: has_all(h, "Id", "IsConverted", "Status")),
    ("OpportunityHistory", "crm_stage_history", OPPORTUNITY_HISTORY, lambda h: has_all(h, "Id", "OpportunityId", "StageName")),
    ("Opportunity", "crm_opportunities", OPPORTUNITY, lambda h: has_all(h, "Id", "StageName", "IsWon")),
    ("CampaignMember", "crm_campaign_members", CAMPAIGN_MEMBER, lambda h: has_all(h, "Id", "CampaignId") and has_any(h, "LeadId", "ContactId")),
    ("Campaign", "crm_campaigns", CAMPAIGN, lambda h: has_all(h, "Id", "Name", "StartDate") and has_any(h, "BudgetedCost", "NumberOfLeads")),
    ("User", "crm_users", USER, lambda h: has_all(h, "Id", "Username")),
    ("Event", "crm_activities", ACTIVITY, lambda h: has_all(h, "Id", "WhoId", "StartDateTime")),
    ("Task", "crm_activities", ACTIVITY, lambda h: has_all(h, "Id", "WhoId", "WhatId", "Subject")),
    ("Contact", None, {}, lambda h: has_all(h, "Id", "AccountId", "FirstName", "LastName", "Email")),
    ("Account", "crm_accounts", ACCOUNT, lambda h: has_all(h, "Id", "Name") and has_any(h, "BillingCity", "BillingCountry", "AccountNumber", "NumberOfEmployees")),
)


class SalesforceExportAdapter:
    name = "salesforce_export"

    def plan(self, sample: FileSample) -> ReadPlan | None:
        if not sample.lines:
            return None
        header = parse_line(sample.lines[0])
        if not header or header[0].strip().lstrip("\ufeff") != "Id":
            return None
        for obj, target, columns, matches in OBJECTS:
            if matches(header):
                plan = ReadPlan(adapter=f"{self.name}/{obj}", source_system=SOURCE_SYSTEM, target_table=target,
                                columns=dict(columns), delivery="snapshot")
                if target is None:
                    plan.ignore_reason = (f"Salesforce {obj} export recognised; {obj} records are not part of the "
                                          "funnel schema (leads, opportunities, accounts carry what the marts need)")
                return plan
        return None
