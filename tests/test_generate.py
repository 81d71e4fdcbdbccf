"""The sample-data generator writes real-looking vendor files and a truth that matches them.

Expected values come from outside the code under test: the files are parsed here with the csv
module and counted by hand-written code, and statistical checks use tolerances derived from the
binomial standard error.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest

from orchestration.generate import TRUTH_DIR, TRUTH_FILE, generate, normalize_campaign_name
from orchestration.generate.ids import KEY_PREFIX, NULL_ID, case_safe_suffix
from orchestration.generate.sf_columns import FILES as SF_COLUMNS

SMALL = 2_000
SF_ID = re.compile(r"^[0-9A-Za-z]{18}$")
ADS_HEADER = ["Day", "Campaign status", "Campaign", "Campaign ID", "Campaign type", "Impr.", "Clicks",
              "Interactions", "Currency code", "Avg. CPC", "Cost", "Conversions"]
TALLY_HEADER = ["Submission ID", "Respondent ID", "Submitted at", "Full name", "Work email", "Phone number",
                "Company", "How can we help?", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
                "gclid", "landing_page"]
# Column order of the real Salesforce export in ../shared/fixtures/salesforce_demo_org (first columns).
FIXTURE_LEAD_START = ["Id", "IsDeleted", "MasterRecordId", "Salutation", "FirstName", "LastName", "Title", "Company"]
FIXTURE_HISTORY = ["Id", "OpportunityId", "CreatedById", "CreatedDate", "CreatedDateForInsert", "StageName",
                   "Amount", "ExpectedRevenue", "CloseDate", "Probability", "FromForecastCategory",
                   "ForecastCategory", "PrevForecastUpdate", "FromOpportunityStageName",
                   "PrevOpportunityStageUpdate", "ValidThroughDate", "SystemModstamp", "IsDeleted"]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("small")
    return out, generate(out, leads=SMALL, seed=7)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """Big enough that one lead source in one month has several hundred leads."""
    out = tmp_path_factory.mktemp("large")
    return out, generate(out, leads=20_000, seed=11)


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def read_dicts(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def ads_number(cell: str) -> float | None:
    """Google Ads UI numbers: '12,345' / '305474.99' / ' --' (null)."""
    cell = cell.strip()
    return None if cell == "--" else float(cell.replace(",", ""))


def parse_ads(path: Path) -> tuple[list[str], list[list[str]], dict[str, list[str]]]:
    with open(path, encoding="utf-8", newline="") as f:
        lines = list(csv.reader(f))
    assert lines[0] == ["Campaign report"]
    header, body = lines[2], lines[3:]
    totals = {r[0]: r for r in body if r[0].startswith("Total: ")}
    return lines[1], [r for r in body if not r[0].startswith("Total: ")], totals


def distinct_leads(leads: list[dict[str, str]]) -> list[dict[str, str]]:
    """What the warehouse should count: not deleted, first of each (email, company)."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for r in sorted((r for r in leads if r["IsDeleted"] == "0"), key=lambda r: (r["CreatedDate"], r["Id"])):
        seen.setdefault((r["Email"].strip().lower(), r["Company"]), r)
    return list(seen.values())


def reached_qualified(r: dict[str, str]) -> bool:
    return r["Status"] == "Qualified" or r["IsConverted"] == "1"


# -- determinism ----------------------------------------------------------------------------------

def test_same_seed_same_bytes_and_different_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, leads=500, seed=3, months=3)
    generate(b, leads=500, seed=3, months=3)
    generate(c, leads=500, seed=4, months=3)
    da, db, dc = digest(a), digest(b), digest(c)
    assert len(da) == 15 and da == db
    assert da.keys() == dc.keys()
    assert all(da[k] != dc[k] for k in da if k.startswith(("salesforce/Lead", "forms/", "ads/")))


def test_truth_file_equals_returned_truth(small: tuple[Path, dict]) -> None:
    out, truth = small
    assert json.loads((out / TRUTH_DIR / TRUTH_FILE).read_text(encoding="utf-8")) == truth
    assert truth["parameters"]["seed"] == 7 and truth["parameters"]["leads"] == SMALL
    assert truth["funnel"]["stages"] == ["inquiry", "lead", "qualified", "discovery", "proposal", "negotiation",
                                         "won"]


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="first day of a month"):
        generate(tmp_path, leads=10, start=date(2026, 1, 15))
    with pytest.raises(ValueError, match="unknown scenario"):
        generate(tmp_path, leads=10, scenario="nope")


