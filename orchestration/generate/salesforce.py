"""Writes the Salesforce Data Export: one CSV per object, every field quoted, '\\n' line endings.

Rows are written as records arrive (a lead and everything hanging off it), so nothing
accumulates. Spelling follows the real export: booleans "0"/"1", datetimes 'YYYY-MM-DD HH:MM:SS'
UTC, dates as 'YYYY-MM-DD 00:00:00', and empty lookups as either "" or the null id, field by field
(ConvertedXxxId of web-to-lead leads and CampaignId use the null id, other leads and upgrade deals
write "").
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO

from .fmt import DAY, dt, sf_bool, sf_date
from .ids import NULL_ID, SalesforceIds
from .model import Campaign, Lead, Opportunity, Task, User
from .scenario import FX_CNY_PER_USD, STAGE_INFO
from .sf_columns import FILES

_LEAD_FIXED = {"IsDeleted": "0", "HasOptedOutOfEmail": "0", "DoNotCall": "0", "HasOptedOutOfFax": "0",
               "CleanStatus": "Pending", "IsConverted": "0"}


def _money(x: float) -> str:
    """Salesforce currency fields: integers without decimals, otherwise two decimals."""
    return str(int(x)) if x == int(x) else f"{x:.2f}"


def _amount_in(amount: int, cur: str, target: str) -> float:
    if cur == target:
        return amount
    return amount * FX_CNY_PER_USD if target == "CNY" else amount / FX_CNY_PER_USD


class SalesforceExport:
    """Open writers for every object; `rows` counts data rows written per file."""

    def __init__(self, folder: Path, seed: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, IO[str]] = {}
        self._writers = {}
        self.rows: dict[str, int] = {}
        for obj, cols in FILES.items():
            f = open(folder / f"{obj}.csv", "w", encoding="utf-8", newline="")
            self._files[obj] = f
            w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
            w.writerow(cols)
            self._writers[obj] = (w, dict.fromkeys(cols, ""))
            self.rows[obj] = 0
        self._history_ids = SalesforceIds("OpportunityHistory", seed)
        self._member_ids = SalesforceIds("CampaignMember", seed)

    def __enter__(self) -> "SalesforceExport":
        return self

    def __exit__(self, *exc: object) -> None:
        for f in self._files.values():
            f.close()

    def _write(self, obj: str, values: dict[str, str]) -> None:
        """One row: a copy of the all-blank row in column order, overlaid (the fast path in CPython).

        A key that is not a column would land at the end of the row; the tests catch that as a row
        longer than the header.
        """
        w, blank = self._writers[obj]
        row = blank.copy()
        row.update(values)
        w.writerow(row.values())
        self.rows[obj] += 1

    # -- users and campaigns --------------------------------------------------------------------
    def write_users(self, users: list[User]) -> None:
        for u in users:
            login = u.first.lower() + "." + u.last.lower().replace("'", "")
            self._write("User", {
                "Id": u.id, "Username": f"{login}.{u.id[-6:].lower()}@funnelworks.example", "LastName": u.last,
                "FirstName": u.first, "Name": u.name, "CompanyName": "FunnelWorks", "Division": u.division,
                "Department": u.team, "Title": u.title, "Email": f"{login}@funnelworks.example",
                "EmailPreferencesAutoBcc": "1", "Alias": (u.first[:1] + u.last[:4]).lower(),
                "CommunityNickname": f"{login}{u.id[-4:]}", "IsActive": sf_bool(u.active_until_month is None),
                "TimeZoneSidKey": "Asia/Shanghai" if u.division == "APAC" else "America/Los_Angeles",
                "UserRoleId": u.role_id, "LocaleSidKey": "en_US", "ReceivesInfoEmails": "0",
                "ReceivesAdminInfoEmails": "0", "EmailEncodingKey": "UTF-8", "ProfileId": "00e5g000000AbCdAAK",
                "UserType": "Standard", "LanguageLocaleKey": "en_US", "ManagerId": u.manager_id or "",
                "CreatedDate": dt(u.created), "CreatedById": u.id, "LastModifiedDate": dt(u.created),
                "LastModifiedById": u.id, "SystemModstamp": dt(u.created), "UserPermissionsMarketingUser": "0",
                "UserPermissionsOfflineUser": "0", "ForecastEnabled": "0", "DigestFrequency": "D",
                "DefaultGroupNotificationFrequency": "N", "IsProfilePhotoActive": "0"})

    def write_campaigns(self, campaigns: list[Campaign], export_at: int, owner_id: str,
                        actual_cost: dict[str, str]) -> None:
        """Written last, when member and opportunity counts (and Ads spend) are known."""
        for c in campaigns:
            n = c.counts
            actual = actual_cost.get(c.name, "") if c.ads else _money(c.budget * 0.97) if c.end < export_at else ""
            budget = str(-(-int(float(actual or 0) * 1.1) // 1000) * 1000) if c.ads else str(c.budget)
            counts = {"NumberOfLeads": n.get("leads", 0), "NumberOfConvertedLeads": n.get("converted", 0),
                      "NumberOfContacts": 0, "NumberOfResponses": n.get("responses", 0),
                      "NumberOfOpportunities": n.get("opps", 0), "NumberOfWonOpportunities": n.get("won", 0),
                      "AmountAllOpportunities": _money(round(n.get("amount_all", 0))),
                      "AmountWonOpportunities": _money(round(n.get("amount_won", 0)))}
            row = {"Id": c.id, "IsDeleted": "0", "Name": c.name, "Type": c.type,
                   "Status": "Completed" if c.end < export_at else "In Progress", "StartDate": sf_date(c.start),
                   "EndDate": sf_date(c.end), "BudgetedCost": budget, "ActualCost": actual,
                   "NumberSent": str(n.get("sent", 0)), "IsActive": "1", "OwnerId": owner_id,
                   "CreatedDate": dt(c.start - 14 * DAY), "CreatedById": owner_id,
                   "LastModifiedDate": dt(min(c.end, export_at - 1)), "LastModifiedById": owner_id,
                   "SystemModstamp": dt(min(c.end, export_at - 1)), "CurrencyIsoCode": c.currency,
                   "HierarchyNumberSent": str(n.get("sent", 0)), "HierarchyBudgetedCost": budget,
                   "HierarchyActualCost": actual or "0"}
            for k, v in counts.items():
                row[k] = row["Hierarchy" + k] = str(v)
            self._write("Campaign", row)

    # -- a lead and everything hanging off it --------------------------------------------------
    def write_lead(self, lead: Lead) -> None:
        comp, opp = lead.company, lead.opportunity
        web = lead.creator_id != lead.owner.id
        null = NULL_ID if web else ""
        last_task = max((t.ts for t in lead.tasks), default=None)
        blank_size = comp.index % 10 == 0  # a tenth of companies never had size data entered
        self._write("Lead", {
            **_LEAD_FIXED, "Id": lead.id, "IsDeleted": sf_bool(lead.is_deleted), "Salutation": lead.salutation,
            "FirstName": lead.first, "LastName": lead.last, "Title": lead.title, "Company": comp.name,
            "City": comp.city, "State": comp.state, "Country": lead.country, "Phone": lead.phone,
            "Email": lead.email, "Website": comp.domain if not lead.is_deleted else "", "LeadSource": lead.source,
            "Status": lead.status, "Industry": "" if lead.is_deleted else comp.industry,
            "AnnualRevenue": "" if blank_size or not comp.annual_revenue else str(comp.annual_revenue),
            "NumberOfEmployees": "" if blank_size or not comp.employees else str(comp.employees),
            "OwnerId": lead.owner.id, "IsConverted": sf_bool(opp is not None),
            "ConvertedDate": sf_date(lead.converted_at) if opp else "",
            "ConvertedAccountId": lead.account_id if opp else null,
            "ConvertedContactId": lead.contact_id if opp else null,
            "ConvertedOpportunityId": opp.id if opp else null, "IsUnreadByOwner": sf_bool(lead.status == "New"),
            "CreatedDate": dt(lead.created), "CreatedById": lead.creator_id, "LastModifiedDate": dt(lead.last_modified),
            "LastModifiedById": lead.owner.id, "SystemModstamp": dt(lead.last_modified),
            "LastActivityDate": sf_date(last_task) if last_task else "", "ProductInterest__c": lead.product,
            "Disqualify_Reason__c": lead.disqualify_reason})
        for t in lead.tasks:
            self._task(lead, t)
        for campaign, ts, responded in lead.memberships:
            self._member(lead, campaign, ts, responded)
        if lead.account_created and opp is not None:
            self._account(lead, opp)
        for o in (opp, lead.repeat):
            if o is not None:
                self._opportunity(o, lead)

    def _task(self, lead: Lead, t: Task) -> None:
        subtype = {"Call": "Call", "Email": "Email"}.get(t.subject, "Task")
        at = dt(t.ts)
        self._write("Task", {
            "Id": t.id, "WhoId": lead.id, "WhatId": t.what_id, "WhoCount": "1", "WhatCount": sf_bool(bool(t.what_id)),
            "Subject": t.subject, "ActivityDate": at[:10] + " 00:00:00", "Status": "Completed", "Priority": "Normal",
            "IsHighPriority": "0", "OwnerId": t.owner_id, "Type": t.subject, "IsDeleted": "0",
            "AccountId": lead.account_id if t.what_id else "", "IsClosed": "1", "CreatedDate": at,
            "CreatedById": t.owner_id, "LastModifiedDate": at, "LastModifiedById": t.owner_id,
            "SystemModstamp": at, "IsArchived": "0", "IsReminderSet": "0", "IsRecurrence": "0",
            "TaskSubtype": subtype, "CompletedDateTime": at})

    def _member(self, lead: Lead, c: Campaign, ts: int, responded: bool) -> None:
        c.counts["leads"] = c.counts.get("leads", 0) + 1
        c.counts["sent"] = c.counts.get("sent", 0) + 1
        c.counts["responses"] = c.counts.get("responses", 0) + responded
        c.counts["converted"] = c.counts.get("converted", 0) + (lead.opportunity is not None)
        self._write("CampaignMember", {
            "Id": self._member_ids.next(), "IsDeleted": "0", "CampaignId": c.id, "LeadId": lead.id,
            "ContactId": lead.contact_id or "", "Status": "Responded" if responded else "Sent",
            "HasResponded": sf_bool(responded), "IsPrimary": "0", "CreatedDate": dt(ts), "CreatedById": lead.creator_id,
            "LastModifiedDate": dt(ts), "LastModifiedById": lead.creator_id, "SystemModstamp": dt(ts),
            "FirstRespondedDate": sf_date(ts) if responded else ""})

    def _account(self, lead: Lead, opp: Opportunity) -> None:
        comp, won = lead.company, any(e.stage == "Closed Won" for e in opp.events)
        self._write("Account", {
            "Id": lead.account_id, "IsDeleted": "0", "Name": comp.name,
            "Type": "Customer - Direct" if won else "Prospect",
            "ParentId": NULL_ID, "BillingCity": comp.city, "BillingState": comp.state, "BillingCountry": comp.country,
            "Phone": lead.phone, "Website": f"www.{comp.domain}", "Industry": comp.industry,
            "AnnualRevenue": str(comp.annual_revenue), "NumberOfEmployees": str(comp.employees),
            "OwnerId": lead.owner.id, "CreatedDate": dt(opp.created), "CreatedById": lead.owner.id,
            "LastModifiedDate": dt(opp.created), "LastModifiedById": lead.owner.id, "SystemModstamp": dt(opp.created),
            "CleanStatus": "Pending", "AccountSource": lead.source, "DandbCompanyId": NULL_ID,
            "CurrencyIsoCode": opp.currency})

    def _opportunity(self, o: Opportunity, lead: Lead) -> None:
        last = o.events[-1]
        prob, order, forecast = STAGE_INFO[last.stage]
        closed, won = last.stage in ("Closed Won", "Closed Lost"), last.stage == "Closed Won"
        close_day = sf_date(last.close_ts)
        campaign = next((c for c, _, _ in lead.memberships if c.id == o.campaign_id), None)
        if campaign is not None:
            n, value = campaign.counts, _amount_in(last.amount, o.currency, campaign.currency)
            n["opps"] = n.get("opps", 0) + 1
            n["amount_all"] = n.get("amount_all", 0) + value
            if won:
                n["won"] = n.get("won", 0) + 1
                n["amount_won"] = n.get("amount_won", 0) + value
        self._write("Opportunity", {
            "Id": o.id, "IsDeleted": "0", "AccountId": o.account_id, "IsPrivate": "0", "Name": o.name,
            "StageName": last.stage, "StageSortOrder": str(order), "Amount": str(last.amount), "Probability": str(prob),
            "ExpectedRevenue": _money(last.amount * prob / 100), "CloseDate": close_day, "Type": o.type,
            "LeadSource": o.lead_source, "IsClosed": sf_bool(closed), "IsWon": sf_bool(won),
            "ForecastCategory": forecast, "ForecastCategoryName": forecast,
            "CampaignId": o.campaign_id or ("" if o.type != "New Customer" else NULL_ID),
            "HasOpportunityLineItem": "0", "OwnerId": o.owner.id, "CreatedDate": dt(o.created),
            "CreatedById": o.owner.id, "LastModifiedDate": dt(last.ts), "LastModifiedById": o.owner.id,
            "SystemModstamp": dt(last.ts), "LastStageChangeDate": dt(last.ts), "FiscalYear": close_day[:4],
            "FiscalQuarter": str((int(close_day[5:7]) - 1) // 3 + 1), "CurrencyIsoCode": o.currency,
            "Loss_Reason__c": last.loss_reason if last.stage == "Closed Lost" else ""})
        prev = None
        for i, e in enumerate(o.events):
            p, _, fc = STAGE_INFO[e.stage]
            nxt = o.events[i + 1].ts if i + 1 < len(o.events) else None
            self._write("OpportunityHistory", {
                "Id": self._history_ids.next(), "OpportunityId": o.id, "CreatedById": o.owner.id,
                "CreatedDate": dt(e.ts), "CreatedDateForInsert": dt(e.ts), "StageName": e.stage,
                "Amount": str(e.amount), "ExpectedRevenue": _money(e.amount * p / 100),
                "CloseDate": sf_date(e.close_ts),
                "Probability": str(p), "FromForecastCategory": STAGE_INFO[prev.stage][2] if prev else "",
                "ForecastCategory": fc, "FromOpportunityStageName": prev.stage if prev else "",
                "ValidThroughDate": dt(nxt) if nxt else "", "SystemModstamp": dt(e.ts), "IsDeleted": "0"})
            prev = e
