"""A tiny canonical `raw` warehouse whose funnel can be counted by hand.

Every expected figure in test_dbt_models.py is derived in the comments below, not from the models.
as_of (the "now" of the build) is 2024-06-30 00:00:00 UTC.

Leads (cohort = creation month, UTC):
  2024-01 cohort — L1..L5 (5 leads)
    L1  converted 01-10 09:00 into O1; O1 history Prospecting 01-10 09:00 -> Proposal/Price Quote
        01-20 -> Closed Won 02-15 (negotiation skipped). Account A1 wins again with O5 (04-01,
        "Existing Business") -> repeat.        reached: lead..won, repeat
    L2  Working - Contacted (the first delivery said Open - Not Contacted; the second wins)
                                                reached: lead
    L3  converted 01-16 into O2; O2 history Qualification 01-16 -> Needs Analysis 01-18 (same
        stage: one discovery entry) -> Proposal 01-25 -> Negotiation 02-01 -> Closed Lost 02-20
                                                reached: lead..negotiation (lost after negotiation)
    L4  Unqualified (lost)                      reached: lead
    L5  Qualified, not converted                reached: lead, qualified
  2024-02 cohort — L6, L7 (2 leads; L8 is L7's duplicate)
    L6  created 02-29 20:00 UTC = 03-01 04:00 in Asia/Shanghai (month-end timezone boundary)
    L7  carl@example.com 02-10; L8 CARL@example.com 02-25 (15 days later: merged into L7), status
        Qualified; O3.lead_id = L8, so O3 belongs to L7.
        O3 history: Qualification and Value Proposition with the SAME timestamp 03-01 12:00 (file
        rows 10 and 11 -> discovery then proposal), Id. Decision Makers 03-05 (still proposal),
        Closed Lost 03-20, then re-opened: Negotiation/Review 04-02 (current).
                                                L7 reached: lead..negotiation
  2024-04 cohort — L9 carl@example.com again 04-15 (65 days after the kept L7: a new lead)
  2024-05 cohort — L10 status "Recycled" (no mapping -> reported as unmapped)
  L11 deleted in the latest delivery (gone).

Opportunities without a lead: O4 (open, Negotiation/Review, no history), O5 (A1's repeat deal,
Closed Won, closed 04-01, no history), O6 (stage "Verbal Commit": unmapped, no history).

Form submissions: S1 -> L1 by email, S2 -> L2 by phone (+1 415 555 0102 = 415-555-0102),
S3 unmatched, S4 (03-15, carl@) -> L8 (closest in time) -> canonical L7.

Analysis marts (test_dbt_analysis_marts.py derives every expected figure from these notes):
  Campaign C1 "Spring Webinar": Google Ads 120 (the corrected 01-01) + 150 USD (01-02) -> January
    spend 270 USD, impressions 3,000, clicks 130. Leads whose first (and last) campaign touch is
    C1: L1 (response M1) and L3 (lead record) -> 2 leads, both qualified and opportunities, 1 won
    (L1: O1 50,000 USD) -> CPL 135, CAC 270, ROAS 50,000/270, ROI 49,730/270. Inquiries: S1
    (January), S3 (February, no lead). (CNY -> USD conversion is checked on generated data,
    test_dbt_generated_data.py, against the generator's planted spend.)
  Open deals scored (defaults: strategic value potential 3, follow-up cost medium 3, payment cycle
    45 days 3 -> 0.45 × 3 = 1.35): O4 1,500,000 at 90% -> 5, 5 -> (1.5 + 1.25 + 1.35)/5 × 100 = 82
    high; O3 600,000 at 70% -> 4, 4 -> (1.2 + 1.0 + 1.35)/5 × 100 = 71 medium; O6 10,000 without
    probability -> discovery default 20% -> 1, 2 -> (0.3 + 0.5 + 1.35)/5 × 100 = 43 low.
  Losses: L4 disqualified without a reason (unspecified) at lead, January (5 entered);
    L9 disqualified "价格太高" (price/budget) at lead, April (1 entered); O2 lost after negotiation
    "Price", negotiation entered in February by O2 and O1 (skipped) -> 1 of 2.
  First-contact SLA of the January cohort 2/5 = 0.4 < 0.9 with 5 leads -> the only alert; the
    hand-made marts.mart_root_cause (root_cause_rows) gives its candidates.
"""