# -- file layouts ---------------------------------------------------------------------------------

def test_salesforce_files_are_quote_all_with_lf_and_expected_headers(small: tuple[Path, dict]) -> None:
    out, _ = small
    for obj, cols in SF_COLUMNS.items():
        raw = (out / "salesforce" / f"{obj}.csv").read_bytes()
        header, rows = read_csv(out / "salesforce" / f"{obj}.csv")
        assert header == list(cols)
        assert all(len(r) == len(header) for r in rows), obj
        # Re-writing what we parsed with every field quoted and '\n' gives the file back byte for byte.
        buf = io.StringIO()
        csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows([header, *rows])
        assert buf.getvalue().encode("utf-8") == raw, obj
    lead_header, _ = read_csv(out / "salesforce" / "Lead.csv")
    assert lead_header[:8] == FIXTURE_LEAD_START and lead_header[-1] == "Disqualify_Reason__c"
    assert read_csv(out / "salesforce" / "OpportunityHistory.csv")[0] == FIXTURE_HISTORY
    opp_header = read_csv(out / "salesforce" / "Opportunity.csv")[0]
    assert opp_header[-2:] == ["CurrencyIsoCode", "Loss_Reason__c"]


def test_salesforce_ids_have_real_prefixes_and_valid_case_safe_suffix(small: tuple[Path, dict]) -> None:
    out, _ = small
    assert case_safe_suffix("00Q4600000LbVvf") == "EAF"  # an id from the real export
    assert case_safe_suffix("0064600000J5S5T") == "AAV"
    for obj in ("Lead", "Opportunity", "Account", "User", "Campaign", "CampaignMember", "OpportunityHistory", "Task"):
        ids = [r["Id"] for r in read_dicts(out / "salesforce" / f"{obj}.csv")]
        assert ids and len(set(ids)) == len(ids), obj
        for i in ids:
            assert SF_ID.match(i) and i.startswith(KEY_PREFIX[obj]) and case_safe_suffix(i[:15]) == i[15:], i


def test_salesforce_value_spellings(small: tuple[Path, dict]) -> None:
    out, _ = small
    leads = read_dicts(out / "salesforce" / "Lead.csv")
    opps = read_dicts(out / "salesforce" / "Opportunity.csv")
    assert {r["Status"] for r in leads} == {"New", "Working", "Nurturing", "Qualified", "Unqualified"}
    assert {r["IsDeleted"] for r in leads} == {"0", "1"} and {r["IsConverted"] for r in leads} == {"0", "1"}
    assert {"Web", "Paid Search", "Paid Social", "Email", "Event", "Partner Referral",
            "Phone Inquiry"} == {r["LeadSource"] for r in leads}
    for r in leads:
        datetime.strptime(r["CreatedDate"], "%Y-%m-%d %H:%M:%S")
        if r["ConvertedDate"]:
            assert r["ConvertedDate"].endswith(" 00:00:00")
        assert bool(r["Disqualify_Reason__c"]) == (r["Status"] == "Unqualified"), r["Id"]
    converted_ids = {r["ConvertedOpportunityId"] for r in leads}
    assert NULL_ID in converted_ids and "" in converted_ids  # both spellings of an empty lookup
    phones = [r["Phone"] for r in leads]
    assert any(re.fullmatch(r"\(\d{3}\) \d{3}-\d{4}", p) for p in phones)
    assert any(re.fullmatch(r"\+86 1\d{2} \d{4} \d{4}", p) for p in phones)
    assert any(re.fullmatch(r"1\d{10}", p) for p in phones)
    assert {r["CurrencyIsoCode"] for r in opps} == {"USD", "CNY"}
    assert sum(r["CurrencyIsoCode"] == "USD" for r in opps) > len(opps) / 2
    for r in opps:
        assert r["CloseDate"].endswith(" 00:00:00")
        if r["StageName"] != "Closed Lost":
            assert r["Loss_Reason__c"] == ""
        assert (r["IsClosed"], r["IsWon"]) == {"Closed Won": ("1", "1"), "Closed Lost": ("1", "0")}.get(
            r["StageName"], ("0", "0"))
    lost = [r for r in opps if r["StageName"] == "Closed Lost"]
    assert any(r["Loss_Reason__c"] for r in lost) and any(not r["Loss_Reason__c"] for r in lost)