from __future__ import annotations

from datetime import date, datetime

D1 = datetime(2024, 1, 9, 2, 0)  # first nightly delivery
D2 = datetime(2024, 6, 1, 2, 0)  # latest nightly delivery (re-delivers the snapshot tables)

AS_OF = "2024-06-30 00:00:00"
PII_KEY = "test-pii-key"


def ts(s: str) -> datetime:
    return datetime.fromisoformat(s)


def _lineage(system: str, file: str, row: int, load: str, loaded_at: datetime) -> dict:
    return {
        "_source_system": system,
        "_source_file": file,
        "_source_row": row,
        "_load_id": load,
        "_loaded_at": loaded_at,
    }


def _lead(lead_id, created, status, *, email=None, phone=None, name=None, owner="u1", **kw):
    row = {
        "lead_id": lead_id,
        "created_at": ts(created),
        "name": name or f"Person {lead_id}",
        "email": email,
        "phone": phone,
        "company": kw.pop("company", f"Company {lead_id}"),
        "industry": kw.pop("industry", "Manufacturing"),
        "employees": kw.pop("employees", 120),
        "country": kw.pop("country", "USA"),
        "region": kw.pop("region", "CA"),
        "lead_source": kw.pop("lead_source", "Web"),
        "status": status,
        "owner_id": owner,
        "disqualify_reason": kw.pop("disqualify_reason", None),
        "is_converted": kw.pop("is_converted", False),
        "converted_at": ts(kw.pop("converted_at")) if "converted_at" in kw else None,
        "converted_opportunity_id": kw.pop("converted_opportunity_id", None),
        "converted_account_id": kw.pop("converted_account_id", None),
        "campaign_id": kw.pop("campaign_id", None),
        "is_deleted": kw.pop("is_deleted", False),
    }
    assert not kw, kw
    return row


def leads() -> list[dict]:
    latest = [
        _lead("L1", "2024-01-05 10:00", "Closed - Converted", email="Ann@Example.com ",
              phone="(415) 555-0101", is_converted=True, converted_at="2024-01-10 09:00",
              converted_opportunity_id="O1", converted_account_id="A1", campaign_id="C1"),
        _lead("L2", "2024-01-08 10:00", "Working - Contacted", email="bo@example.com",
              phone="415-555-0102", owner="u2"),
        _lead("L3", "2024-01-15 10:00", "Closed - Converted", email="cy@example.com",
              is_converted=True, converted_at="2024-01-16 10:00", converted_opportunity_id="O2",
              converted_account_id="A2", campaign_id="C1"),
        _lead("L4", "2024-01-20 10:00", "Unqualified", email="di@example.com", owner="u2"),
        _lead("L5", "2024-01-25 10:00", "Qualified", email="ed@example.com"),
        _lead("L6", "2024-02-29 20:00", "New", email="fay@example.com", phone="138 0013 8000",
              country=None),
        _lead("L7", "2024-02-10 10:00", "Working", email="carl@example.com", company="Initech"),
        _lead("L8", "2024-02-25 10:00", "Qualified", email="CARL@example.com ", company="Initech"),
        _lead("L9", "2024-04-15 10:00", "Unqualified", email="carl@example.com", company="Initech",
              disqualify_reason="价格太高"),
        _lead("L10", "2024-05-05 10:00", "Recycled", email="gus@example.com"),
        _lead("L11", "2024-01-03 10:00", "New", email="hal@example.com", is_deleted=True),
    ]
    rows = [{**r, **_lineage("salesforce", "Lead.csv", i + 1, "load-2", D2)} for i, r in enumerate(latest)]
    # the first delivery: L2 not yet contacted, L11 not yet deleted (both superseded by load-2)
    first = [
        _lead("L2", "2024-01-08 10:00", "Open - Not Contacted", email="bo@example.com",
              phone="415-555-0102", owner="u2"),
        _lead("L11", "2024-01-03 10:00", "New", email="hal@example.com"),
    ]
    rows += [{**r, **_lineage("salesforce", "Lead.csv", i + 1, "load-1", D1)} for i, r in enumerate(first)]
    return rows