def test_tally_and_google_ads_layouts(small: tuple[Path, dict]) -> None:
    out, _ = small
    forms = sorted((out / "forms").glob("tally_*.csv"))
    assert [p.name for p in forms] == ["tally_contact_us.csv", "tally_demo_request.csv", "tally_ebook_download.csv"]
    sub_ids = []
    for p in forms:
        header, rows = read_csv(p)
        assert header == TALLY_HEADER and all(len(r) == len(header) for r in rows)
        for r in rows:
            datetime.strptime(r[2], "%Y-%m-%d %H:%M:%S")
            assert re.fullmatch(r"[0-9A-Za-z]{6}", r[0]) and re.fullmatch(r"[0-9A-Za-z]{6}", r[1])
        sub_ids += [r[0] for r in rows]
    assert len(set(sub_ids)) == len(sub_ids)
    for name, currency in (("google_ads_campaign_daily.csv", "USD"), ("google_ads_campaign_daily_cn.csv", "CNY")):
        text = (out / "ads" / name).read_text(encoding="utf-8")
        assert text.startswith('Campaign report\n"January 1, 2026 - June 30, 2026"\n' + ",".join(ADS_HEADER) + "\n")
        _, rows, totals = parse_ads(out / "ads" / name)
        assert list(totals) == ["Total: Campaigns", "Total: Account", "Total: Search", "Total: Display"]
        assert totals["Total: Campaigns"][1:5] == [" --"] * 4
        assert {r[8] for r in rows} == {currency}
        for r in rows:
            date.fromisoformat(r[0])
            assert int(r[3]) > 0 and r[4] in ("Search", "Display")
    usd = (out / "ads" / "google_ads_campaign_daily.csv").read_text(encoding="utf-8")
    assert re.search(r',"\d{1,3}(,\d{3})+",', usd)  # thousands separators inside quotes


# -- the truth matches the files ------------------------------------------------------------------

def test_row_counts_in_truth_equal_rows_in_files(small: tuple[Path, dict]) -> None:
    out, truth = small
    counted = {}
    for p in sorted((out / "salesforce").glob("*.csv")) + sorted((out / "forms").glob("*.csv")):
        counted[f"{p.parent.name}/{p.name}"] = len(read_csv(p)[1])
    for p in sorted((out / "ads").glob("*.csv")):
        counted[f"ads/{p.name}"] = len(parse_ads(p)[1])
    assert truth["rows"] == counted
    leads = read_dicts(out / "salesforce" / "Lead.csv")
    assert len(distinct_leads(leads)) == truth["counts"]["distinct_leads"] == SMALL
    assert sum(r["IsDeleted"] == "1" for r in leads) == truth["counts"]["deleted_leads"]


def test_conversions_point_at_exported_records(small: tuple[Path, dict]) -> None:
    out, _ = small
    leads = read_dicts(out / "salesforce" / "Lead.csv")
    opp_ids = {r["Id"] for r in read_dicts(out / "salesforce" / "Opportunity.csv")}
    account_ids = {r["Id"] for r in read_dicts(out / "salesforce" / "Account.csv")}
    converted = [r for r in leads if r["IsConverted"] == "1"]
    assert converted
    for r in converted:
        assert r["Status"] == "Qualified"
        assert r["ConvertedOpportunityId"] in opp_ids and r["ConvertedAccountId"] in account_ids
    for r in leads:
        if r["IsConverted"] == "0":
            assert r["ConvertedOpportunityId"] in ("", NULL_ID)
    opps = read_dicts(out / "salesforce" / "Opportunity.csv")
    assert {r["AccountId"] for r in opps} <= account_ids
    lead_ids = {r["Id"] for r in leads}
    for t in read_dicts(out / "salesforce" / "Task.csv"):
        assert t["WhoId"] in lead_ids and (t["WhatId"] == "" or t["WhatId"] in opp_ids)


def test_opportunity_history_is_strictly_increasing_and_ends_at_current_stage(small: tuple[Path, dict]) -> None:
    out, _ = small
    opps = {r["Id"]: r for r in read_dicts(out / "salesforce" / "Opportunity.csv")}
    history: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in read_dicts(out / "salesforce" / "OpportunityHistory.csv"):
        history[r["OpportunityId"]].append(r)
    assert history.keys() == opps.keys()
    order = ["Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
             "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won"]
    reopened = skipped = 0
    for oid, rows in history.items():
        times = [r["CreatedDate"] for r in rows]
        assert all(a < b for a, b in zip(times, times[1:])), oid
        assert rows[-1]["StageName"] == opps[oid]["StageName"]
        assert rows[0]["CreatedDate"] == opps[oid]["CreatedDate"]
        stages = [r["StageName"] for r in rows]
        reopened += "Closed Lost" in stages[:-1]
        if "Negotiation/Review" in stages and not set(stages) & set(order[3:7]):
            skipped += 1
        open_path = [s for s in stages if s != "Closed Lost"]
        if "Closed Lost" not in stages[:-1]:
            assert [order.index(s) for s in open_path] == sorted(order.index(s) for s in open_path), oid
    assert reopened > 0 and skipped > 0