def _opp(opp_id, created, stage, *, account=None, lead=None, amount=10000.0, owner="u1", **kw):
    row = {
        "opportunity_id": opp_id,
        "account_id": account,
        "lead_id": lead,
        "name": f"Deal {opp_id}",
        "created_at": ts(created),
        "stage": stage,
        "amount": amount,
        "currency": "usd",
        "probability": kw.pop("probability", 50.0),
        "close_date": kw.pop("close_date", None),
        "is_closed": kw.pop("is_closed", None),
        "is_won": kw.pop("is_won", None),
        "loss_reason": kw.pop("loss_reason", None),
        "lead_source": "Web",
        "campaign_id": kw.pop("campaign_id", None),
        "owner_id": owner,
        "product": kw.pop("product", "Widget"),
        "opportunity_type": kw.pop("opportunity_type", "New Business"),
        "is_deleted": False,
    }
    assert not kw, kw
    return row


def opportunities() -> list[dict]:
    rows = [
        _opp("O1", "2024-01-10 09:00", "Closed Won", account="A1", amount=50000.0,
             close_date=date(2024, 2, 15), is_closed=True, is_won=True),
        _opp("O2", "2024-01-16 10:00", "Closed Lost", account="A2", close_date=date(2024, 2, 20),
             is_closed=True, is_won=False, loss_reason="Price"),
        _opp("O3", "2024-03-01 11:00", "Negotiation/Review", account="A3", lead="L8", amount=600000.0,
             probability=70.0, close_date=date(2024, 6, 20)),
        _opp("O4", "2024-03-10 10:00", "Negotiation/Review", account="A2", owner="u2", amount=1500000.0,
             probability=90.0, close_date=date(2024, 7, 15)),
        _opp("O5", "2024-03-01 10:00", "Closed Won", account="A1", amount=20000.0,
             close_date=date(2024, 4, 1), is_closed=True, is_won=True,
             opportunity_type="Existing Business"),
        _opp("O6", "2024-05-01 10:00", "Verbal Commit", account="A2", owner="u2", probability=None,
             close_date=date(2024, 7, 31)),
    ]
    return [{**r, **_lineage("salesforce", "Opportunity.csv", i + 1, "load-3", D2)} for i, r in enumerate(rows)]


def stage_history() -> list[dict]:
    def h(hid, opp, stage, entered, row):
        return {
            "history_id": hid, "entity_type": "Opportunity", "entity_id": opp, "stage": stage,
            "entered_at": ts(entered), "exited_at": None, "amount": None, "probability": None,
            **_lineage("salesforce", "OpportunityHistory.csv", row, "load-4", D2),
        }

    return [
        h("H01", "O1", "Prospecting", "2024-01-10 09:00", 1),
        h("H02", "O1", "Proposal/Price Quote", "2024-01-20 10:00", 2),
        h("H03", "O1", "Closed Won", "2024-02-15 10:00", 3),
        h("H04", "O2", "Qualification", "2024-01-16 10:00", 4),
        h("H05", "O2", "Needs Analysis", "2024-01-18 10:00", 5),
        h("H06", "O2", "Proposal/Price Quote", "2024-01-25 10:00", 6),
        h("H07", "O2", "Negotiation/Review", "2024-02-01 10:00", 7),
        h("H08", "O2", "Closed Lost", "2024-02-20 10:00", 8),
        # identical timestamps: the file row decides (ids sort the other way on purpose)
        h("H10-b", "O3", "Qualification", "2024-03-01 12:00", 10),
        h("H10-a", "O3", "Value Proposition", "2024-03-01 12:00", 11),
        h("H12", "O3", "Id. Decision Makers", "2024-03-05 12:00", 12),
        h("H13", "O3", "Closed Lost", "2024-03-20 12:00", 13),
        h("H14", "O3", "Negotiation/Review", "2024-04-02 12:00", 14),
    ]