def test_google_ads_totals_equal_sums_and_truth_spend(small: tuple[Path, dict]) -> None:
    out, truth = small
    for name, currency in (("google_ads_campaign_daily.csv", "USD"), ("google_ads_campaign_daily_cn.csv", "CNY")):
        _, rows, totals = parse_ads(out / "ads" / name)
        for col in (5, 6, 10):  # Impr., Clicks, Cost
            listed = sum(ads_number(r[col]) for r in rows)
            assert ads_number(totals["Total: Campaigns"][col]) == pytest.approx(listed, abs=0.005)
            by_type = ads_number(totals["Total: Search"][col]) + ads_number(totals["Total: Display"][col])
            assert ads_number(totals["Total: Account"][col]) == pytest.approx(by_type, abs=0.005)
        spend = [s for s in truth["spend"] if s["currency"] == currency]
        assert ads_number(totals["Total: Account"][10]) == pytest.approx(sum(s["spend_cents"] for s in spend) / 100)
        listed_spend = sum(s["spend_cents"] for s in spend if s["listed_in_report"]) / 100
        assert ads_number(totals["Total: Campaigns"][10]) == pytest.approx(listed_spend)
        monthly = defaultdict(float)
        for r in rows:
            monthly[(r[2], r[0][:7])] += ads_number(r[10])
        for s in spend:
            if s["listed_in_report"]:
                assert monthly[(s["campaign_name"], s["month"])] == pytest.approx(s["spend"], abs=0.01)
    _, _, usd_totals = parse_ads(out / "ads" / "google_ads_campaign_daily.csv")
    assert ads_number(usd_totals["Total: Account"][10]) > ads_number(usd_totals["Total: Campaigns"][10])


def test_campaign_names_link_ads_forms_and_salesforce(small: tuple[Path, dict]) -> None:
    out, truth = small
    sf_names = {normalize_campaign_name(r["Name"]) for r in read_dicts(out / "salesforce" / "Campaign.csv")}
    _, rows, _ = parse_ads(out / "ads" / "google_ads_campaign_daily.csv")
    ads_names = {r[2] for r in rows}
    matching = [n for n in ads_names if normalize_campaign_name(n) in sf_names]
    assert len(matching) >= len(ads_names) - 1 and len(matching) < len(ads_names) + 1
    utm = set()
    for p in (out / "forms").glob("tally_*.csv"):
        utm |= {r["utm_campaign"] for r in read_dicts(p)}
    assert ads_names <= utm
    mismatched = [c for c in truth["campaigns"] if c["normalized_names_match"] is False]
    assert [c["ads_campaign_name"] for c in mismatched] == ["Search-Competitor-Conquest"]


def test_form_submissions_precede_web_leads(small: tuple[Path, dict]) -> None:
    out, truth = small
    subs: list[dict[str, str]] = []
    for p in (out / "forms").glob("tally_*.csv"):
        subs += read_dicts(p)
    by_email = defaultdict(list)
    for s in subs:
        by_email[s["Work email"].strip().lower()].append(s["Submitted at"])
    web = [r for r in distinct_leads(read_dicts(out / "salesforce" / "Lead.csv"))
           if r["LeadSource"] in ("Web", "Paid Search", "Paid Social", "Email")]
    preceded = sum(any(t <= r["CreatedDate"] for t in by_email.get(r["Email"].lower(), [])) for r in web)
    assert 0.80 < preceded / len(web) < 0.97  # most, not all; some match only by phone
    only_in_url = [s for s in subs if not s["utm_source"] and "utm_source=" in s["landing_page"]]
    assert only_in_url
    inquiries = truth["realized"]["inquiries"]
    assert sum(i["submissions"] for i in inquiries) == len(subs)
    assert 0 < sum(i["matched_by_phone_only"] for i in inquiries) < 0.1 * len(web)