def accounts() -> list[dict]:
    rows = [
        {"account_id": "A1", "name": "Acme Corp", "industry": "Manufacturing", "employees": 500,
         "annual_revenue": 1e7, "country": "USA", "region": "CA", "segment": "Enterprise",
         "created_at": ts("2024-01-10 09:00"), "is_deleted": False},
        {"account_id": "A2", "name": "Globex", "industry": "Energy", "employees": 50,
         "annual_revenue": 1e6, "country": "USA", "region": "NY", "segment": "SMB",
         "created_at": ts("2024-01-16 10:00"), "is_deleted": False},
        {"account_id": "A3", "name": "Initech", "industry": "Software", "employees": 80,
         "annual_revenue": 2e6, "country": "China", "region": "Shanghai", "segment": "Mid-market",
         "created_at": ts("2024-03-01 11:00"), "is_deleted": False},
    ]
    return [{**r, **_lineage("salesforce", "Account.csv", i + 1, "load-5", D2)} for i, r in enumerate(rows)]


def users() -> list[dict]:
    rows = [
        {"user_id": "u1", "name": "Alice Smith", "email": "alice@corp.com", "team": "East",
         "manager_id": "u3", "region": "East", "is_active": True},
        {"user_id": "u2", "name": "Bob Jones", "email": "bob@corp.com", "team": "West",
         "manager_id": "u3", "region": "West", "is_active": True},
        {"user_id": "u3", "name": "Carol Lee", "email": "carol@corp.com", "team": "Management",
         "manager_id": None, "region": "East", "is_active": True},
    ]
    return [{**r, **_lineage("salesforce", "User.csv", i + 1, "load-6", D2)} for i, r in enumerate(rows)]


def activities() -> list[dict]:
    def a(aid, etype, eid, atype, at, owner, row):
        return {"activity_id": aid, "entity_type": etype, "entity_id": eid, "activity_type": atype,
                "occurred_at": ts(at), "owner_id": owner,
                **_lineage("salesforce", "Task.csv", row, "load-7", D2)}

    # first-contact SLA 24 h: L1 5 h (yes), L3 2 h (yes), L5 30 h (no), L2 48 h (no), L4 none (no)
    return [
        a("T1", "Lead", "L1", "Call", "2024-01-05 15:00", "u1", 1),
        a("T2", "lead", "L1", "Email", "2024-01-06 15:00", "u1", 2),
        a("T3", "lead", "L3", "call", "2024-01-15 12:00", "u1", 3),
        a("T4", "lead", "L5", "email", "2024-01-26 16:00", "u1", 4),
        a("T5", "lead", "L2", "email", "2024-01-10 10:00", "u2", 5),
        a("T6", "opportunity", "O1", "meeting", "2024-01-22 10:00", "u1", 6),
        a("T7", "opportunity", "O4", "call", "2024-03-12 10:00", "u2", 7),
    ]


def campaigns() -> list[dict]:
    rows = [
        {"campaign_id": "C1", "name": "Spring Webinar", "channel": "Webinar", "status": "Completed",
         "start_date": date(2024, 1, 1), "end_date": date(2024, 1, 31), "budget": 1000.0,
         "actual_cost": 900.0, "currency": "USD", "is_deleted": False},
    ]
    return [{**r, **_lineage("salesforce", "Campaign.csv", i + 1, "load-8", D2)} for i, r in enumerate(rows)]


def campaign_members() -> list[dict]:
    rows = [
        {"member_id": "M1", "campaign_id": "C1", "lead_id": "L1", "contact_id": None,
         "status": "Responded", "has_responded": True, "created_at": ts("2024-01-04 10:00"),
         "responded_at": ts("2024-01-04 11:00")},
        {"member_id": "M2", "campaign_id": "C1", "lead_id": "L3", "contact_id": None,
         "status": "Sent", "has_responded": False, "created_at": ts("2024-01-14 10:00"),
         "responded_at": None},
    ]
    return [{**r, **_lineage("salesforce", "CampaignMember.csv", i + 1, "load-9", D2)} for i, r in enumerate(rows)]