def test_duplicates_in_truth_are_same_email_and_company_within_days(small: tuple[Path, dict]) -> None:
    out, truth = small
    leads = {r["Id"]: r for r in read_dicts(out / "salesforce" / "Lead.csv")}
    pairs = read_dicts(out / TRUTH_DIR / "duplicate_leads.csv")
    assert len(pairs) == truth["counts"]["duplicate_leads"] > 0
    for p in pairs:
        a, b = leads[p["original_lead_id"]], leads[p["duplicate_lead_id"]]
        assert (a["Email"], a["Company"]) == (b["Email"], b["Company"])
        gap = datetime.fromisoformat(b["CreatedDate"]) - datetime.fromisoformat(a["CreatedDate"])
        assert 0 < gap.total_seconds() <= 4 * 86_400


def test_first_contact_share_matches_tasks(small: tuple[Path, dict]) -> None:
    out, truth = small
    first: dict[str, datetime] = {}
    for t in read_dicts(out / "salesforce" / "Task.csv"):
        at = datetime.fromisoformat(t["CreatedDate"])
        first[t["WhoId"]] = min(first.get(t["WhoId"], at), at)
    leads = distinct_leads(read_dicts(out / "salesforce" / "Lead.csv"))
    fast = sum(r["Id"] in first and (first[r["Id"]] - datetime.fromisoformat(r["CreatedDate"])).total_seconds()
               <= 86_400 for r in leads)
    share = truth["shares"]["first_contact_within_24h"]
    assert fast == share["numerator"]
    se = math.sqrt(share["planted"] * (1 - share["planted"]) / len(leads))
    assert abs(fast / len(leads) - share["planted"]) < 4 * se


# -- planted statistics ---------------------------------------------------------------------------

def test_planted_drop_is_visible_within_sampling_error(large: tuple[Path, dict]) -> None:
    out, truth = large
    drop = truth["planted_drop"]
    assert drop["lead_source"] == "Paid Search" and drop["transition"] == "lead->qualified"
    assert (drop["last_month_before"], drop["first_month_after"]) == ("2026-04", "2026-05")
    assert drop["rate_after"] == pytest.approx(drop["rate_before"] * 0.6, rel=0.02)
    leads = [r for r in distinct_leads(read_dicts(out / "salesforce" / "Lead.csv"))
             if r["LeadSource"] == drop["lead_source"]]
    observed = {}
    for month, planted in ((drop["last_month_before"], drop["rate_before"]),
                           (drop["first_month_after"], drop["rate_after"])):
        cohort = [r for r in leads if r["CreatedDate"].startswith(month)]
        k, n = sum(map(reached_qualified, cohort)), len(cohort)
        assert n > 400
        se = math.sqrt(planted * (1 - planted) / n)
        assert abs(k / n - planted) < 4 * se, (month, k, n, planted)
        observed[month] = (k, n)
        # The truth's realised cohort counts agree exactly with what the file says.
        realized = [c for c in truth["realized"]["cohort_funnel"]
                    if c["month"] == month and c["lead_source"] == drop["lead_source"]]
        assert (sum(c["qualified"] for c in realized), sum(c["leads"] for c in realized)) == (k, n)
    (k0, n0), (k1, n1) = observed.values()
    pooled = (k0 + k1) / (n0 + n1)
    z = (k0 / n0 - k1 / n1) / math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
    assert z > 3  # the drop is clearly there, not noise


def test_other_segments_do_not_drop(large: tuple[Path, dict]) -> None:
    out, truth = large
    leads = [r for r in distinct_leads(read_dicts(out / "salesforce" / "Lead.csv")) if r["LeadSource"] == "Web"]
    rates = {r["month"]: r["rate"] for r in truth["expected_segment_rates"]
             if r["lead_source"] == "Web" and r["transition"] == "lead->qualified"}
    assert rates["2026-04"] == rates["2026-05"]
    for month in ("2026-04", "2026-05"):
        cohort = [r for r in leads if r["CreatedDate"].startswith(month)]
        p, n = rates[month], len(cohort)
        assert abs(sum(map(reached_qualified, cohort)) / n - p) < 4 * math.sqrt(p * (1 - p) / n)


def test_overall_funnel_rates_are_b2b_realistic(large: tuple[Path, dict]) -> None:
    _, truth = large
    for row in truth["transition_probabilities"]:
        assert 0.55 <= row["inquiry->lead"] <= 0.85
        assert 0.10 <= row["lead->qualified"] <= 0.50
        assert 0.45 <= row["qualified->discovery"] <= 0.75
    early = [c for c in truth["realized"]["cohort_funnel"] if c["month"] in ("2026-01", "2026-02")]
    won_share = sum(c["won"] for c in early) / sum(c["leads"] for c in early)
    assert 0.02 < won_share < 0.08


def test_no_change_scenario_plants_no_drop(tmp_path: Path) -> None:
    truth = generate(tmp_path, leads=200, months=6, scenario="no_change")
    assert truth["planted_drop"] is None
    by_segment = defaultdict(set)
    for row in truth["transition_probabilities"]:
        by_segment[(row["lead_source"], row["industry"])].add(row["lead->qualified"])
    assert all(len(v) == 1 for v in by_segment.values())


def test_upgrade_deals_are_on_accounts_that_already_won(small: tuple[Path, dict]) -> None:
    out, truth = small
    opps = read_dicts(out / "salesforce" / "Opportunity.csv")
    won_at: dict[str, list[str]] = defaultdict(list)
    opp_account = {r["Id"]: r["AccountId"] for r in opps}
    for h in read_dicts(out / "salesforce" / "OpportunityHistory.csv"):
        if h["StageName"] == "Closed Won":
            won_at[opp_account[h["OpportunityId"]]].append(h["CreatedDate"])
    upgrades = [r for r in opps if r["Type"] == "Existing Customer - Upgrade"]
    assert upgrades and {r["Type"] for r in opps} == {"New Customer", "Existing Customer - Upgrade"}
    for r in upgrades:
        assert any(t < r["CreatedDate"] for t in won_at[r["AccountId"]]), r["Id"]
    from_leads = {r["ConvertedOpportunityId"] for r in read_dicts(out / "salesforce" / "Lead.csv")}
    without_lead = [r for r in opps if r["Id"] not in from_leads]
    assert len(without_lead) == truth["counts"]["repeat_opportunities"]
    assert all(r["Type"] == "Existing Customer - Upgrade" and r["LeadSource"] == "" for r in without_lead)


def test_loss_reasons_in_files_match_truth(small: tuple[Path, dict]) -> None:
    out, truth = small
    stage_key = truth["funnel"]["opportunity_stage_to_stage"]
    from_leads = {r["ConvertedOpportunityId"] for r in read_dicts(out / "salesforce" / "Lead.csv")}
    reasons = {r["Id"]: r["Loss_Reason__c"] for r in read_dicts(out / "salesforce" / "Opportunity.csv")
               if r["StageName"] == "Closed Lost" and r["Id"] in from_leads}
    history: dict[str, list[str]] = defaultdict(list)
    for h in read_dicts(out / "salesforce" / "OpportunityHistory.csv"):
        history[h["OpportunityId"]].append(h["StageName"])
    counted: dict[tuple[str, str], int] = defaultdict(int)
    for oid, reason in reasons.items():
        counted[(stage_key[history[oid][-2]], reason)] += 1
    assert counted == {(r["stage"], r["reason"]): r["count"] for r in truth["loss_reasons"]["realized_closed_lost"]}
    planted = truth["loss_reasons"]["opportunity_mix_by_stage"]
    assert all(reason == "" or reason in planted[stage] for stage, reason in counted)


def test_later_deliveries_land_in_dated_folders_with_new_records_only(tmp_path: Path) -> None:
    from orchestration.generate import export_date, generate_delivery

    first = generate_delivery(tmp_path, 0, leads=60, seed=5, start=date(2026, 1, 1), months=3)
    second = generate_delivery(tmp_path, 1, leads=60, seed=5, start=date(2026, 1, 1), months=3)
    assert (first.name, second.name) == ("2026-04-01", "2026-05-01") == (
        export_date(0, start=date(2026, 1, 1), months=3).isoformat(), export_date(1, start=date(2026, 1, 1), months=3).isoformat())

    def leads(folder: Path) -> list[dict]:
        with open(folder / "salesforce" / "Lead.csv", newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    night1, night2 = leads(first), leads(second)
    assert not {r["Id"] for r in night1} & {r["Id"] for r in night2}
    assert {r["CreatedDate"][:7] for r in night2} == {"2026-04"}  # the month after the history
    assert max(r["CreatedDate"] for r in night1) < "2026-04-01"
    assert json.loads((second / TRUTH_DIR / TRUTH_FILE).read_text())["parameters"]["leads"] == 20
    with pytest.raises(ValueError, match="0 or more"):
        generate_delivery(tmp_path, -1)