def form_submissions() -> list[dict]:
    def s(sid, at, email, phone, utm_source, utm_medium, utm_campaign, row):
        return {"submission_id": sid, "submitted_at": ts(at), "form_name": "Contact us",
                "email": email, "phone": phone, "name": f"Visitor {sid}", "company": None,
                "utm_source": utm_source, "utm_medium": utm_medium, "utm_campaign": utm_campaign,
                "utm_content": None, "utm_term": None, "click_id": None, "landing_page": "/contact",
                "referrer": None, "answers": "{}",
                **_lineage("webforms", "forms.csv", row, "load-10", D2)}

    return [
        s("S1", "2024-01-05 09:55", "ann@example.com", None, "Google", "CPC", "Spring Webinar", 1),
        s("S2", "2024-01-07 10:00", None, "+1 415 555 0102", "linkedin", "social", None, 2),
        s("S3", "2024-02-01 10:00", "nobody@nowhere.com", None, "google", "cpc", "Spring Webinar", 3),
        s("S4", "2024-03-15 10:00", "carl@example.com", None, None, None, None, 4),
    ]


def ad_spend() -> list[dict]:
    def r(day, impressions, clicks, spend, load, loaded_at, row):
        return {"platform": "google_ads", "account_id": "111-222", "campaign_id": "g1",
                "campaign_name": "Spring Webinar", "ad_group": None, "date": day,
                "period_start": None, "period_end": None, "impressions": impressions,
                "clicks": clicks, "spend": spend, "currency": "USD", "platform_conversions": 1.0,
                **_lineage("google_ads", "campaign_report.csv", row, load, loaded_at)}

    return [
        r(date(2024, 1, 1), 1000, 50, 100.0, "load-11", D1, 1),
        r(date(2024, 1, 2), 2000, 80, 150.0, "load-11", D1, 2),
        # corrected re-delivery of 01-01: the later load wins
        r(date(2024, 1, 1), 1000, 50, 120.0, "load-12", D2, 1),
    ]


def all_rows() -> dict[str, list[dict]]:
    return {
        "crm_leads": leads(),
        "crm_opportunities": opportunities(),
        "crm_stage_history": stage_history(),
        "crm_accounts": accounts(),
        "crm_users": users(),
        "crm_activities": activities(),
        "crm_campaigns": campaigns(),
        "crm_campaign_members": campaign_members(),
        "form_submissions": form_submissions(),
        "ad_spend": ad_spend(),
    }


def root_cause_rows() -> list[dict]:
    """Rows of the hand-made marts.mart_root_cause (the Python engine does not run here): four
    first_contact_sla candidates for 2023-12 -> 2024-01 (the alert shows the top 3), a
    decomposition row and a candidate of another period (both ignored by mart_alerts)."""
    def row(row_type, metric, period_to, rank, kind, d1, v1, contribution, d2=None, v2=None):
        return {"row_type": row_type, "metric": metric, "period_from": date(period_to.year - (period_to.month == 1),
                (period_to.month - 2) % 12 + 1, 1), "period_to": period_to, "rank": rank, "kind": kind,
                "dimension_1": d1, "value_1": v1, "dimension_2": d2, "value_2": v2,
                "contribution": contribution, "rate_before": 0.8, "rate_after": 0.4, "p_value": 0.01}

    jan, feb = date(2024, 1, 1), date(2024, 2, 1)
    return [
        row("candidate", "first_contact_sla", jan, 2, "mix", "channel", "direct", -0.8, "industry", "Manufacturing"),
        row("candidate", "first_contact_sla", jan, 1, "rate", "owner_team", "West", -1.5),
        row("candidate", "first_contact_sla", jan, 3, "rate", "region", 'CA "North"', -0.3),
        row("candidate", "first_contact_sla", jan, 4, "rate", "industry", "Energy", -0.1),
        row("decomposition", "first_contact_sla", jan, None, None, "owner_team", "East", None),
        row("candidate", "first_contact_sla", feb, 1, "rate", "owner_team", "East", -2.0),
    ]
